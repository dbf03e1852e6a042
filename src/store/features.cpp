#include "autoscale/store/features.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include "autoscale/scene/derive.h"
#include "autoscale/scene/geometry.h"
#include "autoscale/store/inspect.h"
#include "autoscale/store/source.h"

namespace autoscale::scene {
namespace {
constexpr double kDensityRadius = 50.0;  // m
constexpr double kTtcCap = 10.0;         // s: "nothing to hit soon"
constexpr double kLaneHalfWidth = 1.8;   // m: agents this close to the ego's axis are in its path
}  // namespace

SceneFeatures scene_features(const Scene& s) {
  SceneFeatures f;
  if (s.ego.empty()) return f;
  const EgoState& e = s.current_ego();
  const int c = s.current_index();
  f.speed = std::hypot(e.vx, e.vy);
  const double ch = std::cos(e.heading), sh = std::sin(e.heading);
  f.ttc = kTtcCap;
  for (const auto& a : s.agents) {
    if (c >= static_cast<int>(a.states.size()) || !a.states[c].valid) continue;
    const AgentState& st = a.states[c];
    const double dx = st.x - e.x, dy = st.y - e.y;
    if (std::hypot(dx, dy) <= kDensityRadius) f.agent_density += 1;
    const double ahead = ch * dx + sh * dy, side = -sh * dx + ch * dy;
    if (ahead <= 0 || std::abs(side) > kLaneHalfWidth + 0.5 * a.width) continue;
    const double gap = ahead - 0.5 * a.length - 0.5 * s.ego_length - rear_axle_to_center(s.ego_length);
    const double closing = f.speed - (ch * st.vx + sh * st.vy);
    if (gap <= 0) {
      f.ttc = 0;
    } else if (closing > 1e-3) {
      f.ttc = std::min(f.ttc, gap / closing);
    }
  }
  double turned = 0, travelled = 0;
  for (size_t k = c + 1; k < s.ego.size(); ++k) {
    travelled += std::hypot(s.ego[k].x - s.ego[k - 1].x, s.ego[k].y - s.ego[k - 1].y);
    turned += std::abs(wrap_angle(s.ego[k].heading - s.ego[k - 1].heading));
  }
  f.curvature = travelled > 1.0 ? turned / travelled : 0.0;
  return f;
}

const std::vector<std::string>& descriptor_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n{"speed", "accel_lon", "accel_lat", "cmd_left", "cmd_straight", "cmd_right",
                               "cmd_unknown", "curvature", "heading_change", "end_x", "end_y"};
    for (const char* type : {"vehicle", "pedestrian", "bicycle", "static"}) {
      for (int r : {10, 20, 50}) n.push_back(fmt::format("{}_within_{}m", type, r));
    }
    n.insert(n.end(), {"lead_gap", "lead_rel_speed", "ttc", "junction", "red_light"});
    return n;
  }();
  return names;
}

std::vector<float> scene_descriptor(const Scene& s, const Map& map) {
  std::vector<float> d;
  d.reserve(descriptor_names().size());
  const EgoState& e = s.current_ego();
  const SceneFeatures f = scene_features(s);
  d.insert(d.end(), {float(f.speed), float(e.ax), float(e.ay)});
  for (int c = 0; c < 4; ++c) d.push_back(static_cast<int>(s.command) == c ? 1.f : 0.f);
  // Future path in the current ego frame.
  const double ch = std::cos(e.heading), sh = std::sin(e.heading);
  const EgoState& last = s.ego.back();
  d.insert(d.end(), {float(f.curvature), float(wrap_angle(last.heading - e.heading)),
                     float(ch * (last.x - e.x) + sh * (last.y - e.y)), float(-sh * (last.x - e.x) + ch * (last.y - e.y))});
  float counts[4][3] = {};
  double lead_gap = 50.0, lead_rel = 0.0;
  const int c = s.current_index();
  for (const auto& a : s.agents) {
    if (c >= static_cast<int>(a.states.size()) || !a.states[c].valid) continue;
    const AgentState& st = a.states[c];
    const double dx = st.x - e.x, dy = st.y - e.y, dist = std::hypot(dx, dy);
    const int t = static_cast<int>(a.type);
    counts[t][0] += dist <= 10;
    counts[t][1] += dist <= 20;
    counts[t][2] += dist <= 50;
    const double ahead = ch * dx + sh * dy, side = -sh * dx + ch * dy;
    if (a.type == AgentType::kVehicle && ahead > 0 && std::abs(side) < kLaneHalfWidth && ahead < lead_gap) {
      lead_gap = ahead;
      lead_rel = (ch * st.vx + sh * st.vy) - f.speed;
    }
  }
  for (auto& per_type : counts) d.insert(d.end(), per_type, per_type + 3);
  bool junction = false;
  for (const auto& area : map.areas) junction = junction || (area.kind == AreaKind::kIntersection && point_in_polygon(area.polygon, {e.x, e.y}));
  bool red = false;
  for (const auto& l : s.traffic_lights) red = red || l.state == LightState::kRed;
  d.insert(d.end(), {float(lead_gap), float(lead_rel), float(f.ttc), junction ? 1.f : 0.f, red ? 1.f : 0.f});
  return d;
}

