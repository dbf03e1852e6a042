#include "autoscale/train/planner_input.h"

#include <algorithm>
#include <array>
#include <utility>
#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/eval/route_planner.h"
#include "autoscale/scene/geometry.h"

namespace autoscale::train {

int lane_input(const encode::GraphOptions& o) { return encode::lane_features(o) + 1; }

void mirror_planner_arrays(float* ego, float* agents, int64_t max_agents, float* lanes, int64_t max_lanes,
                           const encode::GraphOptions& o, float* path, float* prior, float* target) {
  // ego: speed, accel lon, accel lat, command (left, straight, right, unknown), 3 x past (x, y)
  ego[2] = -ego[2];
  std::swap(ego[3], ego[5]);
  for (int k = 0; k < 3; ++k) ego[8 + 2 * k] = -ego[8 + 2 * k];
  // agents: class (4), x, y, cos, sin, length, width, vx, vy, 3 x (dx, dy, seen); padding stays 0
  for (int64_t i = 0; i < max_agents; ++i) {
    float* a = agents + i * kAgentInput;
    a[5] = -a[5], a[7] = -a[7], a[11] = -a[11];
    for (int k = 0; k < 3; ++k) a[13 + 3 * k] = -a[13 + 3 * k];
  }
  // lanes: (x, y) per centerline point, then flags
  const int li = lane_input(o);
  for (int64_t i = 0; i < max_lanes; ++i) {
    for (int64_t k = 0; k < o.lane_points; ++k) lanes[i * li + 2 * k + 1] = -lanes[i * li + 2 * k + 1];
  }
  for (int k = 0; k < kPathPoints; ++k) path[2 * k + 1] = -path[2 * k + 1];
  for (float* poses : {prior, target}) {
    for (int k = 0; k < kPlanPoses; ++k) poses[3 * k + 1] = -poses[3 * k + 1], poses[3 * k + 2] = -poses[3 * k + 2];
  }
}

void mirror_planner_sample(PlannerSample& s, const encode::GraphOptions& o) {
  mirror_planner_arrays(s.ego.data(), s.agents.data(), o.max_agents, s.lanes.data(), o.max_lanes, o, s.path.data(),
                        s.prior.data(), s.target.data());
}

PlannerSample build_planner_sample(const scene::Scene& s, const scene::Map& map, const encode::GraphOptions& o) {
  encode::SceneGraph g = encode::build_graph(s, map, o);  // checks emptiness, lanes, future, finiteness
  PlannerSample out;
  // The graph's ego row ends with the future; the planner must not see it.
  out.ego.assign(g.ego.begin(), g.ego.begin() + 7);
  const int c = s.current_index();
  const scene::EgoState& e = s.current_ego();
  const double cs = std::cos(e.heading), sn = std::sin(e.heading);
  for (int k = 1; k <= 3; ++k) {  // the ego's own past; the first scene steps repeat the oldest known
    const scene::EgoState& p = s.ego[std::max(0, c - 5 * k)];
    const double dx = p.x - e.x, dy = p.y - e.y;
    out.ego.push_back(float(cs * dx + sn * dy));
    out.ego.push_back(float(-sn * dx + cs * dy));
  }
  for (float v : out.ego) AUTOSCALE_CHECK(std::isfinite(v), "scene {}: non-finite ego history", s.token);
  out.agents = std::move(g.agents);
  out.agent_mask = std::move(g.agent_mask);
  const int lf = encode::lane_features(o), li = lane_input(o);
  out.lanes.assign(static_cast<size_t>(o.max_lanes) * li, 0.f);
  for (int64_t i = 0; i < o.max_lanes; ++i) {
    std::copy(g.lanes.begin() + i * lf, g.lanes.begin() + (i + 1) * lf, out.lanes.begin() + i * li);
    out.lanes[i * li + lf] = g.lane_on_route[i];
  }
  out.lane_mask = std::move(g.lane_mask);

  // The route centerline from the ego's projection on, in the ego frame.
  const auto route = eval::plan_route(map, s.route, {e.x, e.y, e.heading});
  const auto& line = route.centerline;
  const double s0 = line.project({e.x, e.y});
  auto local = [&](const sim::Pose& p) {
    const double dx = p.x - e.x, dy = p.y - e.y;
    return std::array<double, 3>{cs * dx + sn * dy, -sn * dx + cs * dy, scene::wrap_angle(p.heading - e.heading)};
  };
  for (int k = 0; k < kPathPoints; ++k) {
    const auto p = local(line.interpolate(s0 + k * kPathStep));
    out.path.push_back(float(p[0]));
    out.path.push_back(float(p[1]));
  }
  // The ego is rarely on the centerline: the prior starts at its lateral offset and merges
  // onto the line linearly over the horizon (as a driver re-centres), instead of jumping to it.
  const sim::Pose foot = line.interpolate(s0);
  const double offset = -std::sin(foot.heading) * (e.x - foot.x) + std::cos(foot.heading) * (e.y - foot.y);
  const double speed = std::hypot(e.vx, e.vy);
  const auto end = line.interpolate(line.length());
  for (int k = 1; k <= kPlanPoses; ++k) {
    const double along = speed * k * kPlanInterval;
    const double beyond = std::max(0.0, s0 + along - line.length());  // past the end: straight on
    sim::Pose p = line.interpolate(s0 + along);
    p.x += beyond * std::cos(end.heading);
    p.y += beyond * std::sin(end.heading);
    const double lateral = offset * (1.0 - static_cast<double>(k) / kPlanPoses);
    p.x -= lateral * std::sin(p.heading);
    p.y += lateral * std::cos(p.heading);
    const auto q = local(p);
    out.prior.insert(out.prior.end(), {float(q[0]), float(q[1]), float(q[2])});
  }
  out.target = std::move(g.future);
  return out;
}

}  // namespace autoscale::train
