#include "autoscale/import/commonroad.h"

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
#include "autoscale/store/inspect.h"

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

// A coordinate, checked against kMaxMapCoordinate: 1e308 is finite, but no recording is that far
// from its origin, and the geometry (polygon unions, projections) is meaningless there.
double parse_coordinate(const pugi::xml_node& node, const std::string& where) {
  const double v = parse_number(node, where);
  AUTOSCALE_CHECK(std::abs(v) <= kMaxMapCoordinate, "{}: coordinate {} is more than {:g} m from the origin", where, v,
                  kMaxMapCoordinate);
  return v;
}

Vec2 parse_point(const pugi::xml_node& point, const std::string& where) {
  return {parse_coordinate(child(point, "x", where), where + "/x"),
          parse_coordinate(child(point, "y", where), where + "/y")};
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
  std::vector<Lanelet> lanelets;  // as read, for the traffic lights
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
  // The checks `inspect` runs on every stored map (unique ids, references that resolve, points
  // in range, polylines of 2 points or more): a map it would reject is never stored.
  const auto problems = validate_map(map);
  AUTOSCALE_CHECK(problems.empty(), "invalid road network: {}{}", problems.front(),
                  problems.size() > 1 ? fmt::format(" (and {} more problems)", problems.size() - 1) : "");
  out.lanelets = std::move(lanelets);
  return out;
}

// ------------------------------------------------------------------ traffic lights

// A 2020a <trafficLight>: a cycle of (duration, colour) phases. commonroad-io's
// TrafficLight.get_state_at_time_step: the cycle starts at time step `timeOffset` and repeats, so
// step t is in phase ((t - offset) mod cycle length). SinD's conversion writes the recorded states
// of the scenario's window as one cycle starting at step 0; NGSIM's are signal plans.
struct LightCycle {
  std::vector<std::pair<int, LightState>> phases;  // duration in steps, colour
  int offset = 0;
  bool active = true;  // <active>false</active>: switched off, no constraint
  std::string direction = "all";  // movements it controls (right, straight, left, leftStraight, ...)
  LightState at(int step) const {
    int total = 0;
    for (const auto& p : phases) total += p.first;
    if (!active || total <= 0) return LightState::kUnknown;
    int t = ((step - offset) % total + total) % total;
    for (const auto& p : phases) {
      if (t < p.first) return p.second;
      t -= p.first;
    }
    return LightState::kUnknown;
  }
};

// "inactive" (a switched-off arrow) and unknown colours constrain nothing, like nuPlan's UNKNOWN.
LightState parse_color(const std::string& c) {
  if (c == "green") return LightState::kGreen;
  if (c == "yellow" || c == "redYellow") return LightState::kYellow;
  if (c == "red") return LightState::kRed;
  return LightState::kUnknown;
}

// `ratio`: 10 Hz steps per file step (durations and offsets are in file steps).
std::map<std::string, LightCycle> parse_lights(const pugi::xml_node& root, int ratio) {
  std::map<std::string, LightCycle> out;
  for (auto light : root.children("trafficLight")) {
    const std::string where = describe(light);
    LightCycle cycle;
    auto c = child(light, "cycle", where);
    int i = 0;
    for (auto el : c.children("cycleElement")) {
      const std::string at = fmt::format("{}/cycleElement[{}]", where, i++);
      const double steps = parse_number(child(el, "duration", at), at + "/duration");
      AUTOSCALE_CHECK(steps >= 0 && steps == std::floor(steps), "{}/duration: expected a whole number of steps >= 0, "
                      "got {}", at, steps);
      cycle.phases.push_back({static_cast<int>(steps) * ratio, parse_color(child(el, "color", at).text().get())});
    }
    if (auto off = c.child("timeOffset")) {
      cycle.offset = static_cast<int>(std::lround(parse_number(off, where + "/timeOffset"))) * ratio;
    }
    if (auto a = light.child("active")) cycle.active = std::string(a.text().get()) != "false";
    if (auto d = light.child("direction")) cycle.direction = d.text().get();
    out[light.attribute("id").value()] = cycle;
  }
  return out;
}

// Which way a connector leaves its incoming lanelet, from <intersection><incoming>.
enum class Movement : uint8_t { kUnknown, kLeft, kStraight, kRight };

