#include "autoscale/scene/commonroad.h"

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numeric>
#include <unordered_map>

#include "autoscale/core/error.h"
#include "autoscale/scene/geometry.h"

namespace autoscale::scene {

void CommonRoadOptions::visit(ConfigVisitor& v) {
  v.section("window", window, "how each vehicle track is cut into scenes");
  v.field("joint_tolerance_m", joint_tolerance_m, "lanelet gaps narrower than twice this are closed [m]",
          at_least(0));
  v.field("min_hole_area_m2", min_hole_area_m2, "holes in the drivable union smaller than this are dropped [m^2]",
          at_least(0));
  v.field("skip_overlapping", skip_overlapping, "drop windows where the ego box overlaps another vehicle");
}

namespace {

// ------------------------------------------------------------------ XML reading helpers

std::string describe(const pugi::xml_node& node) {
  std::string d = fmt::format("<{}", node.name());
  if (auto id = node.attribute("id")) d += fmt::format(" id={}", id.value());
  return d + ">";
}

double parse_number(const pugi::xml_node& node, const std::string& where) {
  std::string text = node.text().get();
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  text = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  AUTOSCALE_CHECK(!text.empty() && *end == '\0', "{}: expected a number, got {}", where, quote(text));
  AUTOSCALE_CHECK(std::isfinite(v), "{}: expected a finite number, got {}", where, quote(text));
  return v;
}

pugi::xml_node child(const pugi::xml_node& node, const char* name, const std::string& where) {
  pugi::xml_node c = node.child(name);
  AUTOSCALE_CHECK(c, "{}: missing <{}>", where, name);
  return c;
}

// <exact>v</exact> or <intervalStart>a</intervalStart><intervalEnd>b</intervalEnd> (midpoint).
double exact_or_interval(const pugi::xml_node& node, const std::string& where) {
  if (auto e = node.child("exact")) return parse_number(e, where + "/exact");
  auto a = node.child("intervalStart");
  auto b = node.child("intervalEnd");
  AUTOSCALE_CHECK(a && b, "{}: expected <exact> or <intervalStart>/<intervalEnd>", where);
  return 0.5 * (parse_number(a, where + "/intervalStart") + parse_number(b, where + "/intervalEnd"));
}

Vec2 parse_point(const pugi::xml_node& point, const std::string& where) {
  return {parse_number(child(point, "x", where), where + "/x"), parse_number(child(point, "y", where), where + "/y")};
}

Polyline parse_bound(const pugi::xml_node& bound, const std::string& where) {
  Polyline out;
  int i = 0;
  for (auto p : bound.children("point")) out.push_back(parse_point(p, fmt::format("{} point {}", where, i++)));
  AUTOSCALE_CHECK(out.size() >= 2, "{}: a bound needs at least 2 points, got {}", where, out.size());
  return out;
}

// ------------------------------------------------------------------ map

struct Lanelet {
  std::string id;
  Polyline left, right;
  std::vector<std::string> successors, predecessors;
  std::string adjacent_left, adjacent_right;  // same driving direction only
  double speed_limit = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::string> light_refs;
};

std::string ref(const pugi::xml_node& n) { return n.attribute("ref").value(); }

Lanelet parse_lanelet(const pugi::xml_node& node, const std::unordered_map<std::string, double>& sign_speed) {
  Lanelet l;
  l.id = node.attribute("id").value();
  const std::string where = describe(node);
  AUTOSCALE_CHECK(!l.id.empty(), "<lanelet> without an id");
  l.left = parse_bound(child(node, "leftBound", where), where + "/leftBound");
  l.right = parse_bound(child(node, "rightBound", where), where + "/rightBound");
  AUTOSCALE_CHECK(l.left.size() == l.right.size(), "{}: leftBound has {} points, rightBound {}", where, l.left.size(),
                  l.right.size());
  for (auto s : node.children("successor")) l.successors.push_back(ref(s));
  for (auto p : node.children("predecessor")) l.predecessors.push_back(ref(p));
  auto same_dir = [](const pugi::xml_node& n) { return std::string(n.attribute("drivingDir").value()) == "same"; };
  if (auto a = node.child("adjacentLeft"); a && same_dir(a)) l.adjacent_left = ref(a);
  if (auto a = node.child("adjacentRight"); a && same_dir(a)) l.adjacent_right = ref(a);
  if (auto s = node.child("speedLimit")) l.speed_limit = parse_number(s, where + "/speedLimit");  // 2018b
  for (auto s : node.children("trafficSignRef")) {                                              // 2020a
    const auto it = sign_speed.find(ref(s));
    if (it != sign_speed.end()) l.speed_limit = it->second;
  }
  for (auto t : node.children("trafficLightRef")) l.light_refs.push_back(ref(t));
  return l;
}

// Speed-limit signs (2020a): German 274 and US R2-1 carry the limit in m/s as additionalValue.
std::unordered_map<std::string, double> parse_speed_signs(const pugi::xml_node& root) {
  std::unordered_map<std::string, double> out;
  for (auto sign : root.children("trafficSign")) {
    for (auto el : sign.children("trafficSignElement")) {
      const std::string id = el.child("trafficSignID").text().get();
      if ((id == "274" || id == "R2-1") && el.child("additionalValue")) {
        out[sign.attribute("id").value()] =
            parse_number(el.child("additionalValue"), describe(sign) + "/additionalValue");
      }
    }
  }
  return out;
}

// Groups lanelets connected through same-direction adjacency (union-find).
std::vector<std::vector<size_t>> roadblock_groups(const std::vector<Lanelet>& lanelets) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < lanelets.size(); ++i) index[lanelets[i].id] = i;
  std::vector<size_t> parent(lanelets.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::function<size_t(size_t)> find = [&](size_t i) { return parent[i] == i ? i : parent[i] = find(parent[i]); };
  for (size_t i = 0; i < lanelets.size(); ++i) {
    for (const auto* adj : {&lanelets[i].adjacent_left, &lanelets[i].adjacent_right}) {
      const auto it = index.find(*adj);
      if (it != index.end()) parent[find(i)] = find(it->second);
    }
  }
  std::map<size_t, std::vector<size_t>> groups;
  for (size_t i = 0; i < lanelets.size(); ++i) groups[find(i)].push_back(i);
  std::vector<std::vector<size_t>> out;
  for (auto& kv : groups) out.push_back(std::move(kv.second));
  return out;
}

Polyline lanelet_ring(const Lanelet& l) {
  Polyline ring = l.left;
  ring.insert(ring.end(), l.right.rbegin(), l.right.rend());
  return ring;
}

struct ParsedMap {
  Map map;
  std::unordered_map<std::string, std::vector<std::string>> lanes_of_light;  // light id -> lanes
};

ParsedMap parse_map(const pugi::xml_node& root, const std::string& map_id, const CommonRoadOptions& options) {
  const auto sign_speed = parse_speed_signs(root);
  std::vector<Lanelet> lanelets;
  for (auto node : root.children("lanelet")) lanelets.push_back(parse_lanelet(node, sign_speed));
  AUTOSCALE_CHECK(!lanelets.empty(), "no <lanelet> elements: the file has no road network");

  // Lanelets named as successors of an intersection's incomings drive through the junction.
  std::unordered_map<std::string, std::string> connector_of;  // lanelet -> intersection id
  for (auto inter : root.children("intersection")) {
    for (auto incoming : inter.children("incoming")) {
      for (const char* kind : {"successorsLeft", "successorsStraight", "successorsRight"}) {
        for (auto s : incoming.children(kind)) connector_of[ref(s)] = inter.attribute("id").value();
      }
    }
  }

  ParsedMap out;
  Map& map = out.map;
  map.id = map_id;
  const auto groups = roadblock_groups(lanelets);
  std::vector<std::string> roadblock_of(lanelets.size());
  for (const auto& group : groups) {
    bool all_connectors = true;
    std::vector<Polyline> rings;
    const std::string id = "rb-" + lanelets[group.front()].id;  // named after its first lanelet
    for (size_t i : group) {
      all_connectors = all_connectors && connector_of.count(lanelets[i].id);
      rings.push_back(lanelet_ring(lanelets[i]));
    }
    auto merged = union_rings(rings, options.joint_tolerance_m, options.min_hole_area_m2);
    std::string last_part = id;
    for (size_t k = 0; k < merged.size(); ++k) {
      // A roadblock normally is one polygon; disconnected lanes split it into parts, each its own
      // roadblock, and every lane points at the part that holds its centre.
      const std::string part_id = merged.size() == 1 ? id : fmt::format("{}#{}", id, k);
      for (size_t i : group) {
        const auto& l = lanelets[i];
        const size_t mid = l.left.size() / 2;
        const Vec2 centre{0.5 * (l.left[mid].x + l.right[mid].x), 0.5 * (l.left[mid].y + l.right[mid].y)};
        if (roadblock_of[i].empty() && (merged.size() == 1 || point_in_polygon(merged[k], centre))) {
          roadblock_of[i] = part_id;
        }
      }
      map.roadblocks.push_back({part_id, all_connectors, std::move(merged[k])});
      last_part = part_id;
    }
    for (size_t i : group) {
      if (roadblock_of[i].empty()) roadblock_of[i] = last_part;  // centre on a seam
    }
  }
  for (size_t i = 0; i < lanelets.size(); ++i) {
    const Lanelet& l = lanelets[i];
    Lane lane;
    lane.id = l.id;
    lane.roadblock = roadblock_of[i];
    lane.connector = connector_of.count(l.id) > 0;
    lane.speed_limit = l.speed_limit;
    for (size_t k = 0; k < l.left.size(); ++k) {
      lane.centerline.push_back({0.5 * (l.left[k].x + l.right[k].x), 0.5 * (l.left[k].y + l.right[k].y)});
    }
    lane.polygon = lanelet_ring(l);
    lane.successors = l.successors;
    lane.predecessors = l.predecessors;
    lane.left = l.adjacent_left;
    lane.right = l.adjacent_right;
    map.lanes.push_back(std::move(lane));
    for (const auto& light : l.light_refs) out.lanes_of_light[light].push_back(l.id);
  }
  // The drivable area: the union of every lanelet, so that a box straddling two lanelets (or a
  // joint) is inside, as it is on the real road.
  std::vector<Polyline> all;
  for (const auto& l : lanelets) all.push_back(lanelet_ring(l));
  auto drivable = union_rings(all, options.joint_tolerance_m, options.min_hole_area_m2);
  for (size_t k = 0; k < drivable.size(); ++k) {
    map.areas.push_back({fmt::format("drivable-{}", k), AreaKind::kGeneric, std::move(drivable[k])});
  }
  // Intersections as areas of their own (the connector lanelets' union), for NAVSIM's map layers.
  std::map<std::string, std::vector<Polyline>> junction_rings;
  for (const auto& l : lanelets) {
    const auto it = connector_of.find(l.id);
    if (it != connector_of.end()) junction_rings[it->second].push_back(lanelet_ring(l));
  }
  for (auto& [id, rings] : junction_rings) {
    auto parts = union_rings(rings, options.joint_tolerance_m, options.min_hole_area_m2);
    for (size_t k = 0; k < parts.size(); ++k) {
      map.areas.push_back({fmt::format("intersection-{}-{}", id, k), AreaKind::kIntersection, std::move(parts[k])});
    }
  }
  return out;
}

// ------------------------------------------------------------------ traffic lights

struct LightCycle {
  std::vector<std::pair<int, LightState>> phases;  // duration in steps, colour
  int offset = 0;
  LightState at(int step) const {
    int total = 0;
    for (const auto& p : phases) total += p.first;
    if (total <= 0) return LightState::kUnknown;
    int t = ((step + offset) % total + total) % total;
    for (const auto& p : phases) {
      if (t < p.first) return p.second;
      t -= p.first;
    }
    return LightState::kUnknown;
  }
};

LightState parse_color(const std::string& c) {
  if (c == "green") return LightState::kGreen;
  if (c == "yellow" || c == "redYellow") return LightState::kYellow;
  if (c == "red") return LightState::kRed;
  return LightState::kUnknown;
}

std::map<std::string, LightCycle> parse_lights(const pugi::xml_node& root) {
  std::map<std::string, LightCycle> out;
  for (auto light : root.children("trafficLight")) {
    const std::string where = describe(light);
    LightCycle cycle;
    auto c = light.child("cycle");
    for (auto el : c.children("cycleElement")) {
      cycle.phases.push_back({static_cast<int>(parse_number(child(el, "duration", where), where + "/duration")),
                              parse_color(el.child("color").text().get())});
    }
    if (auto off = c.child("timeOffset")) cycle.offset = static_cast<int>(parse_number(off, where + "/timeOffset"));
    out[light.attribute("id").value()] = cycle;
  }
  return out;
}

// ------------------------------------------------------------------ obstacles

struct Track {
  std::string id;
  AgentType type = AgentType::kVehicle;
  bool is_vehicle = false;  // may serve as the expert ego
  bool is_static = false;
  double length = 0, width = 0;
  std::map<int, AgentState> states;  // step -> state
  std::map<int, double> accel;       // step -> recorded longitudinal acceleration, when given
};

AgentType agent_type(const std::string& t, bool* vehicle) {
  *vehicle = t == "car" || t == "truck" || t == "bus" || t == "taxi" || t == "priorityVehicle" ||
             t == "motorcycle";
  if (*vehicle) return AgentType::kVehicle;
  if (t == "bicycle") return AgentType::kBicycle;
  if (t == "pedestrian") return AgentType::kPedestrian;
  return AgentType::kStatic;  // parkedVehicle, constructionZone, building, pillar, ...
}

void parse_state(const pugi::xml_node& state, const std::string& where, Track& track) {
  const int step = static_cast<int>(std::lround(exact_or_interval(child(state, "time", where), where + "/time")));
  auto pos = child(state, "position", where);
  AgentState s;
  const Vec2 p = parse_point(child(pos, "point", where + "/position"), where + "/position/point");
  s.x = p.x;
  s.y = p.y;
  s.heading = exact_or_interval(child(state, "orientation", where), where + "/orientation");
  double v = std::numeric_limits<double>::quiet_NaN();
  if (auto vel = state.child("velocity")) v = exact_or_interval(vel, where + "/velocity");
  s.vx = v * std::cos(s.heading);  // CommonRoad velocity is along the orientation
  s.vy = v * std::sin(s.heading);
  s.valid = true;
  track.states[step] = s;
  if (auto acc = state.child("acceleration")) track.accel[step] = exact_or_interval(acc, where + "/acceleration");
}

Track parse_obstacle(const pugi::xml_node& node, bool is_static) {
  Track t;
  t.id = node.attribute("id").value();
  const std::string where = describe(node);
  t.type = agent_type(child(node, "type", where).text().get(), &t.is_vehicle);
  t.is_static = is_static;
  auto rect = child(child(node, "shape", where), "rectangle", where + "/shape");  // circles/polygons unsupported
  t.length = parse_number(child(rect, "length", where), where + "/shape/length");
  t.width = parse_number(child(rect, "width", where), where + "/shape/width");
  AUTOSCALE_CHECK(t.length > 0 && t.width > 0, "{}: box {} x {} is degenerate", where, t.length, t.width);
  parse_state(child(node, "initialState", where), where + "/initialState", t);
  int i = 0;
  for (auto st : node.child("trajectory").children("state")) {
    parse_state(st, fmt::format("{}/trajectory/state[{}]", where, i++), t);
  }
  // Missing velocities (allowed by the format) come from position differences.
  for (auto it = t.states.begin(); it != t.states.end(); ++it) {
    if (std::isfinite(it->second.vx)) continue;
    auto nb = std::next(it) != t.states.end() ? std::next(it) : (it != t.states.begin() ? std::prev(it) : it);
    const double dt = (nb->first - it->first) * kStepSeconds;
    it->second.vx = dt != 0 ? (nb->second.x - it->second.x) / dt : 0.0;
    it->second.vy = dt != 0 ? (nb->second.y - it->second.y) / dt : 0.0;
  }
  return t;
}

std::vector<Track> parse_obstacles(const pugi::xml_node& root) {
  std::vector<Track> out;
  for (auto n : root.children("dynamicObstacle")) out.push_back(parse_obstacle(n, false));  // 2020a
  for (auto n : root.children("staticObstacle")) out.push_back(parse_obstacle(n, true));
  for (auto n : root.children("obstacle")) {  // 2018b
    const std::string role = n.child("role").text().get();
    out.push_back(parse_obstacle(n, role == "static"));
  }
  return out;
}

// ------------------------------------------------------------------ windows

bool covers(const Track& t, int first, int last) {
  for (int s = first; s <= last; ++s) {
    if (!t.states.count(s)) return false;
  }
  return true;
}

AgentState state_at(const Track& t, int step) {
  if (t.is_static && !t.states.empty()) return t.states.begin()->second;  // static: one state, always there
  const auto it = t.states.find(step);
  return it == t.states.end() ? AgentState{} : it->second;
}

EgoState ego_state(const Track& t, int step) {
  const AgentState& s = t.states.at(step);
  const double back = rear_axle_to_center(t.length);
  EgoState e;
  e.heading = s.heading;
  e.x = s.x - back * std::cos(s.heading);
  e.y = s.y - back * std::sin(s.heading);
  const double v = std::hypot(s.vx, s.vy);
  // Rear-axle velocity of a non-slipping vehicle is along its heading.
  e.vx = v;
  e.vy = 0.0;
  // Yaw rate from neighbouring headings; lateral acceleration is v * yaw rate.
  const auto prev = t.states.find(step - 1), next = t.states.find(step + 1);
  double yaw_rate = 0.0, dv = 0.0;
  if (prev != t.states.end() && next != t.states.end()) {
    yaw_rate = wrap_angle(next->second.heading - prev->second.heading) / (2 * kStepSeconds);
    dv = (std::hypot(next->second.vx, next->second.vy) - std::hypot(prev->second.vx, prev->second.vy)) /
         (2 * kStepSeconds);
  }
  const auto acc = t.accel.find(step);
  e.ax = acc != t.accel.end() ? acc->second : dv;
  e.ay = v * yaw_rate;
  return e;
}

bool overlaps_any(const Track& ego, const std::vector<Track>& tracks, int first, int last) {
  for (int s = first; s <= last; ++s) {
    const AgentState& e = ego.states.at(s);
    const auto ebox = box_corners(e.x, e.y, e.heading, ego.length, ego.width);
    for (const auto& t : tracks) {
      if (&t == &ego || t.type != AgentType::kVehicle) continue;
      const AgentState o = state_at(t, s);
      if (!o.valid) continue;
      if (boxes_overlap(ebox, box_corners(o.x, o.y, o.heading, t.length, t.width))) return true;
    }
  }
  return false;
}

}  // namespace