double ks_distance(std::vector<double> a, std::vector<double> b) {
  if (a.empty() || b.empty()) return 0.0;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::abs(double(i) / a.size() - double(j) / b.size()));
  }
  return d;
}

namespace {

constexpr int kGapFeatures = 4;
constexpr const char* kGapNames[kGapFeatures] = {"speed [m/s]", "agents within 50 m", "curvature [rad/m]",
                                                 "TTC ahead [s, cap 10]"};
using FeatureColumns = std::array<std::vector<double>, kGapFeatures>;

void add_features(const Scene& scene, FeatureColumns& cols) {
  const auto f = scene_features(scene);
  cols[0].push_back(f.speed);
  cols[1].push_back(f.agent_density);
  cols[2].push_back(f.curvature);
  cols[3].push_back(f.ttc);
}

}  // namespace

std::string compare_stores(const SceneStore& a, const SceneStore& b) {
  auto collect = [](const SceneStore& s) {
    FeatureColumns cols;
    s.for_each([&](const Scene& scene) { add_features(scene, cols); });
    return cols;
  };
  const auto fa = collect(a), fb = collect(b);
  std::string out = fmt::format("A = {} ({} scenes), B = {} ({} scenes)\n", a.dir(), a.size(), b.dir(), b.size());
  out += fmt::format("{:<24} {:>27} {:>27} {:>6}\n", "feature", "A mean / p50 / p90", "B mean / p50 / p90", "KS");
  for (int i = 0; i < kGapFeatures; ++i) {
    const auto da = Distribution::of(fa[i]), db = Distribution::of(fb[i]);
    out += fmt::format("{:<24} {:>9.3f}{:>9.3f}{:>9.3f} {:>9.3f}{:>9.3f}{:>9.3f} {:>6.3f}\n", kGapNames[i], da.mean,
                       da.p50, da.p90, db.mean, db.p50, db.p90, ks_distance(fa[i], fb[i]));
  }
  return out;
}

std::string domain_gap_by_source(const std::vector<const SceneStore*>& stores) {
  struct Group {
    std::set<std::string> logs;
    FeatureColumns cols;
  };
  // Keyed by (source, real): SUMO scenes marked real (testbed T1) and synthetic SUMO are two rows.
  std::map<std::pair<std::string, bool>, Group> groups;
  size_t width = 16;
  for (const auto* store : stores) {
    store->for_each([&](const Scene& scene) {
      const auto key = std::make_pair(scene_source(scene), scene.domain == Domain::kReal);
      auto& g = groups[key];
      g.logs.insert(scene.log);
      add_features(scene, g.cols);
      width = std::max(width, key.first.size());
    });
  }
  // The reference of a row: every real row but itself (a synthetic row: every real row, also
  // real scenes of its own generator).
  auto reference = [&](const std::pair<std::string, bool>& self) {
    FeatureColumns ref;
    for (const auto& [key, g] : groups) {
      if (!key.second || key == self) continue;
      for (int i = 0; i < kGapFeatures; ++i) ref[i].insert(ref[i].end(), g.cols[i].begin(), g.cols[i].end());
    }
    return ref;
  };
  std::string out =
      "Domain gap by source: KS distance of each feature against the real scenes of every other source\n";
  out += fmt::format("{:<{}} {:<10} {:>7} {:>5}", "source", width, "domain", "scenes", "logs");
  for (const char* name : kGapNames) out += fmt::format(" {:>22}", name);
  out += "\n";
  for (const auto& [key, g] : groups) {
    const auto& [name, real] = key;
    const auto ref = reference(key);
    out += fmt::format("{:<{}} {:<10} {:>7} {:>5}", name, width, real ? "real" : "synthetic", g.cols[0].size(),
                       g.logs.size());
    for (int i = 0; i < kGapFeatures; ++i) {
      out += ref[i].empty() ? fmt::format(" {:>22}", "-") : fmt::format(" {:>22.3f}", ks_distance(g.cols[i], ref[i]));
    }
    out += "\n";
  }
  return out;
}

}  // namespace autoscale::scene
