#include "store_format.h"

#include "autoscale/core/error.h"
#include "autoscale/store/store.h"

namespace autoscale::scene::format {
namespace {

void write_header(h5::File& file, const char* format) {
  file.write_attr("format", std::string(format));
  file.write_attr("schema_version", kSchemaVersion);
  file.write_attr("step_seconds", kStepSeconds);
}

// Offsets must start at 0, never decrease, and end inside the child table: a damaged file
// must fail here with a message, not index out of bounds later.
void check_offsets(const h5::File& file, const std::string& name, const std::vector<int64_t>& off, size_t child_rows) {
  AUTOSCALE_CHECK(!off.empty(), "{}: /{} is empty", file.path(), name);
  for (size_t i = 1; i < off.size(); ++i) {
    AUTOSCALE_CHECK(off[i] >= off[i - 1], "{}: /{} decreases at row {} (damaged file)", file.path(), name, i);
  }
  AUTOSCALE_CHECK(off.back() >= 0 && static_cast<size_t>(off.back()) <= child_rows,
                  "{}: /{} points past its table (damaged file)", file.path(), name);
}

void push_ring(const Polyline& ring, std::vector<double>& points, std::vector<int64_t>& ring_offsets) {
  for (const auto& p : ring) {
    points.push_back(p.x);
    points.push_back(p.y);
  }
  ring_offsets.push_back(static_cast<int64_t>(points.size() / 2));
}

// Polygons with holes: polygon -> rings -> points.
struct PolygonColumns {
  std::vector<int64_t> ring_offset{0};
  std::vector<int64_t> ring_point_offset{0};
  std::vector<double> points;

