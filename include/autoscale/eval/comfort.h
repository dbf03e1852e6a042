// Comfort checks on simulated ego states (navsim-pdms.md 4.6 for v1, 5.2/5.5/5.6 for v2),
// built on SciPy-exact Savitzky-Golay filtering.
#pragma once

#include <vector>

#include "autoscale/sim/vehicle.h"

namespace autoscale::eval {

// v1 C: all six checks on the 41 states (accelerations smoothed with window 41).
bool comfortable_v1(const std::vector<sim::State>& states);
// v2 HC: the six checks with v2 windows (8 for accelerations, 15 for jerk) and centre-shifted
// longitudinal acceleration, on `history` (may be empty) followed by `states`.
bool comfortable_v2(const std::vector<sim::State>& history, const std::vector<sim::State>& states,
                    double rear_axle_to_center);
// v2 EC: consistency of two plans over their common time span (k = 5 steps apart).
bool extended_comfort(const std::vector<sim::State>& now, const std::vector<sim::State>& previous, int shift_steps);

}  // namespace autoscale::eval