// The movements a <direction> names (2020a: right, straight, left, leftStraight, straightRight,
// leftRight, all); a missing or unknown direction controls every movement.
std::vector<Movement> movements_of(const std::string& direction) {
  static const std::map<std::string, std::vector<Movement>> table{
      {"right", {Movement::kRight}},
      {"straight", {Movement::kStraight}},
      {"left", {Movement::kLeft}},
      {"leftStraight", {Movement::kLeft, Movement::kStraight}},
      {"straightRight", {Movement::kStraight, Movement::kRight}},
      {"leftRight", {Movement::kLeft, Movement::kRight}}};
  const auto it = table.find(direction);
  return it == table.end() ? std::vector<Movement>{Movement::kLeft, Movement::kStraight, Movement::kRight}
                           : it->second;
}

bool light_covers(const std::string& direction, Movement m) {
  const auto ms = movements_of(direction);
  return m == Movement::kUnknown || std::find(ms.begin(), ms.end(), m) != ms.end();
}

// The lanes each light controls, in the store's (NAVSIM) convention. CommonRoad refers to a
// light from the lanelet that ends at its stop line; NAVSIM puts the status on the lane
// connector past it (PDM-Closed blocks entering a red connector; an ego already queued on the
// incoming lane is not "in" the light). So every successor of a referring lanelet gets the light
// whose <direction> covers that successor's movement; of several, the most specific.
std::vector<std::pair<std::string, std::string>> controlled_lanes(
    const pugi::xml_node& root, const std::vector<Lanelet>& lanelets, const std::map<std::string, LightCycle>& lights) {
  std::map<std::pair<std::string, std::string>, Movement> movement;  // (incoming lanelet, successor)
  for (auto inter : root.children("intersection")) {
    for (auto incoming : inter.children("incoming")) {
      for (auto in : incoming.children("incomingLanelet")) {
        for (const auto& [kind, m] : {std::pair{"successorsLeft", Movement::kLeft},
                                      std::pair{"successorsStraight", Movement::kStraight},
                                      std::pair{"successorsRight", Movement::kRight}}) {
          for (auto s : incoming.children(kind)) movement[{ref(in), ref(s)}] = m;
        }
      }
    }
  }
  std::map<std::string, std::string> light_of_lane;  // lane -> light id (first wins on ties)
  for (const Lanelet& l : lanelets) {
    for (const auto& succ : l.successors) {
      const auto it = movement.find({l.id, succ});
      const Movement m = it == movement.end() ? Movement::kUnknown : it->second;
      const std::string* best = nullptr;
      for (const auto& id : l.light_refs) {
        const auto light = lights.find(id);
        if (light == lights.end() || !light_covers(light->second.direction, m)) continue;
        if (!best || movements_of(light->second.direction).size() < movements_of(lights.at(*best).direction).size()) {
          best = &id;
        }
      }
      if (best && !light_of_lane.count(succ)) light_of_lane[succ] = *best;
    }
  }
  return {light_of_lane.begin(), light_of_lane.end()};
}

// ------------------------------------------------------------------ obstacles

struct Track {
  std::string id;
  std::string source_type;  // the file's <type>, e.g. "car", "pedestrian"
  AgentType type = AgentType::kVehicle;
  AgentCategory category = AgentCategory::kUnspecified;
  bool ego_candidate = false;  // may serve as the expert ego
  bool is_static = false;
  double length = 0, width = 0;
  std::map<int, AgentState> states;  // step -> state
  std::map<int, double> accel;       // step -> recorded longitudinal acceleration, when given
};

// CommonRoad obstacle types -> category, NAVSIM class, and whether the track may be the expert.
// The expert ego is a car, truck or bus (taxis and priority vehicles are cars): NAVSIM's ego is
// a passenger car, and a demanding user would not train or score a car planner on the recorded
// paths of cyclists, motorcyclists or pedestrians (other speeds, other right of way, other
// space on the road). Those keep their class as agents, which NAVSIM scores like vehicles in NC
// and TTC. parkedVehicle, constructionZone, building, pillar, ... are static objects.
void classify(const std::string& t, Track& track) {
  struct Row {
    const char* name;
    AgentCategory category;
    bool ego;
  };
  static constexpr Row kRows[] = {
      {"car", AgentCategory::kCar, true},          {"taxi", AgentCategory::kCar, true},
      {"priorityVehicle", AgentCategory::kCar, true}, {"truck", AgentCategory::kTruck, true},
      {"bus", AgentCategory::kBus, true},          {"motorcycle", AgentCategory::kMotorcycle, false},
      {"bicycle", AgentCategory::kBicycle, false}, {"tricycle", AgentCategory::kTricycle, false},
      {"pedestrian", AgentCategory::kPedestrian, false},
  };
  track.source_type = t;
  for (const auto& r : kRows) {
    if (t == r.name) {
      track.category = r.category;
      track.type = coarse_type(r.category);
      track.ego_candidate = r.ego;
      return;
    }
  }
  track.category = AgentCategory::kUnspecified;
  track.type = AgentType::kStatic;
  track.ego_candidate = false;
}