  void add(const Polygon& poly) {
    push_ring(poly.exterior, points, ring_point_offset);
    for (const auto& hole : poly.holes) push_ring(hole, points, ring_point_offset);
    ring_offset.push_back(static_cast<int64_t>(ring_point_offset.size() - 1));
  }
  void write(h5::File& f, const std::string& group, int compression) const {
    f.write(group + "/ring_offset", ring_offset, compression);
    f.write(group + "/ring_point_offset", ring_point_offset, compression);
    f.write(group + "/points", points, 2, compression);
  }
};

Polyline read_points(const std::vector<double>& xy, int64_t begin, int64_t end) {
  Polyline out;
  out.reserve(static_cast<size_t>(end - begin));
  for (int64_t i = begin; i < end; ++i) out.push_back({xy[2 * i], xy[2 * i + 1]});
  return out;
}

std::vector<Polygon> read_polygons(const h5::File& f, const std::string& group) {
  const auto ring_offset = f.read_i64(group + "/ring_offset");
  const auto ring_point_offset = f.read_i64(group + "/ring_point_offset");
  const auto points = f.read_f64(group + "/points", 2);
  check_offsets(f, group + "/ring_offset", ring_offset, ring_point_offset.size() - 1);
  check_offsets(f, group + "/ring_point_offset", ring_point_offset, points.size() / 2);
  std::vector<Polygon> out(ring_offset.size() - 1);
  for (size_t i = 0; i + 1 < ring_offset.size(); ++i) {
    for (int64_t r = ring_offset[i]; r < ring_offset[i + 1]; ++r) {
      Polyline ring = read_points(points, ring_point_offset[r], ring_point_offset[r + 1]);
      if (r == ring_offset[i]) {
        out[i].exterior = std::move(ring);
      } else {
        out[i].holes.push_back(std::move(ring));
      }
    }
  }
  return out;
}

template <class T, class Get>
std::vector<T> column(size_t n, Get get) {
  std::vector<T> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(get(i));
  return out;
}

}  // namespace

void check_header(const h5::File& file, const char* expected_format) {
  AUTOSCALE_CHECK(file.has_attr("format"), "{}: not an autoscale file (no 'format' attribute)", file.path());
  const std::string format = file.read_attr_str("format");
  AUTOSCALE_CHECK(format == expected_format, "{}: format is {}, expected {}", file.path(), quote(format),
                  quote(expected_format));
  const int64_t version = file.read_attr_i64("schema_version");
  AUTOSCALE_CHECK(version == kSchemaVersion, "{}: schema_version is {}, this build reads version {}", file.path(),
                  version, kSchemaVersion);
  // Every track is read as 10 Hz; a file claiming another step would be scored at the wrong speed.
  AUTOSCALE_CHECK(file.has_attr("step_seconds"), "{}: no 'step_seconds' attribute (expected {})", file.path(),
                  kStepSeconds);
  const double step = file.read_attr_f64("step_seconds");
  AUTOSCALE_CHECK(step == kStepSeconds, "{}: step_seconds is {}, every autoscale file is sampled at {} s", file.path(),
                  step, kStepSeconds);
}

void write_shard(h5::File& f, const std::vector<Scene>& scenes, int compression) {
  write_header(f, kShardFormat);
  const size_t n = scenes.size();
  f.write_attr("num_scenes", static_cast<int64_t>(n));

  std::vector<int64_t> ego_offset{0}, agent_offset{0}, route_offset{0}, light_offset{0}, state_offset{0},
      light_future_offset{0};
  std::vector<double> ego_size, ego_state, agent_size, agent_state;
  std::vector<std::string> agent_id, route, light_lane;
  std::vector<uint8_t> agent_type, agent_category, agent_valid, light_state, light_future;
  for (const auto& s : scenes) {
    ego_size.insert(ego_size.end(), {s.ego_length, s.ego_width});
    for (const auto& e : s.ego) ego_state.insert(ego_state.end(), {e.x, e.y, e.heading, e.vx, e.vy, e.ax, e.ay});
    ego_offset.push_back(ego_offset.back() + static_cast<int64_t>(s.ego.size()));
    for (const auto& a : s.agents) {
      AUTOSCALE_CHECK(a.states.size() == s.ego.size(), "scene {}: agent {} has {} states, the ego has {}", s.token,
                      a.id, a.states.size(), s.ego.size());
      agent_id.push_back(a.id);
      agent_type.push_back(static_cast<uint8_t>(a.type));
      agent_category.push_back(static_cast<uint8_t>(a.category));
      agent_size.insert(agent_size.end(), {a.length, a.width, a.height});
      for (const auto& st : a.states) {
        agent_state.insert(agent_state.end(), {st.x, st.y, st.heading, st.vx, st.vy});
        agent_valid.push_back(st.valid ? 1 : 0);
      }
      state_offset.push_back(state_offset.back() + static_cast<int64_t>(a.states.size()));
    }
    agent_offset.push_back(agent_offset.back() + static_cast<int64_t>(s.agents.size()));
    route.insert(route.end(), s.route.begin(), s.route.end());
    route_offset.push_back(static_cast<int64_t>(route.size()));
    for (const auto& l : s.traffic_lights) {
      light_lane.push_back(l.lane);
      light_state.push_back(static_cast<uint8_t>(l.state));
      for (LightState st : l.future) light_future.push_back(static_cast<uint8_t>(st));
      light_future_offset.push_back(static_cast<int64_t>(light_future.size()));
    }
    light_offset.push_back(static_cast<int64_t>(light_lane.size()));
  }

  const int c = compression;
  f.write("scenes/token", column<std::string>(n, [&](size_t i) { return scenes[i].token; }), c);
  f.write("scenes/log", column<std::string>(n, [&](size_t i) { return scenes[i].log; }), c);
  f.write("scenes/map_id", column<std::string>(n, [&](size_t i) { return scenes[i].map_id; }), c);
  f.write("scenes/domain", column<uint8_t>(n, [&](size_t i) { return uint8_t(scenes[i].domain); }), c);
  f.write("scenes/timestamp_us", column<int64_t>(n, [&](size_t i) { return scenes[i].timestamp_us; }), c);
  f.write("scenes/command", column<uint8_t>(n, [&](size_t i) { return uint8_t(scenes[i].command); }), c);
  f.write("scenes/num_history", column<int64_t>(n, [&](size_t i) { return int64_t(scenes[i].num_history); }), c);
  f.write("scenes/ego_size", ego_size, 2, c);
  f.write("scenes/generator", column<std::string>(n, [&](size_t i) { return scenes[i].generator; }), c);
  f.write("scenes/generator_params", column<std::string>(n, [&](size_t i) { return scenes[i].generator_params; }), c);
  f.write("scenes/seed", column<uint64_t>(n, [&](size_t i) { return scenes[i].seed; }), c);
  f.write("scenes/source_log", column<std::string>(n, [&](size_t i) { return scenes[i].source_log; }), c);
  f.write("scenes/ego_offset", ego_offset, c);
  f.write("scenes/agent_offset", agent_offset, c);
  f.write("scenes/route_offset", route_offset, c);
  f.write("scenes/light_offset", light_offset, c);
  f.write("ego/state", ego_state, 7, c);
  f.write("agents/id", agent_id, c);
  f.write("agents/type", agent_type, c);
  f.write("agents/category", agent_category, c);
  f.write("agents/size", agent_size, 3, c);
  f.write("agents/state_offset", state_offset, c);
  f.write("agents/state", agent_state, 5, c);
  f.write("agents/valid", agent_valid, c);
  f.write("route/roadblock", route, c);
  f.write("traffic_lights/lane", light_lane, c);
  f.write("traffic_lights/state", light_state, c);
  f.write("traffic_lights/future_offset", light_future_offset, c);
  f.write("traffic_lights/future", light_future, c);
}

size_t shard_size(const h5::File& file) { return file.rows("scenes/token"); }

std::vector<Scene> read_shard(const h5::File& f, size_t first, size_t count) {
  const size_t n = count;
  const auto token = f.read_str("scenes/token", first, n);
  const auto log = f.read_str("scenes/log", first, n);
  const auto map_id = f.read_str("scenes/map_id", first, n);
  const auto domain = f.read_column<uint8_t>("scenes/domain", 1, first, n);
  const auto timestamp = f.read_column<int64_t>("scenes/timestamp_us", 1, first, n);
  const auto command = f.read_column<uint8_t>("scenes/command", 1, first, n);
  const auto num_history = f.read_column<int64_t>("scenes/num_history", 1, first, n);
  const auto ego_size = f.read_column<double>("scenes/ego_size", 2, first, n);
  const auto generator = f.read_str("scenes/generator", first, n);
  const auto params = f.read_str("scenes/generator_params", first, n);
  const auto seed = f.read_column<uint64_t>("scenes/seed", 1, first, n);
  const auto source_log = f.read_str("scenes/source_log", first, n);
  const auto ego_offset = f.read_i64("scenes/ego_offset", first, n + 1);
  const auto agent_offset = f.read_i64("scenes/agent_offset", first, n + 1);
  const auto route_offset = f.read_i64("scenes/route_offset", first, n + 1);
  const auto light_offset = f.read_i64("scenes/light_offset", first, n + 1);
  check_offsets(f, "scenes/ego_offset", ego_offset, f.rows("ego/state"));
  check_offsets(f, "scenes/agent_offset", agent_offset, f.rows("agents/id"));
  check_offsets(f, "scenes/route_offset", route_offset, f.rows("route/roadblock"));
  check_offsets(f, "scenes/light_offset", light_offset, f.rows("traffic_lights/lane"));

  // One read per child table for the whole block of scenes.
  const size_t e0 = ego_offset.front(), e1 = ego_offset.back();
  const size_t a0 = agent_offset.front(), a1 = agent_offset.back();
  const size_t r0 = route_offset.front(), l0 = light_offset.front();
  const auto ego_state = f.read_column<double>("ego/state", 7, e0, e1 - e0);
  const auto agent_id = f.read_str("agents/id", a0, a1 - a0);
  const auto agent_type = f.read_column<uint8_t>("agents/type", 1, a0, a1 - a0);
  // Optional column (added within schema 1): shards written before it, or by a writer that does
  // not know categories, hold only the coarse type.
  const bool has_category = f.exists("agents/category");
  if (has_category) {
    AUTOSCALE_CHECK(f.rows("agents/category") == f.rows("agents/id"), "{}: /agents/category has {} rows, /agents/id {}",
                    f.path(), f.rows("agents/category"), f.rows("agents/id"));
  }
  const auto agent_category =
      has_category ? f.read_u8("agents/category", a0, a1 - a0) : std::vector<uint8_t>(a1 - a0, 0);
  const auto agent_size = f.read_column<double>("agents/size", 3, a0, a1 - a0);
  const auto state_offset = f.read_i64("agents/state_offset", a0, a1 - a0 + 1);
  check_offsets(f, "agents/state_offset", state_offset, f.rows("agents/state"));
  const size_t s0 = state_offset.front(), s1 = state_offset.back();
  const auto agent_state = f.read_column<double>("agents/state", 5, s0, s1 - s0);
  const auto agent_valid = f.read_column<uint8_t>("agents/valid", 1, s0, s1 - s0);
  const auto route = f.read_str("route/roadblock", r0, route_offset.back() - r0);
  const auto light_lane = f.read_str("traffic_lights/lane", l0, light_offset.back() - l0);
  const auto light_state = f.read_u8("traffic_lights/state", l0, light_offset.back() - l0);
  // Optional columns (added within schema 1): shards written before them hold the current
  // states only, which the scorer holds over the horizon.
  const bool has_light_future = f.exists("traffic_lights/future_offset");
  std::vector<int64_t> future_offset;
  std::vector<uint8_t> light_future;
  if (has_light_future) {
    AUTOSCALE_CHECK(f.rows("traffic_lights/future_offset") == f.rows("traffic_lights/lane") + 1,
                    "{}: /traffic_lights/future_offset has {} rows, /traffic_lights/lane {} (+1 expected)", f.path(),
                    f.rows("traffic_lights/future_offset"), f.rows("traffic_lights/lane"));
    future_offset = f.read_i64("traffic_lights/future_offset", l0, light_offset.back() - l0 + 1);
    check_offsets(f, "traffic_lights/future_offset", future_offset, f.rows("traffic_lights/future"));
    light_future = f.read_u8("traffic_lights/future", future_offset.front(), future_offset.back() - future_offset.front());
  }

  std::vector<Scene> out(n);
  for (size_t i = 0; i < n; ++i) {
    Scene& s = out[i];
    s.token = token[i];
    s.log = log[i];
    s.map_id = map_id[i];
    AUTOSCALE_CHECK(domain[i] <= 1, "{}: scene {}: domain {} is not 0 or 1", f.path(), s.token, domain[i]);
    s.domain = static_cast<Domain>(domain[i]);
    s.timestamp_us = timestamp[i];
    AUTOSCALE_CHECK(command[i] <= 3, "{}: scene {}: command {} is not 0..3", f.path(), s.token, command[i]);
    s.command = static_cast<DrivingCommand>(command[i]);
    s.num_history = static_cast<int>(num_history[i]);
    s.ego_length = ego_size[2 * i];
    s.ego_width = ego_size[2 * i + 1];
    s.generator = generator[i];
    s.generator_params = params[i];
    s.seed = seed[i];
    s.source_log = source_log[i];
    s.ego.reserve(static_cast<size_t>(ego_offset[i + 1] - ego_offset[i]));
    s.agents.reserve(static_cast<size_t>(agent_offset[i + 1] - agent_offset[i]));
    for (int64_t r = ego_offset[i]; r < ego_offset[i + 1]; ++r) {
      const double* e = &ego_state[(r - e0) * 7];
      s.ego.push_back({e[0], e[1], e[2], e[3], e[4], e[5], e[6]});
    }
    AUTOSCALE_CHECK(s.num_history >= 0 && s.num_history < s.num_steps(),
                    "{}: scene {}: num_history {} outside its {} ego states", f.path(), s.token, s.num_history,
                    s.num_steps());
    for (int64_t a = agent_offset[i]; a < agent_offset[i + 1]; ++a) {
      const size_t k = a - a0;
      Agent agent;
      agent.id = agent_id[k];
      AUTOSCALE_CHECK(agent_type[k] <= 3, "{}: scene {}: agent type {} is not 0..3", f.path(), s.token, agent_type[k]);
      agent.type = static_cast<AgentType>(agent_type[k]);
      AUTOSCALE_CHECK(agent_category[k] <= kMaxAgentCategory, "{}: scene {}: agent {} category {} is not 0..{}",
                      f.path(), s.token, agent.id, agent_category[k], kMaxAgentCategory);
      agent.category = static_cast<AgentCategory>(agent_category[k]);
      agent.length = agent_size[3 * k];
      agent.width = agent_size[3 * k + 1];
      agent.height = agent_size[3 * k + 2];
      agent.states.reserve(static_cast<size_t>(state_offset[k + 1] - state_offset[k]));
      for (int64_t r = state_offset[k]; r < state_offset[k + 1]; ++r) {
        const double* st = &agent_state[(r - s0) * 5];
        agent.states.push_back({st[0], st[1], st[2], st[3], st[4], agent_valid[r - s0] != 0});
      }
      s.agents.push_back(std::move(agent));
    }
    for (int64_t r = route_offset[i]; r < route_offset[i + 1]; ++r) s.route.push_back(route[r - r0]);
    for (int64_t r = light_offset[i]; r < light_offset[i + 1]; ++r) {
      AUTOSCALE_CHECK(light_state[r - l0] <= 3, "{}: scene {}: light state {} is not 0..3", f.path(), s.token,
                      light_state[r - l0]);
      TrafficLight light{light_lane[r - l0], static_cast<LightState>(light_state[r - l0]), {}};
      if (has_light_future) {
        for (int64_t k = future_offset[r - l0]; k < future_offset[r - l0 + 1]; ++k) {
          const uint8_t st = light_future[k - future_offset.front()];
          AUTOSCALE_CHECK(st <= 3, "{}: scene {}: light {} future state {} is not 0..3", f.path(), s.token,
                          light.lane, st);
          light.future.push_back(static_cast<LightState>(st));
        }
      }
      s.traffic_lights.push_back(std::move(light));
    }
  }
  return out;
}

void write_map(h5::File& f, const Map& map, int c) {
  write_header(f, kMapFormat);
  f.write_attr("id", map.id);
  const size_t n = map.lanes.size();
  const auto& lanes = map.lanes;
  std::vector<int64_t> cl_off{0}, poly_off{0}, succ_off{0}, pred_off{0};
  std::vector<double> cl, poly;
  std::vector<std::string> succ, pred;
  for (const auto& l : lanes) {
    push_ring(l.centerline, cl, cl_off);
    push_ring(l.polygon, poly, poly_off);
    succ.insert(succ.end(), l.successors.begin(), l.successors.end());
    succ_off.push_back(static_cast<int64_t>(succ.size()));
    pred.insert(pred.end(), l.predecessors.begin(), l.predecessors.end());
    pred_off.push_back(static_cast<int64_t>(pred.size()));
  }
  f.write("lanes/id", column<std::string>(n, [&](size_t i) { return lanes[i].id; }), c);
  f.write("lanes/roadblock", column<std::string>(n, [&](size_t i) { return lanes[i].roadblock; }), c);
  f.write("lanes/connector", column<uint8_t>(n, [&](size_t i) { return uint8_t(lanes[i].connector); }), c);
  f.write("lanes/speed_limit", column<double>(n, [&](size_t i) { return lanes[i].speed_limit; }), 1, c);
  f.write("lanes/left", column<std::string>(n, [&](size_t i) { return lanes[i].left; }), c);
  f.write("lanes/right", column<std::string>(n, [&](size_t i) { return lanes[i].right; }), c);
  f.write("lanes/centerline_offset", cl_off, c);
  f.write("lanes/centerline", cl, 2, c);
  f.write("lanes/polygon_offset", poly_off, c);
  f.write("lanes/polygon", poly, 2, c);
  f.write("lanes/successor_offset", succ_off, c);
  f.write("lanes/successor", succ, c);
  f.write("lanes/predecessor_offset", pred_off, c);
  f.write("lanes/predecessor", pred, c);

  const auto& rbs = map.roadblocks;
  PolygonColumns rb_poly;
  for (const auto& rb : rbs) rb_poly.add(rb.polygon);
  f.write("roadblocks/id", column<std::string>(rbs.size(), [&](size_t i) { return rbs[i].id; }), c);
  f.write("roadblocks/connector", column<uint8_t>(rbs.size(), [&](size_t i) { return uint8_t(rbs[i].connector); }),
          c);
  rb_poly.write(f, "roadblocks", c);

  const auto& areas = map.areas;
  PolygonColumns area_poly;
  for (const auto& a : areas) area_poly.add(a.polygon);
  f.write("areas/id", column<std::string>(areas.size(), [&](size_t i) { return areas[i].id; }), c);
  f.write("areas/kind", column<uint8_t>(areas.size(), [&](size_t i) { return uint8_t(areas[i].kind); }), c);
  area_poly.write(f, "areas", c);
}

Map read_map(const h5::File& f) {
  check_header(f, kMapFormat);
  Map map;
  map.id = f.read_attr_str("id");
  const auto id = f.read_str("lanes/id");
  const auto roadblock = f.read_str("lanes/roadblock");
  const auto connector = f.read_u8("lanes/connector");
  const auto speed = f.read_f64("lanes/speed_limit", 1);
  const auto left = f.read_str("lanes/left");
  const auto right = f.read_str("lanes/right");
  const auto cl_off = f.read_i64("lanes/centerline_offset");
  const auto cl = f.read_f64("lanes/centerline", 2);
  const auto poly_off = f.read_i64("lanes/polygon_offset");
  const auto poly = f.read_f64("lanes/polygon", 2);
  const auto succ_off = f.read_i64("lanes/successor_offset");
  const auto succ = f.read_str("lanes/successor");
  const auto pred_off = f.read_i64("lanes/predecessor_offset");
  const auto pred = f.read_str("lanes/predecessor");
  const size_t n = id.size();
  for (const auto* v : {&cl_off, &poly_off, &succ_off, &pred_off}) {
    AUTOSCALE_CHECK(v->size() == n + 1, "{}: lane offsets have {} rows for {} lanes", f.path(), v->size(), n);
  }
  check_offsets(f, "lanes/centerline_offset", cl_off, cl.size() / 2);
  check_offsets(f, "lanes/polygon_offset", poly_off, poly.size() / 2);
  check_offsets(f, "lanes/successor_offset", succ_off, succ.size());
  check_offsets(f, "lanes/predecessor_offset", pred_off, pred.size());
  for (size_t i = 0; i < n; ++i) {
    Lane l;
    l.id = id[i];
    l.roadblock = roadblock[i];
    l.connector = connector[i] != 0;
    l.speed_limit = speed[i];
    l.left = left[i];
    l.right = right[i];
    l.centerline = read_points(cl, cl_off[i], cl_off[i + 1]);
    l.polygon = read_points(poly, poly_off[i], poly_off[i + 1]);
    l.successors.assign(succ.begin() + succ_off[i], succ.begin() + succ_off[i + 1]);
    l.predecessors.assign(pred.begin() + pred_off[i], pred.begin() + pred_off[i + 1]);
    map.lanes.push_back(std::move(l));
  }
  const auto rb_id = f.read_str("roadblocks/id");
  const auto rb_conn = f.read_u8("roadblocks/connector");
  auto rb_poly = read_polygons(f, "roadblocks");
  AUTOSCALE_CHECK(rb_poly.size() == rb_id.size(), "{}: {} roadblock polygons for {} roadblocks", f.path(),
                  rb_poly.size(), rb_id.size());
  for (size_t i = 0; i < rb_id.size(); ++i) map.roadblocks.push_back({rb_id[i], rb_conn[i] != 0, std::move(rb_poly[i])});
  const auto area_id = f.read_str("areas/id");
  const auto area_kind = f.read_u8("areas/kind");
  auto area_poly = read_polygons(f, "areas");
  AUTOSCALE_CHECK(area_poly.size() == area_id.size(), "{}: {} area polygons for {} areas", f.path(), area_poly.size(),
                  area_id.size());
  for (size_t i = 0; i < area_id.size(); ++i) {
    AUTOSCALE_CHECK(area_kind[i] <= 3, "{}: area {} has kind {}", f.path(), area_id[i], area_kind[i]);
    map.areas.push_back({area_id[i], static_cast<AreaKind>(area_kind[i]), std::move(area_poly[i])});
  }
  return map;
}

}  // namespace autoscale::scene::format
