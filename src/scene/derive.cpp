#include "autoscale/scene/derive.h"

#include <cmath>
#include <unordered_map>

#include "autoscale/core/error.h"
#include "autoscale/scene/geometry.h"

namespace autoscale::scene {
namespace {
int to_steps(double seconds) { return static_cast<int>(std::lround(seconds / kStepSeconds)); }

// Thresholds of infer_command: a lane change ends nearly parallel (small heading change) and
// stays "straight"; a turn both displaces and rotates.
constexpr double kTurnLateral = 2.0;   // m
constexpr double kTurnHeading = 0.35;  // rad (20 degrees)
}  // namespace

void WindowOptions::visit(ConfigVisitor& v) {
  v.field("history_s", history_s, "ego history before the current frame [s]", at_least(0));
  v.field("future_s", future_s, "longest future kept after the current frame [s]", positive());
  v.field("min_future_s", min_future_s, "shortest future accepted; shorter windows are skipped [s]", positive());
  v.field("stride_s", stride_s, "time between consecutive current frames of one track [s]", at_least(kStepSeconds));
}

void WindowOptions::validate() const {
  AUTOSCALE_CHECK(min_future_s <= future_s, "min_future_s ({}) must not exceed future_s ({})", min_future_s, future_s);
}

int WindowOptions::history_steps() const { return to_steps(history_s); }
int WindowOptions::future_steps() const { return to_steps(future_s); }
int WindowOptions::min_future_steps() const { return to_steps(min_future_s); }
int WindowOptions::stride_steps() const { return std::max(1, to_steps(stride_s)); }

DrivingCommand infer_command(const Scene& scene) {
  if (scene.num_future() <= 0) return DrivingCommand::kUnknown;
  const EgoState& now = scene.current_ego();
  const EgoState& last = scene.ego.back();
  const double dx = last.x - now.x, dy = last.y - now.y;
  const double lateral = -std::sin(now.heading) * dx + std::cos(now.heading) * dy;
  const double turn = wrap_angle(last.heading - now.heading);
  if (lateral > kTurnLateral && turn > kTurnHeading) return DrivingCommand::kLeft;
  if (lateral < -kTurnLateral && turn < -kTurnHeading) return DrivingCommand::kRight;
  return DrivingCommand::kStraight;
}

std::vector<std::string> route_from_path(const Map& map, const std::vector<EgoState>& path) {
  std::vector<std::string> route;
  const Lane* last_lane = nullptr;
  for (const auto& s : path) {
    const Lane* hit = nullptr;
    for (const auto& lane : map.lanes) {
      if (lane.polygon.size() < 3 || !point_in_ring(lane.polygon, {s.x, s.y})) continue;
      // Where lanes overlap (merges, connectors), stay on the current roadblock.
      if (!hit || (!route.empty() && lane.roadblock == route.back())) hit = &lane;
    }
    if (!hit) continue;
    last_lane = hit;
    if (route.empty() || route.back() != hit->roadblock) route.push_back(hit->roadblock);
  }
  if (last_lane) {
    std::unordered_map<std::string, const Lane*> by_id;
    for (const auto& lane : map.lanes) by_id[lane.id] = &lane;
    for (const auto& succ : last_lane->successors) {
      const auto it = by_id.find(succ);
      if (it == by_id.end()) continue;
      const std::string& rb = it->second->roadblock;
      if (std::find(route.begin(), route.end(), rb) == route.end()) route.push_back(rb);
    }
  }
  return route;
}

double rear_axle_to_center(double length) { return length * (1.461 / 5.176); }

}  // namespace autoscale::scene
