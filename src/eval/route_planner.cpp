#include "autoscale/eval/route_planner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "autoscale/core/error.h"
#include "autoscale/eval/geometry.h"
#include "autoscale/eval/scoring_map.h"

namespace autoscale::eval {
namespace {

constexpr double kCandidateBox = 1.0;              // m: roadblocks this close to the rear axle are candidates
constexpr double kMaxHeadingError = M_PI / 4;     // a lane the ego could be driving in
constexpr double kMaxLaneDistance = 3.0;          // m
constexpr int kBackwardDepth = 15, kForwardDepth = 30, kLookahead = 30;
constexpr double kLoopOverlapArea = 1.0;          // m²: connectors overlapping more than this form a loop

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

// NAVSIM's get_current_roadblock_candidates (route_utils.py): roadblocks, then roadblock
// connectors, touching a 1 m square around the rear axle (else the nearest of each layer). A
// candidate qualifies once per interior lane whose nearest baseline vertex is within 3 m and
// pi/4 of the ego; among qualifying on-route entries (else other qualifying entries) the one with
// the smallest vertex distance wins, else the candidate whose lanes come closest. Kept for parity:
// the nearest qualifying candidate wins, not the first in map order, and the returned list (the
// BFS targets of the off-route search) holds an entry per qualifying lane.
struct StartCandidates {
  std::string start;
  std::vector<std::string> ids;
};

StartCandidates current_roadblock_candidates(const Graph& g, const scene::Map& map,
                                             const std::vector<std::string>& route, const sim::Pose& pose) {
  std::vector<const scene::Roadblock*> candidates;
  for (bool connector : {false, true}) {
    for (const auto& rb : map.roadblocks) {
      if (rb.connector == connector &&
          polygon_intersects_rect(rb.polygon, pose.x - kCandidateBox, pose.y - kCandidateBox, pose.x + kCandidateBox,
                                  pose.y + kCandidateBox)) {
        candidates.push_back(&rb);
      }
    }
  }
  if (candidates.empty()) {  // nearest roadblock and nearest connector
    for (bool connector : {false, true}) {
      const scene::Roadblock* best = nullptr;
      double best_d = INFINITY;
      for (const auto& rb : map.roadblocks) {
        if (rb.connector != connector) continue;
        const double d = polygon_distance(rb.polygon, {pose.x, pose.y});
        if (d < best_d) best_d = d, best = &rb;
      }
      if (best) candidates.push_back(best);
    }
  }
  AUTOSCALE_CHECK(!candidates.empty(), "no roadblock near the ego at ({:.1f}, {:.1f})", pose.x, pose.y);
  auto on_route = [&](const std::string& id) { return std::find(route.begin(), route.end(), id) != route.end(); };
  StartCandidates on, others;
  double on_best = INFINITY, others_best = INFINITY;
  const scene::Roadblock* closest = candidates.front();
  double closest_d = INFINITY;
  bool first = true;
  for (const auto* rb : candidates) {
    double rb_d = INFINITY;
    const auto it = g.lanes_of.find(rb->id);
    if (it != g.lanes_of.end()) {
      for (const auto* lane : it->second) {
        if (lane->centerline.size() < 2) continue;
        double d, h;
        lane_fit(*lane, pose, &d, &h);
        rb_d = std::min(rb_d, d);
        if (h < kMaxHeadingError && d < kMaxLaneDistance) {
          StartCandidates& list = on_route(rb->id) ? on : others;
          double& best = on_route(rb->id) ? on_best : others_best;
          list.ids.push_back(rb->id);
          if (d < best) best = d, list.start = rb->id;  // np.argmin: the first smallest
        }
      }
    }
    if (first || rb_d < closest_d) closest_d = rb_d, closest = rb;
    first = false;
  }
  if (!on.ids.empty()) return on;
  if (!others.ids.empty()) return others;
  StartCandidates all{closest->id, {}};
  for (const auto* rb : candidates) all.ids.push_back(rb->id);
  return all;
}

// NAVSIM's BreadthFirstSearchRoadBlock.search (bfs_roadblock.py), kept for parity: the start
// counts as depth 1 and is itself tested against the targets, nodes are not marked visited (a
// block reached twice on one level is queued twice), and the parent of a node at depth d + 1 is
// the LAST node of depth d that reaches it (later queue entries overwrite earlier ones). The
// first target in queue order at depth <= max_depth ends the search. Queue order only needs the
// first occurrence of each block per level, the parent the last one, so both orders are kept
// per level instead of the (exponential) queue. Returns the path in NAVSIM's order (forward:
// start ... target; backward: target ... start), empty when not found.
std::vector<std::string> roadblock_bfs(const std::unordered_map<std::string, std::vector<std::string>>& edges,
                                       const std::string& start, const std::vector<std::string>& targets,
                                       int max_depth, bool forward) {
  static const std::vector<std::string> kNone;
  auto neighbours = [&](const std::string& id) -> const std::vector<std::string>& {
    const auto it = edges.find(id);
    return it == edges.end() ? kNone : it->second;
  };
  std::map<std::pair<std::string, int>, std::string> parent;  // (block, depth) -> block at depth - 1
  std::vector<std::string> first_order{start}, last_order{start};
  for (int depth = 1; depth <= max_depth && !first_order.empty(); ++depth) {
    for (const auto& id : first_order) {
      if (std::find(targets.begin(), targets.end(), id) == targets.end()) continue;
      std::vector<std::string> path{id};
      for (int d = depth; d > 1; --d) path.push_back(parent.at({path.back(), d}));
      if (forward) std::reverse(path.begin(), path.end());
      return path;
    }
    std::vector<std::string> next_first, next_last;
    std::unordered_set<std::string> seen;
    for (const auto& id : first_order) {
      for (const auto& n : neighbours(id)) {
        if (seen.insert(n).second) next_first.push_back(n);
      }
    }
    std::unordered_map<std::string, size_t> last_position;  // position of the last occurrence
    std::vector<std::string> concatenated;
    for (const auto& id : last_order) {
      for (const auto& n : neighbours(id)) {
        parent[{n, depth + 1}] = id;
        last_position[n] = concatenated.size();
        concatenated.push_back(n);
      }
    }
    for (size_t i = 0; i < concatenated.size(); ++i) {
      if (last_position.at(concatenated[i]) == i) next_last.push_back(concatenated[i]);
    }
    first_order.swap(next_first);
    last_order.swap(next_last);
  }
  return {};
}

// NAVSIM's remove_route_loops (route_utils.py), kept for parity: walking the route, the first
// roadblock connector whose polygon overlaps an earlier connector of the route by more than
// 1 m² cuts the route just before it (only connectors are compared).
std::vector<std::string> remove_route_loops(const Graph& g, std::vector<std::string> route) {
  // Two rings overlap by at most their bounding boxes' overlap: most pairs are rejected by that
  // (as NAVSIM's STRtree query does) before the exact area.
  struct Box {
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  };
  auto box_of = [](const scene::Polyline& ring) {
    Box b;
    for (const auto& p : ring) b.x0 = std::min(b.x0, p.x), b.y0 = std::min(b.y0, p.y), b.x1 = std::max(b.x1, p.x), b.y1 = std::max(b.y1, p.y);
    return b;
  };
  auto box_overlap = [](const Box& a, const Box& b) {
    return std::max(0.0, std::min(a.x1, b.x1) - std::max(a.x0, b.x0)) * std::max(0.0, std::min(a.y1, b.y1) - std::max(a.y0, b.y0));
  };
  std::vector<std::pair<const scene::Roadblock*, Box>> seen;
  for (size_t i = 0; i < route.size(); ++i) {
    const auto it = g.roadblock.find(route[i]);
    AUTOSCALE_CHECK(it != g.roadblock.end(), "route: roadblock {} is not in the map", quote(route[i]));
    const scene::Roadblock* rb = it->second;
    if (!rb->connector) continue;
    const Box box = box_of(rb->polygon.exterior);
    for (const auto& [earlier, earlier_box] : seen) {
      if (box_overlap(box, earlier_box) <= kLoopOverlapArea) continue;
      if (ring_intersection_area(earlier->polygon.exterior, rb->polygon.exterior) > kLoopOverlapArea) {
        route.resize(i);
        return route;
      }
    }
    seen.push_back({rb, box});
  }
  return route;
}

// NAVSIM's route_roadblock_correction (route_utils.py) followed by _load_route_dicts, kept for
// parity: blocks before the start stay on the route; an off-route start is linked by a backward
// search from the first route block (depth 15), else a forward search to one of the first three
// (depth 30), and the route is left exactly as it was when neither finds a path; gaps between
// consecutive blocks are filled by forward searches (paths of 3 or more blocks); then route
// loops are cut and duplicates dropped (first occurrence kept).
std::vector<std::string> correct_route(const Graph& g, const std::vector<std::string>& logged,
                                       const StartCandidates& start) {
  std::vector<std::string> route;
  for (const auto& r : logged) {
    if (g.roadblock.count(r) && std::find(route.begin(), route.end(), r) == route.end()) route.push_back(r);
  }
  if (route.empty()) return {start.start};  // NAVSIM requires a route; ours starts where the ego is
  if (std::find(route.begin(), route.end(), start.start) == route.end()) {
    const auto back = roadblock_bfs(g.prev, route.front(), start.ids, kBackwardDepth, false);
    if (!back.empty()) {
      route.insert(route.begin(), back.begin(), back.end() - 1);  // candidate ... block before route[0]
    } else {
      const std::vector<std::string> firsts(route.begin(), route.begin() + std::min<size_t>(3, route.size()));
      const auto fwd = roadblock_bfs(g.next, start.start, firsts, kForwardDepth, true);
      if (!fwd.empty()) {
        const auto hit = std::find(route.begin(), route.end(), fwd.back());
        std::vector<std::string> joined = fwd;
        joined.insert(joined.end(), hit + 1, route.end());
        route = std::move(joined);
      }
    }
  }
  std::vector<std::string> filled;
  for (size_t i = 0; i < route.size(); ++i) {
    filled.push_back(route[i]);
    if (i + 1 == route.size()) break;
    const auto it = g.prev.find(route[i + 1]);
    if (it != g.prev.end() && std::find(it->second.begin(), it->second.end(), route[i]) != it->second.end()) continue;
    const auto gap = roadblock_bfs(g.next, route[i], {route[i + 1]}, kForwardDepth, true);
    if (gap.size() >= 3) filled.insert(filled.end(), gap.begin() + 1, gap.end() - 1);
  }
  const auto cut = remove_route_loops(g, std::move(filled));
  std::vector<std::string> out;
  for (const auto& r : cut) {
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  return out;
}

// AbstractPDMPlanner._get_starting_lane: an on-route lane under the rear axle with the smallest
// heading error, else the first route lane containing the ego centre, else the route lane whose
// polygon comes closest to the ego footprint.
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
  const Box footprint = ego_box(pose, vehicle);
  for (const auto* l : lanes) {
    if (l->polygon.size() >= 3 && strictly_inside_ring(l->polygon, footprint.center)) return l;
  }
  const scene::Polyline ego_ring = ring_of(footprint);
  double best_d = INFINITY;
  for (const auto* l : lanes) {
    if (l->centerline.size() < 2) continue;
    const double dist = l->polygon.size() >= 3 ? ring_distance(l->polygon, ego_ring)
                                               : polyline_ring_distance(l->centerline, ego_ring);
    if (dist < best_d) best_d = dist, best = l;
  }
  return best;
}

// NAVSIM's Dijkstra (graph_search/dijkstra.py) over the route lanes, kept for parity: the
// frontier is a list in insertion order and the cheapest entry is taken, ties to the earliest;
// the goal test is made when a lane is taken (the start included); an expanded lane is never
// relaxed again. Edge cost = baseline length of the lane entered. When no lane of the goal
// roadblock is reached, the path ends at the cheapest EXPANDED lane of the largest depth.
std::vector<const scene::Lane*> lane_path(const Graph& g, const scene::Lane* start,
                                          const std::unordered_set<std::string>& route_lanes,
                                          const std::string& goal_roadblock) {
  struct Entry {
    const scene::Lane* lane;
    double dist;
    int depth;
  };
  std::vector<Entry> frontier{{start, 1.0, 1}}, expanded;
  std::unordered_set<std::string> expanded_ids;
  std::unordered_map<std::string, std::string> parent{{start->id, ""}};
  std::unordered_map<std::string, double> length;
  auto cost = [&](const scene::Lane* l) {
    const auto it = length.find(l->id);
    if (it != length.end()) return it->second;
    return length[l->id] = Centerline(l->centerline).length();
  };
  const scene::Lane* goal = nullptr;
  while (!frontier.empty()) {
    size_t idx = 0;
    for (size_t i = 1; i < frontier.size(); ++i) {
      if (frontier[i].dist < frontier[idx].dist) idx = i;
    }
    const Entry current = frontier[idx];
    frontier.erase(frontier.begin() + static_cast<std::ptrdiff_t>(idx));
    if (current.lane->roadblock == goal_roadblock) {
      goal = current.lane;
      break;
    }
    expanded.push_back(current);
    expanded_ids.insert(current.lane->id);
    for (const auto& s : current.lane->successors) {
      const auto it = g.lane.find(s);
      if (it == g.lane.end() || !route_lanes.count(s)) continue;
      const double alt = current.dist + cost(it->second);
      const auto in_frontier = std::find_if(frontier.begin(), frontier.end(),
                                            [&](const Entry& e) { return e.lane->id == s; });
      if (!expanded_ids.count(s) && in_frontier == frontier.end()) {
        parent[s] = current.lane->id;
        frontier.push_back({it->second, alt, current.depth + 1});
      } else if (in_frontier != frontier.end() && alt < in_frontier->dist) {
        parent[s] = current.lane->id;
        in_frontier->dist = alt;
        in_frontier->depth = current.depth + 1;
      }
    }
  }
  if (!goal) {  // unreachable: the cheapest expanded lane at the largest depth (first on ties)
    int max_depth = 0;
    for (const auto& e : expanded) max_depth = std::max(max_depth, e.depth);
    double best = INFINITY;
    for (const auto& e : expanded) {
      if (e.depth == max_depth && e.dist < best) best = e.dist, goal = e.lane;
    }
  }
  std::vector<const scene::Lane*> path;
  for (std::string id = goal->id; !id.empty(); id = parent.at(id)) path.push_back(g.lane.at(id));
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace

RoutePlan plan_route(const scene::Map& map, const std::vector<std::string>& route, const sim::Pose& pose,
                     const sim::VehicleParams& vehicle) {
  const Graph g = build_graph(map);
  RoutePlan plan;
  plan.roadblocks = correct_route(g, route, current_roadblock_candidates(g, map, route, pose));
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
  // Goal: the last block of route[start : start + 30] (AbstractPDMPlanner._get_discrete_centerline).
  const std::string goal = plan.roadblocks[std::min(from + kLookahead, plan.roadblocks.size()) - 1];
  std::vector<scene::Vec2> points;
  for (const auto* lane : lane_path(g, start, plan.lanes, goal)) {
    plan.lane_path.push_back(lane->id);
    points.insert(points.end(), lane->centerline.begin(), lane->centerline.end());
  }
  plan.centerline = Centerline(points);
  return plan;
}

}  // namespace autoscale::eval
