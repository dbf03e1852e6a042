#include "autoscale/eval/case_file.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <unordered_map>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/eval/history.h"

namespace autoscale::eval {
namespace {

using json = nlohmann::json;

// Typed access to a JSON value with the field path for messages.
class Field {
 public:
  Field(const json& value, std::string path) : v_(value), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  bool has(const char* key) const { return v_.is_object() && v_.contains(key) && !v_.at(key).is_null(); }
  Field operator[](const char* key) const {
    // The case itself has no path: its error is "case #0: expected an object", not "case #0: : ...".
    AUTOSCALE_CHECK(v_.is_object(), "{}expected an object, got {}", path_.empty() ? "" : path_ + ": ", v_.type_name());
    AUTOSCALE_CHECK(v_.contains(key), "{}: missing", join(key));
    return Field(v_.at(key), join(key));
  }
  Field at(size_t i) const { return Field(v_.at(i), fmt::format("{}[{}]", path_, i)); }
  size_t size() const {
    AUTOSCALE_CHECK(v_.is_array(), "{}: expected a list, got {}", path_, v_.type_name());
    return v_.size();
  }
  double number() const {
    AUTOSCALE_CHECK(v_.is_number(), "{}: expected a finite number, got {}", path_, quote(v_.dump()));
    const double d = v_.get<double>();
    AUTOSCALE_CHECK(std::isfinite(d), "{}: expected a finite number, got {}", path_, d);
    return d;
  }
  std::string string() const {
    AUTOSCALE_CHECK(v_.is_string(), "{}: expected a string, got {}", path_, quote(v_.dump()));
    return v_.get<std::string>();
  }
  bool boolean() const {
    AUTOSCALE_CHECK(v_.is_boolean(), "{}: expected true or false, got {}", path_, quote(v_.dump()));
    return v_.get<bool>();
  }
  std::vector<double> numbers(size_t expected) const {
    AUTOSCALE_CHECK(size() == expected, "{}: expected {} numbers, got {}", path_, expected, v_.size());
    std::vector<double> out;
    for (size_t i = 0; i < expected; ++i) out.push_back(at(i).number());
    return out;
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < size(); ++i) out.push_back(at(i).string());
    return out;
  }
  scene::Polyline points(size_t min_points) const {
    scene::Polyline out;
    for (size_t i = 0; i < size(); ++i) {
      const auto xy = at(i).numbers(2);
      out.push_back({xy[0], xy[1]});
    }
    AUTOSCALE_CHECK(out.size() >= min_points, "{}: expected at least {} points, got {}", path_, min_points, out.size());
    // The last point may repeat the first; rings are closed implicitly.
    if (out.size() > 3 && out.front().x == out.back().x && out.front().y == out.back().y) out.pop_back();
    return out;
  }