// <rectangle> gives the box; a <circle> (SinD's pedestrians) becomes the square around it, the
// footprint a box-based scorer can use. Polygons and shape groups are not supported.
void parse_shape(const pugi::xml_node& shape, const std::string& where, Track& t) {
  if (auto rect = shape.child("rectangle")) {
    t.length = parse_number(child(rect, "length", where + "/rectangle"), where + "/rectangle/length");
    t.width = parse_number(child(rect, "width", where + "/rectangle"), where + "/rectangle/width");
  } else if (auto circle = shape.child("circle")) {
    t.length = t.width = 2 * parse_number(child(circle, "radius", where + "/circle"), where + "/circle/radius");
  } else {
    const char* got = shape.first_child() ? shape.first_child().name() : "nothing";
    AUTOSCALE_CHECK(false, "{}: expected <rectangle> or <circle>, got <{}>", where, got);
  }
  AUTOSCALE_CHECK(t.length > 0 && t.width > 0, "{}: size {} x {} is degenerate", where, t.length, t.width);
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
  classify(child(node, "type", where).text().get(), t);
  t.is_static = is_static;
  parse_shape(child(node, "shape", where), where + "/shape", t);
  parse_state(child(node, "initialState", where), where + "/initialState", t);
  int i = 0;
  for (auto st : node.child("trajectory").children("state")) {
    parse_state(st, fmt::format("{}/trajectory/state[{}]", where, i++), t);
  }
  return t;
}

// ------------------------------------------------------------------ time step

// The file's time step. CommonRoad declares it (timeStepSize), but a converter can get it wrong:
// SinD's CommonRoad files declare 0.1 s, yet every moving obstacle covers 5.0x (p10-p90:
// 4.9-5.2) the distance its recorded speed allows in 0.1 s: pedestrians would walk at 6-7 m/s
// and yellow lights last 0.6 s. At 0.5 s per step (SinD's 10 Hz frames downsampled by 5) both
// are right (1.3 m/s, 3 s). NGSIM files agree with their 0.1 s to 0.1 %. So the step the
// recorded speeds imply is measured: the declared one when they agree (+-10 %), a whole
// multiple of it when the positions say so (recorded in generator_params and the stats), and an
// error naming both otherwise. Files with fewer than kMinSpeedSamples moving states are trusted.
constexpr size_t kMinSpeedSamples = 20;
constexpr double kMovingSpeed = 1.0;  // m/s; slower states say little about the step

double implied_step_ratio(const std::vector<Track>& tracks, double declared_s, size_t* samples) {
  std::vector<double> q;
  for (const auto& t : tracks) {
    for (const auto& [k, s] : t.states) {
      const double v = std::hypot(s.vx, s.vy);  // as recorded (NaN where the file has none)
      const auto prev = t.states.find(k - 1), next = t.states.find(k + 1);
      if (!(v > kMovingSpeed) || prev == t.states.end() || next == t.states.end()) continue;
      const double d = 0.5 * std::hypot(next->second.x - prev->second.x, next->second.y - prev->second.y);
      q.push_back(d / (v * declared_s));
    }
  }
  *samples = q.size();
  if (q.size() < kMinSpeedSamples) return 1.0;
  std::nth_element(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(q.size() / 2), q.end());
  return q[q.size() / 2];
}

