// Planner trajectories and their resampling onto the simulator's time grid, as NAVSIM's
// Trajectory -> InterpolatedTrajectory -> 41 reference states (navsim-pdms.md section 3.1).
#pragma once

#include <cstdint>
#include <vector>

#include "autoscale/sim/vehicle.h"

namespace autoscale::sim {

inline constexpr double kSimStep = 0.1;       // s
inline constexpr int kSimSteps = 40;          // 40 steps -> 41 states, t = 0 .. 4.0 s
inline constexpr int kNumStates = kSimSteps + 1;

// SE(2) composition: `relative` poses in the frame of `origin` -> global poses.
std::vector<Pose> relative_to_absolute(const Pose& origin, const std::vector<Pose>& relative);
// The inverse: global poses -> the frame of `origin`.
std::vector<Pose> absolute_to_relative(const Pose& origin, const std::vector<Pose>& absolute);

// Resamples a plan onto t = 0, 0.1, ..., (num_states - 1) * 0.1 s exactly as NAVSIM does:
// the initial pose is prepended at t = 0, the global `poses` sit at t = interval * (k + 1);
// times are converted to integer microseconds and clipped to the plan's span (a shorter plan is
// held at its last pose); x and y interpolate linearly, the heading through np.unwrap.
std::vector<Pose> interpolate_plan(const Pose& initial, const std::vector<Pose>& poses, double interval,
                                   int num_states = kNumStates);

// The same for a scene whose initial state carries the nuPlan timestamp `start_time_us`. NAVSIM
// adds that timestamp, in seconds as a double, to the knot and sample times before truncating
// them to microseconds, so with real timestamps (~1.6e15 us) a time can land a microsecond off
// the ideal grid (a ~1e-6 relative shift inside a segment). The overload above is this one with
// start_time_us = 0; pass the real timestamp for last-bit parity with NAVSIM.
std::vector<Pose> interpolate_plan(const Pose& initial, const std::vector<Pose>& poses, double interval,
                                   int num_states, int64_t start_time_us);

}  // namespace autoscale::sim
