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
  // Scratch (heading cos/sin, profiles) on the stack for the usual 41 poses; heap only for
  // unusually long references.
  constexpr int kStack = 128;
  std::array<double, 4 * kStack> stack;
  std::vector<double> heap;
  double* scratch = stack.data();
  if (n > kStack) {
    heap.resize(4 * static_cast<size_t>(n));
    scratch = heap.data();
  }
  double* cos_h = scratch;
  double* sin_h = cos_h + n;
  double* velocity = sin_h + n;
  double* curvature = velocity + m;
  detail::compute_heading_trig(reference.data(), n, cos_h, sin_h);
  const detail::HeadingTrig trig{cos_h, sin_h};
  detail::fit_profiles(reference.data(), trig, n, params.tracker, velocity, curvature);

  std::vector<State> out(n);
  // NAVSIM's initial EgoState is built with zero steering angle, steering rate, yaw rate and yaw
  // acceleration; pose, velocity and acceleration come from the log.
  State& s0 = out[0];
  s0 = initial;
  s0.steering_angle = s0.steering_rate = s0.yaw_rate = s0.yaw_acceleration = 0.0;
  const double wheel_base = params.vehicle.wheel_base;
  for (int i = 0; i < m; ++i) {
    const detail::Command cmd =
        detail::track(i, out[i], reference.data(), trig, velocity, curvature, m, params.tracker, wheel_base);
    out[i + 1] = detail::propagate(out[i], cmd, params.bicycle, wheel_base, params.tracker.step);
  }
  return out;
}

}  // namespace autoscale::sim
