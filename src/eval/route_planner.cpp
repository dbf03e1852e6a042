#include "autoscale/eval/route_planner.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <queue>
#include <unordered_map>

#include "autoscale/core/error.h"
#include "autoscale/eval/geometry.h"
#include "autoscale/eval/scoring_map.h"

namespace autoscale::eval {
namespace {

constexpr double kCandidateBox = 1.0;              // m: roadblocks this close to the rear axle are candidates
constexpr double kMaxHeadingError = M_PI / 4;     // a lane the ego could be driving in
constexpr double kMaxLaneDistance = 3.0;          // m
constexpr int kBackwardDepth = 15, kForwardDepth = 30, kLookahead = 30;

struct Graph {
  std::unordered_map<std::string, const scene::Lane*> lane;
  std::unordered_map<std::string, std::vector<const scene::Lane*>> lanes_of;  // roadblock -> lanes
  std::unordered_map<std::string, std::vector<std::string>> next, prev;        // roadblock adjacency
  std::unordered_map<std::string, const scene::Roadblock*> roadblock;
};

Graph build_graph(const scene::Map& map) {
  Graph g;
  for (const auto& rb : map.roadblocks) g.roadblock[rb.id] = &rb;
  for (const auto& l : map.lanes) {
    g.lane[l.id] = &l;
    g.lanes_of[l.roadblock].push_back(&l);
  }
  for (const auto& l : map.lanes) {
    for (const auto& s : l.successors) {
      const auto it = g.lane.find(s);
      if (it == g.lane.end() || it->second->roadblock == l.roadblock) continue;
      auto& n = g.next[l.roadblock];
      if (std::find(n.begin(), n.end(), it->second->roadblock) == n.end()) n.push_back(it->second->roadblock);
      auto& p = g.prev[it->second->roadblock];
      if (std::find(p.begin(), p.end(), l.roadblock) == p.end()) p.push_back(l.roadblock);
    }
  }
  return g;
}

// Distance and heading error of the pose to the nearest centerline point of a lane.
void lane_fit(const scene::Lane& lane, const sim::Pose& pose, double* distance, double* heading_error) {
  *distance = INFINITY;
  *heading_error = INFINITY;
  const auto& c = lane.centerline;
  for (size_t i = 0; i < c.size(); ++i) {
    const double d = std::hypot(c[i].x - pose.x, c[i].y - pose.y);
    if (d >= *distance) continue;
    *distance = d;
    const size_t j = i + 1 < c.size() ? i : i - 1;  // heading of the segment at that point
    const double h = std::atan2(c[j + 1].y - c[j].y, c[j + 1].x - c[j].x);
    *heading_error = std::abs(std::remainder(pose.heading - h, 2 * M_PI));
  }
}

bool qualifies(const Graph& g, const std::string& roadblock, const sim::Pose& pose) {
  const auto it = g.lanes_of.find(roadblock);
  if (it == g.lanes_of.end()) return false;
  for (const auto* lane : it->second) {
    if (lane->centerline.size() < 2) continue;
    double d, h;
    lane_fit(*lane, pose, &d, &h);
    if (h < kMaxHeadingError && d < kMaxLaneDistance) return true;
  }
  return false;
}

double polygon_distance(const scene::Polygon& poly, scene::Vec2 p) {
  if (strictly_inside(poly, p)) return 0.0;
  double best = INFINITY;
  const auto& r = poly.exterior;
  for (size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) {
    const double dx = r[i].x - r[j].x, dy = r[i].y - r[j].y;
    const double len2 = dx * dx + dy * dy;
    const double u = len2 > 0 ? std::clamp(((p.x - r[j].x) * dx + (p.y - r[j].y) * dy) / len2, 0.0, 1.0) : 0.0;
    best = std::min(best, std::hypot(r[j].x + u * dx - p.x, r[j].y + u * dy - p.y));
  }
  return best;
}

// Shortest roadblock path from `from` to any of `targets` along `edges`, at most `depth` hops.
std::vector<std::string> bfs(const std::unordered_map<std::string, std::vector<std::string>>& edges,
                             const std::string& from, const std::vector<std::string>& targets, int depth) {
  std::unordered_map<std::string, std::string> parent{{from, ""}};
  std::deque<std::pair<std::string, int>> queue{{from, 0}};
  while (!queue.empty()) {
    auto [node, d] = queue.front();
    queue.pop_front();
    if (node != from && std::find(targets.begin(), targets.end(), node) != targets.end()) {
      std::vector<std::string> path;
      for (std::string n = node; !n.empty(); n = parent[n]) path.push_back(n);
      std::reverse(path.begin(), path.end());
      return path;
    }
    if (d >= depth) continue;
    const auto it = edges.find(node);
    if (it == edges.end()) continue;
    for (const auto& n : it->second) {
      if (parent.emplace(n, node).second) queue.push_back({n, d + 1});
    }
  }
  return {};
}

std::string pick_start_roadblock(const Graph& g, const scene::Map& map, const std::vector<std::string>& route,
                                 const sim::Pose& pose) {
  std::vector<std::string> candidates;
  for (const auto& rb : map.roadblocks) {
    if (polygon_intersects_rect(rb.polygon, pose.x - kCandidateBox, pose.y - kCandidateBox, pose.x + kCandidateBox,
                                pose.y + kCandidateBox)) {
      candidates.push_back(rb.id);
    }
  }
  if (candidates.empty()) {  // nearest roadblock and nearest connector
    std::string best[2];
    double best_d[2] = {INFINITY, INFINITY};
    for (const auto& rb : map.roadblocks) {
      const double d = polygon_distance(rb.polygon, {pose.x, pose.y});
      if (d < best_d[rb.connector]) best_d[rb.connector] = d, best[rb.connector] = rb.id;
    }
    for (const auto& b : best) {
      if (!b.empty()) candidates.push_back(b);
    }
  }
  AUTOSCALE_CHECK(!candidates.empty(), "no roadblock near the ego at ({:.1f}, {:.1f})", pose.x, pose.y);
  auto on_route = [&](const std::string& id) { return std::find(route.begin(), route.end(), id) != route.end(); };
  for (const auto& c : candidates) {
    if (on_route(c) && qualifies(g, c, pose)) return c;
  }
  for (const auto& c : candidates) {
    if (qualifies(g, c, pose)) return c;
  }
  std::string closest = candidates.front();
  double best = INFINITY;
  for (const auto& c : candidates) {
    const double d = polygon_distance(g.roadblock.at(c)->polygon, {pose.x, pose.y});
    if (d < best) best = d, closest = c;
  }
  return closest;
}

std::vector<std::string> correct_route(const Graph& g, std::vector<std::string> route, const std::string& start) {
  // Keep known roadblocks, in order, without duplicates.
  std::vector<std::string> clean;
  for (const auto& r : route) {
    if (g.roadblock.count(r) && std::find(clean.begin(), clean.end(), r) == clean.end()) clean.push_back(r);
  }
  route = clean;
  const auto at = std::find(route.begin(), route.end(), start);
  if (at != route.end()) {
    route.erase(route.begin(), at);  // the ego is here: earlier blocks are behind it
  } else if (!route.empty()) {
    auto back = bfs(g.prev, route.front(), {start}, kBackwardDepth);
    if (!back.empty()) {
      std::reverse(back.begin(), back.end());  // start ... first route block
      back.pop_back();
      route.insert(route.begin(), back.begin(), back.end());
    } else {
      const std::vector<std::string> firsts(route.begin(), route.begin() + std::min<size_t>(3, route.size()));
      auto fwd = bfs(g.next, start, firsts, kForwardDepth);
      if (!fwd.empty()) {
        const auto hit = std::find(route.begin(), route.end(), fwd.back());
        fwd.pop_back();
        route.erase(route.begin(), hit);
        route.insert(route.begin(), fwd.begin(), fwd.end());
      } else {
        route.insert(route.begin(), start);
      }
    }
  } else {
    route.push_back(start);
  }
  // Fill gaps between consecutive blocks that are not adjacent.
  std::vector<std::string> filled{route.front()};
  for (size_t i = 1; i < route.size(); ++i) {
    const auto& n = g.next.count(filled.back()) ? g.next.at(filled.back()) : std::vector<std::string>{};
    if (std::find(n.begin(), n.end(), route[i]) == n.end()) {
      auto gap = bfs(g.next, filled.back(), {route[i]}, kForwardDepth);
      if (gap.size() >= 3) filled.insert(filled.end(), gap.begin() + 1, gap.end() - 1);
    }
    if (std::find(filled.begin(), filled.end(), route[i]) == filled.end()) filled.push_back(route[i]);
  }
  return filled;
}

const scene::Lane* pick_start_lane(const Graph& g, const std::vector<std::string>& route, const sim::Pose& pose,
                                   const sim::VehicleParams& vehicle) {
  std::vector<const scene::Lane*> lanes;
  for (const auto& rb : route) {
    const auto it = g.lanes_of.find(rb);
    if (it != g.lanes_of.end()) lanes.insert(lanes.end(), it->second.begin(), it->second.end());
  }
  const scene::Lane* best = nullptr;
  double best_err = INFINITY;
  for (const auto* l : lanes) {
    if (l->polygon.size() < 3 || l->centerline.size() < 2) continue;
    const scene::Polygon poly{l->polygon, {}};
    const Box point = make_box(pose.x, pose.y, 0, 0, 0);
    if (!polygon_intersects_box(poly, point)) continue;
    double d, h;
    lane_fit(*l, pose, &d, &h);
    if (h < best_err) best_err = h, best = l;
  }
  if (best) return best;
  const double d = vehicle.rear_axle_to_center();
  const scene::Vec2 center{pose.x + d * std::cos(pose.heading), pose.y + d * std::sin(pose.heading)};
  for (const auto* l : lanes) {
    if (l->polygon.size() >= 3 && strictly_inside_ring(l->polygon, center)) return l;
  }
  double best_d = INFINITY;
  for (const auto* l : lanes) {
    if (l->centerline.size() < 2) continue;
    const double dist = l->polygon.size() >= 3 ? polygon_distance({l->polygon, {}}, center)
                                               : Centerline(l->centerline).distance(center);
    if (dist < best_d) best_d = dist, best = l;
  }
  return best;
}

// Dijkstra over route lanes; edge cost = length of the lane entered.
std::vector<const scene::Lane*> lane_path(const Graph& g, const scene::Lane* start,
                                          const std::unordered_set<std::string>& route_lanes,
                                          const std::string& goal_roadblock) {
  using Item = std::pair<double, std::string>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
  std::unordered_map<std::string, double> cost{{start->id, 0.0}};
  std::unordered_map<std::string, std::string> parent{{start->id, ""}};
  std::unordered_map<std::string, int> depth{{start->id, 0}};
  queue.push({0.0, start->id});
  std::string goal;
  while (!queue.empty()) {
    auto [c, id] = queue.top();
    queue.pop();
    if (c > cost[id]) continue;
    const scene::Lane* lane = g.lane.at(id);
    if (lane->roadblock == goal_roadblock) {
      goal = id;
      break;
    }
    for (const auto& s : lane->successors) {
      const auto it = g.lane.find(s);
      if (it == g.lane.end() || !route_lanes.count(s)) continue;
      const double nc = c + Centerline(it->second->centerline).length();
      if (!cost.count(s) || nc < cost[s]) {
        cost[s] = nc;
        parent[s] = id;
        depth[s] = depth[id] + 1;
        queue.push({nc, s});
      }
    }
  }
  if (goal.empty()) {  // unreachable: the cheapest lane at the largest depth
    goal = start->id;
    for (const auto& [id, d] : depth) {
      const bool deeper = d > depth[goal];
      const bool same_depth = d == depth[goal];
      if (deeper || (same_depth && (cost[id] < cost[goal] || (cost[id] == cost[goal] && id < goal)))) goal = id;
    }
  }
  std::vector<const scene::Lane*> path;
  for (std::string id = goal; !id.empty(); id = parent[id]) path.push_back(g.lane.at(id));
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace

RoutePlan plan_route(const scene::Map& map, const std::vector<std::string>& route, const sim::Pose& pose,
                     const sim::VehicleParams& vehicle) {
  const Graph g = build_graph(map);
  RoutePlan plan;
  const std::string start_rb = pick_start_roadblock(g, map, route, pose);
  plan.roadblocks = correct_route(g, route, start_rb);
  for (const auto& rb : plan.roadblocks) {
    const auto it = g.lanes_of.find(rb);
    if (it == g.lanes_of.end()) continue;
    for (const auto* l : it->second) plan.lanes.insert(l->id);
  }
  const scene::Lane* start = pick_start_lane(g, plan.roadblocks, pose, vehicle);
  AUTOSCALE_CHECK(start != nullptr, "no lane of the route near the ego at ({:.1f}, {:.1f})", pose.x, pose.y);
  plan.speed_limit = start->speed_limit;
  const auto pos = std::find(plan.roadblocks.begin(), plan.roadblocks.end(), start->roadblock);
  const size_t from = pos == plan.roadblocks.end() ? 0 : static_cast<size_t>(pos - plan.roadblocks.begin());
  const std::string goal = plan.roadblocks[std::min(from + kLookahead, plan.roadblocks.size() - 1)];
  std::vector<scene::Vec2> points;
  for (const auto* lane : lane_path(g, start, plan.lanes, goal)) {
    plan.lane_path.push_back(lane->id);
    points.insert(points.end(), lane->centerline.begin(), lane->centerline.end());
  }
  plan.centerline = Centerline(points);
  return plan;
}

}  // namespace autoscale::eval