// Fills velocities the file leaves out (the format allows it) from position differences.
void fill_missing_velocities(Track& t, double step_s) {
  for (auto it = t.states.begin(); it != t.states.end(); ++it) {
    if (std::isfinite(it->second.vx)) continue;
    auto nb = std::next(it) != t.states.end() ? std::next(it) : (it != t.states.begin() ? std::prev(it) : it);
    const double dt = (nb->first - it->first) * step_s;
    it->second.vx = dt != 0 ? (nb->second.x - it->second.x) / dt : 0.0;
    it->second.vy = dt != 0 ? (nb->second.y - it->second.y) / dt : 0.0;
  }
}

// Puts a track recorded every `ratio` 10 Hz steps on the 10 Hz grid: file step k becomes step
// k * ratio, and the steps between two recorded states are linear interpolations (position,
// unwrapped heading, velocity, acceleration), as NAVSIM interpolates its 2 Hz annotations. Gaps
// in the recording stay gaps.
void resample_to_10hz(Track& t, int ratio) {
  if (ratio == 1) return;
  std::map<int, AgentState> states;
  std::map<int, double> accel;
  for (auto it = t.states.begin(); it != t.states.end(); ++it) {
    const int k = it->first * ratio;
    states[k] = it->second;
    const auto acc = t.accel.find(it->first);
    if (acc != t.accel.end()) accel[k] = acc->second;
    const auto next = std::next(it);
    if (next == t.states.end() || next->first != it->first + 1) continue;
    const AgentState &a = it->second, &b = next->second;
    const double dh = wrap_angle(b.heading - a.heading);
    const auto acc_b = t.accel.find(next->first);
    for (int j = 1; j < ratio; ++j) {
      const double u = double(j) / ratio;
      AgentState s = a;
      s.x = a.x + u * (b.x - a.x);
      s.y = a.y + u * (b.y - a.y);
      s.heading = wrap_angle(a.heading + u * dh);
      s.vx = a.vx + u * (b.vx - a.vx);
      s.vy = a.vy + u * (b.vy - a.vy);
      states[k + j] = s;
      if (acc != t.accel.end() && acc_b != t.accel.end()) accel[k + j] = acc->second + u * (acc_b->second - acc->second);
    }
  }
  t.states = std::move(states);
  t.accel = std::move(accel);
}

struct TimeStep {
  double declared_s = kStepSeconds;  // timeStepSize
  double used_s = kStepSeconds;      // what the recorded speeds confirm
  int ratio = 1;                     // 10 Hz steps per file step
};

