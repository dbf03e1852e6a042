#include "autoscale/store/inspect.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "autoscale/core/progress.h"
#include "autoscale/store/source.h"
#include "autoscale/scene/geometry.h"

namespace autoscale::scene {
namespace {

// Faster than anything on a road: consecutive ego poses further apart than this at 10 Hz mean
// a time glitch (missing or reordered frames) or a teleport.
constexpr double kMaxPlausibleSpeed = 70.0;  // m/s

// The first point that is not finite or lies beyond kMaxMapCoordinate; false when there is one.
bool check_points(const Polyline& line, const std::string& what, std::vector<std::string>& out) {
  for (size_t i = 0; i < line.size(); ++i) {
    const auto& p = line[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      out.push_back(fmt::format("{}: non-finite point {} ({}, {})", what, i, p.x, p.y));
      return false;
    }
    if (std::abs(p.x) > kMaxMapCoordinate || std::abs(p.y) > kMaxMapCoordinate) {
      out.push_back(fmt::format("{}: point {} ({}, {}) is more than {:g} m from the origin", what, i, p.x, p.y,
                                kMaxMapCoordinate));
      return false;
    }
  }
  return true;
}

void check_ring(const Polyline& ring, const std::string& what, std::vector<std::string>& out) {
  if (!check_points(ring, what, out)) return;
  if (ring.size() < 3) {
    out.push_back(fmt::format("{}: degenerate polygon with {} points", what, ring.size()));
  } else if (std::abs(signed_area(ring)) < 1e-6) {
    out.push_back(fmt::format("{}: degenerate polygon with zero area", what));
  }
}

// Ids of `kind` that occur more than once: a second lane of the same id silently replaces the
// first wherever lanes are looked up by id.
template <class T>
std::unordered_set<std::string> unique_ids(const std::vector<T>& items, const char* kind,
                                           std::vector<std::string>& out) {
  std::unordered_set<std::string> ids;
  for (const auto& item : items) {
    if (!ids.insert(item.id).second) out.push_back(fmt::format("{} {}: duplicate id", kind, item.id));
  }
  return ids;
}

}  // namespace

std::vector<std::string> validate_map(const Map& map) {
  std::vector<std::string> out;
  const auto lane_ids = unique_ids(map.lanes, "lane", out);
  const auto roadblock_ids = unique_ids(map.roadblocks, "roadblock", out);
  unique_ids(map.areas, "area", out);
  for (const auto& l : map.lanes) {
    const std::string what = "lane " + l.id;
    if (l.centerline.size() < 2) out.push_back(fmt::format("{}: centerline has {} points", what, l.centerline.size()));
    check_points(l.centerline, what + " centerline", out);
    if (!l.polygon.empty()) check_ring(l.polygon, what + " polygon", out);
    if (!l.roadblock.empty() && !roadblock_ids.count(l.roadblock)) {
      out.push_back(fmt::format("{}: roadblock {} is not in the map", what, l.roadblock));
    }
    for (const auto& [refs, relation] : {std::pair{&l.successors, "successor"}, {&l.predecessors, "predecessor"}}) {
      for (const auto& s : *refs) {
        if (!lane_ids.count(s)) out.push_back(fmt::format("{}: {} {} is not in the map", what, relation, s));
      }
    }
    for (const auto& [ref, side] : {std::pair{&l.left, "left"}, {&l.right, "right"}}) {
      if (!ref->empty() && !lane_ids.count(*ref)) {
        out.push_back(fmt::format("{}: {} neighbour {} is not in the map", what, side, *ref));
      }
    }
  }
  for (const auto& rb : map.roadblocks) check_ring(rb.polygon.exterior, "roadblock " + rb.id, out);
  for (const auto& a : map.areas) check_ring(a.polygon.exterior, "area " + a.id, out);
  return out;
}

std::vector<std::string> validate_scene(const Scene& s, const Map& map) {
  std::vector<std::string> out;
  if (s.ego.empty()) {
    out.push_back("empty scene: no ego states");
    return out;
  }
  if (s.num_future() < 1) out.push_back(fmt::format("no ego future (num_history {} of {} states)", s.num_history,
                                                    s.num_steps()));
  static const char* kCols[] = {"x", "y", "heading", "vx", "vy", "ax", "ay"};
  for (size_t k = 0; k < s.ego.size(); ++k) {
    const auto& e = s.ego[k];
    const double v[] = {e.x, e.y, e.heading, e.vx, e.vy, e.ax, e.ay};
    for (int c = 0; c < 7; ++c) {
      if (!std::isfinite(v[c])) out.push_back(fmt::format("ego state {} {} is {}", k, kCols[c], v[c]));
    }
    if (k > 0) {
      const double step = std::hypot(e.x - s.ego[k - 1].x, e.y - s.ego[k - 1].y);
      if (step > kMaxPlausibleSpeed * kStepSeconds) {
        out.push_back(fmt::format("ego jumps {:.1f} m between states {} and {} (non-monotonic or missing time)", step,
                                  k - 1, k));
      }
    }
  }
  if (s.timestamp_us < 0) out.push_back(fmt::format("timestamp_us {} is negative", s.timestamp_us));
  for (const auto& a : s.agents) {
    if (a.states.size() != s.ego.size()) {
      out.push_back(fmt::format("agent {} has {} states, the ego {}", a.id, a.states.size(), s.ego.size()));
    }
    if (!(a.length > 0) || !(a.width > 0)) {
      out.push_back(fmt::format("agent {} has a degenerate box {} x {}", a.id, a.length, a.width));
    }
    for (size_t k = 0; k < a.states.size(); ++k) {
      const auto& st = a.states[k];
      if (st.valid && !(std::isfinite(st.x) && std::isfinite(st.y) && std::isfinite(st.heading) &&
                        std::isfinite(st.vx) && std::isfinite(st.vy))) {
        out.push_back(fmt::format("agent {} state {} is not finite", a.id, k));
        break;
      }
    }
  }
  std::unordered_set<std::string> roadblocks;
  for (const auto& rb : map.roadblocks) roadblocks.insert(rb.id);
  for (const auto& id : s.route) {
    if (!roadblocks.count(id)) out.push_back(fmt::format("route roadblock {} is not in map {}", id, map.id));
  }
  for (const auto& l : s.traffic_lights) {
    if (l.future.size() > static_cast<size_t>(std::max(0, s.num_future()))) {
      out.push_back(fmt::format("traffic light on lane {} has {} future states, the ego {} future steps", l.lane,
                                l.future.size(), s.num_future()));
    }
  }
  return out;
}

Distribution Distribution::of(std::vector<double> values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  d.min = values.front();
  d.max = values.back();
  double sum = 0;
  for (double v : values) sum += v;
  d.mean = sum / values.size();
  auto q = [&](double p) { return values[static_cast<size_t>(std::floor(p * (values.size() - 1)))]; };
  d.p50 = q(0.5);
  d.p90 = q(0.9);
  return d;
}

StoreSummary summarize_store(const SceneStore& store, bool show_progress) {
  StoreSummary sum;
  sum.dir = store.dir();
  sum.scenes = store.size();
  sum.unlisted_files = store.unlisted_files();
  std::vector<double> agents, speeds, futures;
  for (const auto& id : store.map_ids()) {
    const auto map = store.map(id);
    StoreSummary::MapExtent ext{INFINITY, INFINITY, -INFINITY, -INFINITY, map->lanes.size(), map->roadblocks.size(),
                                map->areas.size()};
    for (const auto& l : map->lanes) {
      for (const auto& p : l.centerline) {
        ext.min_x = std::min(ext.min_x, p.x), ext.max_x = std::max(ext.max_x, p.x);
        ext.min_y = std::min(ext.min_y, p.y), ext.max_y = std::max(ext.max_y, p.y);
      }
    }
    sum.maps[id] = ext;
    for (const auto& p : validate_map(*map)) sum.problems.push_back("map " + id + ": " + p);
  }
  Progress progress("inspect", store.size(), show_progress);
  std::map<std::string, std::set<std::string>> source_logs;
  store.for_each([&](const Scene& s) {
    sum.by_domain[to_string(s.domain)]++;
    sum.by_generator[s.generator.empty() ? "?" : s.generator]++;
    const std::string source = scene_source(s);
    sum.by_source[source]++;
    if (source_logs[source].insert(s.log).second) sum.logs_by_source[source]++;
    sum.by_log[s.log]++;
    sum.by_command[to_string(s.command)]++;
    for (const auto& a : s.agents) sum.agents_by_type[to_string(a.type)]++;
    agents.push_back(static_cast<double>(s.agents.size()));
    if (!s.ego.empty()) {
      const auto& e = s.current_ego();
      speeds.push_back(std::hypot(e.vx, e.vy));
      futures.push_back(s.num_future() * kStepSeconds);
    }
    const auto map = store.map(s.map_id);
    for (const auto& p : validate_scene(s, *map)) sum.problems.push_back(s.token + ": " + p);
    progress.advance();
  });
  progress.finish();
  sum.agents_per_scene = Distribution::of(agents);
  sum.ego_speed = Distribution::of(speeds);
  sum.future_s = Distribution::of(futures);
  return sum;
}

namespace {
std::string format_counts(const std::map<std::string, size_t>& counts) {
  std::string out;
  for (const auto& [k, v] : counts) out += fmt::format("{}{}: {}", out.empty() ? "" : ", ", k, v);
  return out.empty() ? "-" : out;
}
std::string format_dist(const Distribution& d, const char* unit) {
  if (d.count == 0) return "-";
  return fmt::format("mean {:.2f}{u}, median {:.2f}{u}, p90 {:.2f}{u}, range [{:.2f}, {:.2f}]{u}", d.mean, d.p50,
                     d.p90, d.min, d.max, fmt::arg("u", unit));
}
nlohmann::json dist_json(const Distribution& d) {
  return {{"count", d.count}, {"min", d.min}, {"max", d.max}, {"mean", d.mean}, {"p50", d.p50}, {"p90", d.p90}};
}
}  // namespace

std::string format_summary(const StoreSummary& s, size_t max_problems) {
  std::string out = fmt::format("store       {}\n", s.dir);
  out += fmt::format("scenes      {}\n", s.scenes);
  out += fmt::format("domains     {}\n", format_counts(s.by_domain));
  out += fmt::format("generators  {}\n", format_counts(s.by_generator));
  std::string sources;
  for (const auto& [source, n] : s.by_source) {
    sources += fmt::format("{}{}: {} scenes / {} logs", sources.empty() ? "" : ", ", source, n,
                           s.logs_by_source.at(source));
  }
  out += fmt::format("sources     {}\n", sources.empty() ? "-" : sources);
  out += fmt::format("commands    {}\n", format_counts(s.by_command));
  out += fmt::format("logs        {}\n", s.by_log.size());
  for (const auto& [log, n] : s.by_log) out += fmt::format("  {:<40} {:>7} scenes\n", log, n);
  out += fmt::format("agents      {} per scene ({})\n", format_dist(s.agents_per_scene, ""),
                     format_counts(s.agents_by_type));
  out += fmt::format("ego speed   {}\n", format_dist(s.ego_speed, " m/s"));
  out += fmt::format("ego future  {}\n", format_dist(s.future_s, " s"));
  out += fmt::format("maps        {}\n", s.maps.size());
  for (const auto& [id, e] : s.maps) {
    out += fmt::format("  {:<40} {:>5} lanes {:>5} roadblocks {:>4} areas, extent {:.0f} x {:.0f} m\n", id, e.lanes,
                       e.roadblocks, e.areas, e.max_x - e.min_x, e.max_y - e.min_y);
  }
  if (!s.unlisted_files.empty()) {
    out += fmt::format("unlisted    {} files not in the index (left by an interrupted writer):\n",
                       s.unlisted_files.size());
    for (const auto& f : s.unlisted_files) out += "  " + f + "\n";
  }
  if (s.problems.empty()) {
    out += "validation  all scenes and maps valid\n";
  } else {
    out += fmt::format("validation  {} problems\n", s.problems.size());
    for (size_t i = 0; i < s.problems.size() && i < max_problems; ++i) out += "  " + s.problems[i] + "\n";
    if (s.problems.size() > max_problems) out += fmt::format("  ... and {} more\n", s.problems.size() - max_problems);
  }
  return out;
}

std::string summary_json(const StoreSummary& s) {
  nlohmann::json j;
  j["store"] = s.dir;
  j["scenes"] = s.scenes;
  j["by_domain"] = s.by_domain;
  j["by_generator"] = s.by_generator;
  j["by_source"] = s.by_source;
  j["logs_by_source"] = s.logs_by_source;
  j["by_log"] = s.by_log;
  j["by_command"] = s.by_command;
  j["agents_by_type"] = s.agents_by_type;
  j["agents_per_scene"] = dist_json(s.agents_per_scene);
  j["ego_speed"] = dist_json(s.ego_speed);
  j["future_s"] = dist_json(s.future_s);
  for (const auto& [id, e] : s.maps) {
    j["maps"][id] = {{"lanes", e.lanes}, {"roadblocks", e.roadblocks}, {"areas", e.areas},
                     {"extent", {e.min_x, e.min_y, e.max_x, e.max_y}}};
  }
  j["problems"] = s.problems;
  j["unlisted_files"] = s.unlisted_files;
  return j.dump(2);
}

}  // namespace autoscale::scene
