// The ego's logged past as NAVSIM v2's history comfort sees it (navsim-pdms.md 5.5).
#pragma once

#include <vector>

#include "autoscale/sim/vehicle.h"

namespace autoscale::eval {

// One logged ego state: t in s relative to the current frame (<= 0); pose at the rear axle in
// the global frame, velocity and acceleration in the ego frame.
struct HistorySample {
  double t = 0;
  sim::State state;
};

// The states HC prepends to the simulated ones. NAVSIM (PDMScorer._calculate_history_comfort)
// takes the logged past, -1.5 ... 0 s at 2 Hz with the current state last, as an interpolated
// trajectory (linear in position, velocity and acceleration, the heading unwrapped), samples it
// every 0.1 s from its first time (integer microseconds, end excluded) and drops the last sample:
// -1.5 ... -0.2 s, 14 states. Steering, yaw rate and yaw acceleration are 0 in logged states.
// `logged` must be in increasing time and end with the current state (t = 0); fewer than two
// samples give no history (HC is then 1).
std::vector<sim::State> history_states(const std::vector<HistorySample>& logged);

}  // namespace autoscale::eval