// Reads timeStepSize (a whole multiple of 0.1 s), checks it against the recorded speeds, and
// brings every track onto the 10 Hz grid.
TimeStep settle_time_step(const pugi::xml_node& root, std::vector<Track>& tracks) {
  TimeStep ts;
  const std::string text = root.attribute("timeStepSize").value();
  char* end = nullptr;
  ts.declared_s = std::strtod(text.c_str(), &end);
  const double declared_ratio = ts.declared_s / kStepSeconds;
  AUTOSCALE_CHECK(!text.empty() && *end == '\0' && ts.declared_s > 0 &&
                      std::abs(declared_ratio - std::round(declared_ratio)) < 1e-6,
                  "timeStepSize {} is not supported: tracks must be sampled at a multiple of 0.1 s", quote(text));
  size_t samples = 0;
  const double q = implied_step_ratio(tracks, ts.declared_s, &samples);
  const double n = std::max(1.0, std::round(q));
  AUTOSCALE_CHECK(std::abs(q - n) <= 0.1 * n,
                  "timeStepSize {}: the positions of moving obstacles advance {:.2f} times their recorded speed "
                  "times the time step (median of {} states), which fits no whole multiple of it",
                  quote(text), q, samples);
  ts.used_s = ts.declared_s * n;
  ts.ratio = static_cast<int>(std::lround(ts.used_s / kStepSeconds));
  for (auto& t : tracks) {
    fill_missing_velocities(t, ts.used_s);
    resample_to_10hz(t, ts.ratio);
  }
  return ts;
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

// Overlapping boxes in a recording are tracking artefacts (NGSIM queues, rough lengths) or
// riders squeezed next to a car; either way the expert would "collide" in NC, so such windows
// are dropped. Every moving road user counts (NAVSIM scores hits on pedestrians and cyclists
// like hits on vehicles); static obstacles do not (a parked box on the lane edge is the map's
// problem, not the driver's).
bool overlaps_any(const Track& ego, const std::vector<Track>& tracks, int first, int last) {
  for (int s = first; s <= last; ++s) {
    const AgentState& e = ego.states.at(s);
    const auto ebox = box_corners(e.x, e.y, e.heading, ego.length, ego.width);
    for (const auto& t : tracks) {
      if (&t == &ego || t.type == AgentType::kStatic || t.is_static) continue;
      const AgentState o = state_at(t, s);
      if (!o.valid) continue;
      if (boxes_overlap(ebox, box_corners(o.x, o.y, o.heading, t.length, t.width))) return true;
    }
  }
  return false;
}

// The current frames of an ego track observed over steps [first, last]: the stride grid
// (multiples of the stride, so that the windows of different vehicles line up in time) where
// the full history and the minimum future fit. A track too short for any of them that still
// covers the minimum future (the 4 s scoring horizon) serves once, from the frame that keeps the
// most history it has, down to none: NGSIM Lankershim files record every car for exactly 4 s.
// Those scenes say so (num_history < the configured history, "history_shortened" in
// generator_params, CommonRoadStats::short_history); the future is never shortened.
std::vector<int> current_frames(int first, int last, const WindowOptions& w) {
  const int H = w.history_steps(), Fmin = w.min_future_steps(), stride = w.stride_steps();
  std::vector<int> out;
  for (int c = ((first + H + stride - 1) / stride) * stride; c + Fmin <= last; c += stride) out.push_back(c);
  if (out.empty() && last - first >= Fmin) out.push_back(first + std::min(H, last - first - Fmin));
  return out;
}

struct FileContext {
  std::string benchmark, version, source;
  TimeStep step;
  const Map* map = nullptr;
  std::vector<std::pair<std::string, std::string>> light_lanes;  // (lane, light id)
  const std::map<std::string, LightCycle>* lights = nullptr;
};

// Light states of every controlled lane at `step`. A lane fed by several lights (two incoming
// lanelets merging into one connector) keeps the most restrictive state.
std::vector<TrafficLight> lights_at(const FileContext& f, int step) {
  auto rank = [](LightState s) { return static_cast<int>(s); };  // unknown < green < yellow < red
  std::map<std::string, LightState> by_lane;
  for (const auto& [lane, id] : f.light_lanes) {
    const LightState s = f.lights->at(id).at(step);
    auto [it, inserted] = by_lane.emplace(lane, s);
    if (!inserted && rank(s) > rank(it->second)) it->second = s;
  }
  std::vector<TrafficLight> out;
  for (const auto& [lane, s] : by_lane) out.push_back({lane, s});
  return out;
}

Scene make_scene(const FileContext& f, const Track& ego, const std::vector<Track>& tracks, int c, int end,
                 const WindowOptions& w) {
  const int first = std::max(ego.states.begin()->first, c - w.history_steps());
  Scene s;
  s.token = fmt::format("{}-{}-{:04d}", f.benchmark, ego.id, c);
  s.log = f.benchmark;
  s.map_id = f.map->id;
  s.domain = Domain::kReal;
  s.timestamp_us = static_cast<int64_t>(std::llround(c * kStepSeconds * 1e6));
  s.generator = "commonroad";
  s.generator_params = nlohmann::json{{"source", f.source},
                                      {"commonroad_version", f.version},
                                      {"history_s", w.history_s},
                                      {"future_s", w.future_s},
                                      {"min_future_s", w.min_future_s},
                                      {"stride_s", w.stride_s},
                                      {"time_step_s", f.step.used_s},
                                      {"declared_time_step_s", f.step.declared_s},
                                      {"ego_track", ego.id},
                                      {"ego_type", ego.source_type},
                                      {"history_shortened", c - first < w.history_steps()}}
                           .dump();
  s.num_history = c - first;
  s.ego_length = ego.length;
  s.ego_width = ego.width;
  for (int k = first; k <= end; ++k) s.ego.push_back(ego_state(ego, k));
  for (const auto& t : tracks) {
    if (&t == &ego) continue;
    Agent a;
    a.id = t.id;
    a.type = t.type;
    a.category = t.category;
    a.length = t.length;
    a.width = t.width;
    a.height = 0.0;  // CommonRoad shapes are 2-D
    bool seen = false;
    for (int k = first; k <= end; ++k) {
      a.states.push_back(state_at(t, k));
      seen = seen || a.states.back().valid;
    }
    if (seen) s.agents.push_back(std::move(a));
  }
  s.route = route_from_path(*f.map, s.ego);
  s.command = infer_command(s);
  s.traffic_lights = lights_at(f, c);
  for (int k = c + 1; k <= end; ++k) {  // lights_at lists the same lanes, in the same order, at every step
    const auto later = lights_at(f, k);
    for (size_t i = 0; i < later.size(); ++i) s.traffic_lights[i].future.push_back(later[i].state);
  }
  return s;
}

// A car that stands still for 30 s or more is parked, not driving: SinD records the same three
// parked vehicles (a bus and two cars) in all its 37.5 s files, and as egos they made 58 % of
// its windows, each "drive" a standstill. They stay agents (the scorer sees them). Shorter
// standstills are traffic (NGSIM Lankershim queues at red lights for its whole 4-8 s files)
// and keep serving as egos.
constexpr double kParkedSeconds = 30.0;
constexpr double kParkedDisplacementM = 1.0;  // drone and video tracks jitter by tens of centimetres

bool parked(const Track& t) {
  const auto& [first_step, first] = *t.states.begin();
  if ((t.states.rbegin()->first - first_step) * kStepSeconds < kParkedSeconds) return false;
  for (const auto& [k, s] : t.states) {
    if (std::hypot(s.x - first.x, s.y - first.y) >= kParkedDisplacementM) return false;
  }
  return true;
}

// Cuts every ego candidate's track into windows (see current_frames) and fills the stats.
void cut_windows(const FileContext& f, const std::vector<Track>& tracks, const CommonRoadOptions& options,
                 CommonRoadImport& out) {
  const WindowOptions& w = options.window;
  for (const auto& ego : tracks) {
    if (ego.is_static || ego.states.empty()) continue;
    if (!ego.ego_candidate) {
      ++out.stats.other_road_users;
      continue;
    }
    ++out.stats.vehicles;
    if (parked(ego)) {
      ++out.stats.parked;
      continue;
    }
    const int first = ego.states.begin()->first, last = ego.states.rbegin()->first;
    out.stats.longest_track_s = std::max(out.stats.longest_track_s, (last - first) * kStepSeconds);
    const auto frames = current_frames(first, last, w);
    if (frames.empty()) ++out.stats.skipped_short;
    for (int c : frames) {
      const int begin = std::max(first, c - w.history_steps()), end = std::min(c + w.future_steps(), last);
      if (!covers(ego, begin, end)) continue;  // a gap in the track
      if (options.skip_overlapping && overlaps_any(ego, tracks, begin, end)) {
        ++out.stats.skipped_overlapping;
        continue;
      }
      out.scenes.push_back(make_scene(f, ego, tracks, c, end, w));
      out.stats.short_history += out.scenes.back().num_history < w.history_steps();
    }
  }
  out.stats.windows = out.scenes.size();
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
    std::string benchmark = root.attribute("benchmarkID").value();
    if (benchmark.empty()) benchmark = std::filesystem::path(path).stem().string();

    CommonRoadImport out;
    ParsedMap parsed_map = parse_map(root, benchmark, options);
    out.map = std::move(parsed_map.map);
    auto tracks = parse_obstacles(root);
    const TimeStep step = settle_time_step(root, tracks);
    const auto lights = parse_lights(root, step.ratio);

    FileContext f;
    f.benchmark = benchmark;
    f.version = version;
    f.source = std::filesystem::path(path).filename().string();
    f.step = step;
    out.stats.time_step_s = step.used_s;
    out.stats.declared_time_step_s = step.declared_s;
    f.map = &out.map;
    f.lights = &lights;
    f.light_lanes = controlled_lanes(root, parsed_map.lanelets, lights);
    out.stats.traffic_lights = lights.size();
    out.stats.light_lanes = f.light_lanes.size();
    int lo = std::numeric_limits<int>::max(), hi = std::numeric_limits<int>::min();
    for (const auto& t : tracks) {
      if (t.is_static || t.states.empty()) continue;
      lo = std::min(lo, t.states.begin()->first);
      hi = std::max(hi, t.states.rbegin()->first);
    }
    out.stats.recording_s = hi >= lo ? (hi - lo) * kStepSeconds : 0.0;
    cut_windows(f, tracks, options, out);
    return out;
  });
}

}  // namespace autoscale::scene
