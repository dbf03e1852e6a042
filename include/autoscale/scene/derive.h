// Fields that importers derive from a recorded track rather than read: the driving command,
// the route through the map, and the windows a long recording is cut into.
#pragma once

#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/scene/types.h"

namespace autoscale::scene {

// How a recording is cut into scenes: history + current step + future, every stride.
struct WindowOptions {
  double history_s = 1.5;     // NAVSIM: 4 frames at 2 Hz = 1.5 s before the current frame
  double future_s = 5.0;      // longest future kept (NAVSIM v1 observes 5 s)
  double min_future_s = 4.0;  // shortest future accepted (the 4 s scoring horizon)
  double stride_s = 0.5;      // between consecutive current frames

  void visit(ConfigVisitor& v);
  void validate() const;  // cross-field checks; throws Error naming the keys
  int history_steps() const;
  int future_steps() const;
  int min_future_steps() const;
  int stride_steps() const;
};

// NAVSIM-style high-level command from the expert's own future: left/right when the final
// future pose is displaced sideways and turned, else straight (unknown without a future).
DrivingCommand infer_command(const Scene& scene);

// Roadblocks visited by the ego's rear-axle path (history and future), in driving order, plus
// the roadblocks of the last lane's successors so that the route extends past the window.
std::vector<std::string> route_from_path(const Map& map, const std::vector<EgoState>& path);

// Distance from the rear axle to the box centre for a vehicle of this length, scaled from the
// nuPlan Pacifica (1.461 m of 5.176 m) for recordings that only give the box centre.
double rear_axle_to_center(double length);

}  // namespace autoscale::scene
