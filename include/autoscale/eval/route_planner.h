// The route and centerline PDM-Closed follows (navsim-pdms.md section 6, steps 1-3): correct
// the logged route so that it starts where the ego is, pick the starting lane, then search the
// lane graph of the route for the path to its end.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "autoscale/eval/centerline.h"
#include "autoscale/scene/types.h"
#include "autoscale/sim/vehicle.h"

namespace autoscale::eval {

struct RoutePlan {
  std::vector<std::string> roadblocks;     // corrected route, in driving order
  std::unordered_set<std::string> lanes;   // interior lanes of those roadblocks (the on-route lanes)
  std::vector<std::string> lane_path;      // lanes the centerline runs through
  Centerline centerline;
  double speed_limit = 0.0;                // of the starting lane; NaN when unknown
};

// Throws Error when the map has no lane near the ego.
RoutePlan plan_route(const scene::Map& map, const std::vector<std::string>& route, const sim::Pose& rear_axle,
                     const sim::VehicleParams& vehicle = {});

}  // namespace autoscale::eval
