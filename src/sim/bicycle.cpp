// NAVSIM's BatchKinematicBicycleModel for one step (navsim-pdms.md 3.5): first-order lags on
// acceleration and steering, then explicit Euler from the OLD velocity, heading and steering.
#include <algorithm>

#include "internal.h"

namespace autoscale::sim::detail {

State propagate(const State& s, const Command& cmd, const BicycleParams& p, double wheel_base, double dt) {
  // Lags: a_new = a + dt/(dt+τa)(a_cmd - a); the steering target is δ + dt δ̇_cmd, reached with
  // τδ, and the resulting rate is what gets integrated.
  const double accel = dt / (dt + p.acceleration_time_constant) * (cmd.acceleration - s.ax) + s.ax;
  const double ideal_steering = dt * cmd.steering_rate + s.steering_angle;
  const double lagged_steering =
      dt / (dt + p.steering_time_constant) * (ideal_steering - s.steering_angle) + s.steering_angle;
  const double steering_rate = (lagged_steering - s.steering_angle) / dt;

  State n;
  const double v = s.vx;
  n.x = s.x + v * std::cos(s.heading) * dt;
  n.y = s.y + v * std::sin(s.heading) * dt;
  n.heading = principal_value(s.heading + v * std::tan(s.steering_angle) / wheel_base * dt);
  n.vx = v + accel * dt;
  n.vy = 0.0;  // kinematic model: no lateral velocity
  n.ax = accel;
  n.ay = 0.0;  // so simulated lateral acceleration is always 0 (a comfort-metric quirk)
  n.steering_angle = std::clamp(s.steering_angle + steering_rate * dt, -p.max_steering_angle, p.max_steering_angle);
  n.steering_rate = steering_rate;
  n.yaw_rate = n.vx * std::tan(n.steering_angle) / wheel_base;
  n.yaw_acceleration = (n.yaw_rate - s.yaw_rate) / dt;
  return n;
}

}  // namespace autoscale::sim::detail