CommonRoadImport import_commonroad(const std::string& path, const CommonRoadOptions& options) {
  return with_context(path, [&] {
    options.window.validate();
    AUTOSCALE_CHECK(std::filesystem::exists(path), "no such file");
    AUTOSCALE_CHECK(std::filesystem::file_size(path) > 0, "empty file");
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed = doc.load_file(path.c_str());
    AUTOSCALE_CHECK(parsed, "malformed XML at byte {}: {}", parsed.offset, parsed.description());
    const pugi::xml_node root = doc.child("commonRoad");
    AUTOSCALE_CHECK(root, "not a CommonRoad file (no <commonRoad> root element)");
    const std::string version = root.attribute("commonRoadVersion").value();
    AUTOSCALE_CHECK(version == "2018b" || version == "2020a", "commonRoadVersion {} is not supported (2018b, 2020a)",
                    quote(version));
    const std::string dt_text = root.attribute("timeStepSize").value();
    AUTOSCALE_CHECK(std::abs(std::atof(dt_text.c_str()) - kStepSeconds) < 1e-9,
                    "timeStepSize {} is not supported: tracks must be at 10 Hz (0.1)", quote(dt_text));
    std::string benchmark = root.attribute("benchmarkID").value();
    if (benchmark.empty()) benchmark = std::filesystem::path(path).stem().string();

    CommonRoadImport out;
    ParsedMap parsed_map = parse_map(root, benchmark, options);
    out.map = std::move(parsed_map.map);
    const auto lights = parse_lights(root);
    const auto tracks = parse_obstacles(root);

    const WindowOptions& w = options.window;
    const int H = w.history_steps(), F = w.future_steps(), Fmin = w.min_future_steps(), stride = w.stride_steps();
    const nlohmann::json params_base = {{"source", std::filesystem::path(path).filename().string()},
                                        {"commonroad_version", version},
                                        {"history_s", w.history_s},
                                        {"future_s", w.future_s},
                                        {"min_future_s", w.min_future_s},
                                        {"stride_s", w.stride_s}};
    for (const auto& ego : tracks) {
      if (!ego.is_vehicle || ego.is_static || ego.states.empty()) continue;
      ++out.stats.vehicles;
      const int first = ego.states.begin()->first, last = ego.states.rbegin()->first;
      out.stats.longest_track_s = std::max(out.stats.longest_track_s, (last - first) * kStepSeconds);
      bool any = false;
      // Current frames on a global grid (multiples of the stride), so windows of different
      // vehicles line up in time.
      const int c0 = ((first + H + stride - 1) / stride) * stride;
      for (int c = c0; c + Fmin <= last; c += stride) {
        const int end = std::min(c + F, last);
        if (!covers(ego, c - H, end)) continue;
        if (options.skip_overlapping && overlaps_any(ego, tracks, c - H, end)) {
          ++out.stats.skipped_overlapping;
          continue;
        }
        any = true;
        Scene s;
        s.token = fmt::format("{}-{}-{:04d}", benchmark, ego.id, c);
        s.log = benchmark;
        s.map_id = out.map.id;
        s.domain = Domain::kReal;
        s.timestamp_us = static_cast<int64_t>(std::llround(c * kStepSeconds * 1e6));
        s.generator = "commonroad";
        nlohmann::json params = params_base;
        params["ego_track"] = ego.id;
        s.generator_params = params.dump();
        s.num_history = H;
        s.ego_length = ego.length;
        s.ego_width = ego.width;
        for (int k = c - H; k <= end; ++k) s.ego.push_back(ego_state(ego, k));
        for (const auto& t : tracks) {
          if (&t == &ego) continue;
          Agent a;
          a.id = t.id;
          a.type = t.type;
          a.length = t.length;
          a.width = t.width;
          a.height = 0.0;  // CommonRoad boxes are 2-D
          bool seen = false;
          for (int k = c - H; k <= end; ++k) {
            a.states.push_back(state_at(t, k));
            seen = seen || a.states.back().valid;
          }
          if (seen) s.agents.push_back(std::move(a));
        }
        s.route = route_from_path(out.map, s.ego);
        s.command = infer_command(s);
        for (const auto& [light_id, lanes] : parsed_map.lanes_of_light) {
          const auto it = lights.find(light_id);
          if (it == lights.end()) continue;
          for (const auto& lane : lanes) s.traffic_lights.push_back({lane, it->second.at(c)});
        }
        out.scenes.push_back(std::move(s));
      }
      if (!any) ++out.stats.skipped_short;
    }
    out.stats.windows = out.scenes.size();
    return out;
  });
}

}  // namespace autoscale::scene