 private:
  std::string join(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  const json& v_;
  std::string path_;
};

Plan parse_plan(const Field& f) {
  Plan p;
  p.interval = f["interval"].number();
  AUTOSCALE_CHECK(p.interval > 0, "{}.interval: expected a positive number, got {}", f.path(), p.interval);
  const Field poses = f["poses"];
  AUTOSCALE_CHECK(poses.size() > 0, "{}: no poses", poses.path());
  for (size_t i = 0; i < poses.size(); ++i) {
    const auto v = poses.at(i).numbers(3);
    p.poses.push_back({v[0], v[1], v[2]});
  }
  return p;
}

// ego.history: logged past states [t, x, y, heading, vx, vy, ax, ay] with t < 0 increasing (a
// last entry at t = 0 is allowed); the current state closes the list when absent.
std::vector<sim::State> parse_history(const Field& f, const sim::State& current) {
  std::vector<HistorySample> logged;
  for (size_t i = 0; i < f.size(); ++i) {
    const auto v = f.at(i).numbers(8);
    AUTOSCALE_CHECK(v[0] <= 0, "{}: expected a time <= 0, got {}", f.at(i).path(), v[0]);
    AUTOSCALE_CHECK(logged.empty() || v[0] > logged.back().t, "{}: times must increase", f.at(i).path());
    HistorySample h;
    h.t = v[0];
    h.state.x = v[1], h.state.y = v[2], h.state.heading = v[3];
    h.state.vx = v[4], h.state.vy = v[5], h.state.ax = v[6], h.state.ay = v[7];
    logged.push_back(h);
  }
  if (logged.empty()) return {};
  if (logged.back().t < 0) logged.push_back({0.0, current});
  return history_states(logged);
}

scene::AgentType parse_type(const Field& f) {
  const std::string t = f.string();
  if (t == "vehicle") return scene::AgentType::kVehicle;
  if (t == "pedestrian") return scene::AgentType::kPedestrian;
  if (t == "bicycle") return scene::AgentType::kBicycle;
  if (t == "static") return scene::AgentType::kStatic;
  AUTOSCALE_THROW("{}: expected vehicle, pedestrian, bicycle or static, got {}", f.path(), quote(t));
}

std::shared_ptr<const scene::Map> parse_map(const Field& m, const std::string& token, std::vector<std::string>* route) {
  auto map = std::make_shared<scene::Map>();
  map->id = "case-" + token;
  std::unordered_map<std::string, std::string> roadblock_of;
  // Ids are references (the route names roadblocks, lights and successors name lanes): a repeated
  // id would make one of its objects silently unreachable.
  std::unordered_map<std::string, std::string> roadblock_path;
  for (const char* layer : {"roadblocks", "roadblock_connectors"}) {
    if (!m.has(layer)) continue;
    const Field list = m[layer];
    for (size_t i = 0; i < list.size(); ++i) {
      const Field rb = list.at(i);
      scene::Roadblock r;
      r.id = rb["id"].string();
      const auto [first, fresh] = roadblock_path.emplace(r.id, rb["id"].path());
      AUTOSCALE_CHECK(fresh, "{}: duplicate roadblock id {} (also {})", rb["id"].path(), quote(r.id), first->second);
      r.connector = std::string(layer) == "roadblock_connectors";
      r.polygon.exterior = rb["polygon"].points(3);
      for (const auto& lane : rb["lanes"].strings()) roadblock_of[lane] = r.id;
      map->roadblocks.push_back(std::move(r));
    }
  }
  const Field lanes = m["lanes"];
  std::unordered_map<std::string, std::string> lane_path;
  for (size_t i = 0; i < lanes.size(); ++i) {
    const Field l = lanes.at(i);
    scene::Lane lane;
    lane.id = l["id"].string();
    const auto [first, fresh] = lane_path.emplace(lane.id, l["id"].path());
    AUTOSCALE_CHECK(fresh, "{}: duplicate lane id {} (also {})", l["id"].path(), quote(lane.id), first->second);
    lane.connector = l.has("connector") && l["connector"].boolean();
    lane.polygon = l["polygon"].points(3);
    lane.centerline = l["centerline"].points(2);
    if (l.has("speed_limit")) lane.speed_limit = l["speed_limit"].number();
    if (l.has("successors")) lane.successors = l["successors"].strings();
    const auto it = roadblock_of.find(lane.id);
    lane.roadblock = it != roadblock_of.end() ? it->second : "";
    map->lanes.push_back(std::move(lane));
  }
  std::unordered_map<std::string, scene::Lane*> by_id;
  for (auto& l : map->lanes) by_id[l.id] = &l;
  for (auto& l : map->lanes) {
    for (const auto& s : l.successors) {
      if (by_id.count(s)) by_id[s]->predecessors.push_back(l.id);
    }
  }
  for (const auto& [layer, kind] : {std::pair{"intersections", scene::AreaKind::kIntersection},
                                    std::pair{"carparks", scene::AreaKind::kCarpark}}) {
    if (!m.has(layer)) continue;
    const Field list = m[layer];
    for (size_t i = 0; i < list.size(); ++i) {
      map->areas.push_back({list.at(i)["id"].string(), kind, {list.at(i)["polygon"].points(3), {}}});
    }
  }
  // Without a route every lane is off-route and the scorer has nothing to follow: an empty or
  // dangling route scored PDMS 1 instead of being refused.
  const Field route_field = m["route"];
  *route = route_field.strings();
  AUTOSCALE_CHECK(!route->empty(), "{}: empty (expected the ids of the roadblocks the ego drives through)",
                  route_field.path());
  for (size_t i = 0; i < route->size(); ++i) {
    AUTOSCALE_CHECK(roadblock_path.count((*route)[i]), "{}: roadblock {} is not in {}.roadblocks or {}.roadblock_connectors",
                    route_field.at(i).path(), quote((*route)[i]), m.path(), m.path());
  }
  return map;
}

ScoringCase parse_case(const json& j, size_t index) {
  std::string token = fmt::format("#{}", index);
  try {
    const Field c(j, "");
    const std::string named = c["token"].string();
    AUTOSCALE_CHECK(!named.empty(), "token: empty (the case's name in every message and output line)");
    token = named;
    if (c.has("schema")) {
      const std::string schema = c["schema"].string();
      AUTOSCALE_CHECK(schema == "autoscale-case/1", "schema: expected \"autoscale-case/1\", got {}", quote(schema));
    }
    ScoringCase out;
    SceneInputs& in = out.inputs;
    in.token = token;
    const Field ego = c["ego"];
    const auto pose = ego["pose"].numbers(3);
    const auto vel = ego["velocity"].numbers(2);
    const auto acc = ego.has("acceleration") ? ego["acceleration"].numbers(2) : std::vector<double>{0, 0};
    in.initial.x = pose[0], in.initial.y = pose[1], in.initial.heading = pose[2];
    in.initial.vx = vel[0], in.initial.vy = vel[1], in.initial.ax = acc[0], in.initial.ay = acc[1];
    if (ego.has("history")) in.history = parse_history(ego["history"], in.initial);
    in.map = parse_map(c["map"], token, &in.route);
    if (c.has("agents")) {
      const Field agents = c["agents"];
      for (size_t i = 0; i < agents.size(); ++i) {
        const Field a = agents.at(i);
        AgentTrack t;
        t.id = a["id"].string();
        t.type = parse_type(a["type"]);
        const auto size = a["size"].numbers(2);
        t.length = size[0], t.width = size[1];
        AUTOSCALE_CHECK(t.length > 0 && t.width > 0, "{}.size: expected positive sizes", a.path());
        const Field track = a["track"];
        for (size_t k = 0; k < track.size(); ++k) {
          const auto v = track.at(k).numbers(6);
          AUTOSCALE_CHECK(t.samples.empty() || v[0] > t.samples.back().t, "{}: times must increase",
                          track.at(k).path());
          t.samples.push_back({v[0], v[1], v[2], v[3], v[4], v[5]});
        }
        in.tracks.push_back(std::move(t));
      }
    }
    if (c.has("traffic_lights")) {
      const Field lights = c["traffic_lights"];
      auto state = [](bool red) { return red ? scene::LightState::kRed : scene::LightState::kGreen; };
      for (size_t i = 0; i < lights.size(); ++i) {
        const Field light = lights.at(i);
        scene::TrafficLight l{light["lane"].string(), state(light["red"].boolean()), {}};
        // Optional extension: the states of NAVSIM's later 2 Hz frames (t = 0.5, 1.0, ... s), which
        // v2 TLC samples and holds; spread onto the 0.1 s grid of scene::TrafficLight::future.
        if (light.has("future_red")) {
          const Field future = light["future_red"];
          for (size_t k = 1; k < 5 * (future.size() + 1); ++k) {
            l.future.push_back(k < 5 ? l.state : state(future.at(k / 5 - 1).boolean()));
          }
        }
        in.lights.push_back(std::move(l));
      }
    }
    out.trajectory = parse_plan(c["trajectory"]);
    if (c.has("reference")) in.reference = parse_plan(c["reference"]);
    return out;
  } catch (Error& e) {
    e.add_context("case " + token);
    throw;
  }
}

std::string fmt_value(double v) { return std::isnan(v) ? "null" : fmt::format("{}", v); }

}  // namespace

std::vector<ScoringCase> parse_cases(const std::string& text, const std::string& origin) {
  return with_context(origin, [&] {
    json j;
    try {
      j = json::parse(text);
    } catch (const json::parse_error& e) {
      AUTOSCALE_THROW("invalid JSON at byte {}: {}", e.byte, e.what());
    }
    std::vector<ScoringCase> out;
    if (j.is_array()) {
      for (size_t i = 0; i < j.size(); ++i) out.push_back(parse_case(j[i], i));
    } else {
      out.push_back(parse_case(j, 0));
    }
    AUTOSCALE_CHECK(!out.empty(), "no cases");
    return out;
  });
}

std::vector<ScoringCase> read_cases(const std::string& path) { return parse_cases(read_file(path), path); }

std::string score_json(const std::string& token, const SubScores& s, PdmsVersion version) {
  std::string out = fmt::format("{{\"token\": {}, \"nc\": {}, \"dac\": {}, \"ddc\": {}, \"ttc\": {}, \"ep\": {}, ",
                                json(token).dump(), fmt_value(s.nc), fmt_value(s.dac), fmt_value(s.ddc),
                                fmt_value(s.ttc), fmt_value(s.ep));
  if (version == PdmsVersion::kV1) {
    out += fmt::format("\"c\": {}, \"pdms\": {}}}", fmt_value(s.c), fmt_value(s.score));
  } else {
    out += fmt::format("\"tlc\": {}, \"lk\": {}, \"hc\": {}, \"ec\": {}, \"epdms\": {}}}", fmt_value(s.tlc),
                       fmt_value(s.lk), fmt_value(s.hc), fmt_value(s.ec), fmt_value(s.score));
  }
  return out;
}

}  // namespace autoscale::eval
