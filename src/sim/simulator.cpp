// NAVSIM's PDMSimulator for one proposal (navsim-pdms.md 3.2): fit the reference profiles once,
// then 40 x (LQR command, bicycle step) from the actual initial state.
#include "autoscale/sim/simulator.h"

#include <array>

#include "autoscale/core/error.h"
#include "internal.h"

namespace autoscale::sim {

std::vector<State> simulate(const State& initial, const std::vector<Pose>& reference, const SimulatorParams& params) {
  AUTOSCALE_CHECK(reference.size() >= 3, "simulate: reference needs at least 3 poses, got {}", reference.size());
  const int n = static_cast<int>(reference.size());
  const int m = n - 1;
  // Profiles on the stack for the usual 41 poses; heap only for unusually long references.
  constexpr int kStack = 128;
  std::array<double, 2 * kStack> stack;
  std::vector<double> heap;
  double* velocity = stack.data();
  if (m > kStack) {
    heap.resize(2 * static_cast<size_t>(m));
    velocity = heap.data();
  }
  double* curvature = velocity + m;
  detail::fit_profiles(reference.data(), n, params.tracker, velocity, curvature);

  std::vector<State> out(n);
  // NAVSIM's initial EgoState is built with zero steering angle, steering rate, yaw rate and yaw
  // acceleration; pose, velocity and acceleration come from the log.
  State& s0 = out[0];
  s0 = initial;
  s0.steering_angle = s0.steering_rate = s0.yaw_rate = s0.yaw_acceleration = 0.0;
  const double wheel_base = params.vehicle.wheel_base;
  for (int i = 0; i < m; ++i) {
    const detail::Command cmd =
        detail::track(i, out[i], reference.data(), velocity, curvature, m, params.tracker, wheel_base);
    out[i + 1] = detail::propagate(out[i], cmd, params.bicycle, wheel_base, params.tracker.step);
  }
  return out;
}

}  // namespace autoscale::sim
