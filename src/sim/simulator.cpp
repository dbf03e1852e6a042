// LQR tracker + kinematic bicycle, stepped 40 times (navsim-pdms.md 3.2, 3.4, 3.5).
#include "autoscale/sim/simulator.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "autoscale/core/error.h"

namespace autoscale::sim {
namespace {

double wrap(double a) { return std::atan2(std::sin(a), std::cos(a)); }

struct Command {
  double acceleration;
  double steering_rate;
};

// BatchLQRTracker for one trajectory at step i.
Command track(int i, const State& s, const std::vector<Pose>& ref, const ReferenceProfiles& prof,
              const TrackerParams& p, double wheel_base) {
  const int last = static_cast<int>(prof.velocity.size()) - 1;
  const int r = std::min(i + p.horizon, last);
  const double v_ref = prof.velocity[r];
  const double v0 = s.vx;
  if (v_ref <= p.stopping_velocity && v0 <= p.stopping_velocity) {
    return {-p.stopping_gain * (v0 - v_ref), 0.0};
  }
  // Longitudinal: one input held over the horizon, B = N dt.
  const double b_long = p.horizon * p.step;
  const double accel = -b_long * p.q_longitudinal * (v0 - v_ref) / (b_long * p.q_longitudinal * b_long + p.r_longitudinal);

  // Lateral: errors w.r.t. the reference state i, propagated over the horizon with the
  // curvature sequence κ[i:r] padded with κ[r].
  const Pose& rp = ref[i];
  const double e_lat = -(s.x - rp.x) * std::sin(rp.heading) + (s.y - rp.y) * std::cos(rp.heading);
  const Eigen::Vector3d s0(e_lat, wrap(s.heading - rp.heading), s.steering_angle);
  Eigen::Matrix3d A = Eigen::Matrix3d::Identity();
  Eigen::Vector3d B = Eigen::Vector3d::Zero();
  Eigen::Vector3d g = Eigen::Vector3d::Zero();
  const Eigen::Vector3d b(0.0, 0.0, p.step);
  for (int j = 0; j < p.horizon; ++j) {
    const double v = v0 + j * accel * p.step;
    const double kappa = prof.curvature[std::min(i + j, r)];
    Eigen::Matrix3d Mj = Eigen::Matrix3d::Identity();
    Mj(0, 1) = v * p.step;
    Mj(1, 2) = v * p.step / wheel_base;
    const Eigen::Vector3d gj(0.0, -v * kappa * p.step, 0.0);
    A = Mj * A;
    B = Mj * B + b;
    g = Mj * g + gj;
  }
  Eigen::Vector3d e = A * s0 + g;
  e(1) = wrap(e(1));
  e(2) = wrap(e(2));
  const Eigen::Vector3d q(p.q_lateral[0], p.q_lateral[1], p.q_lateral[2]);
  const double btqb = B.dot(q.cwiseProduct(B));
  const double steering_rate = -B.dot(q.cwiseProduct(e)) / (btqb + p.r_lateral);
  return {accel, steering_rate};
}

// BatchKinematicBicycleModel: first-order actuator lags, explicit Euler on the old state.
State propagate(const State& s, const Command& cmd, const BicycleParams& p, double wheel_base, double dt) {
  State n;
  const double a_new = s.ax + dt / (dt + p.acceleration_time_constant) * (cmd.acceleration - s.ax);
  const double ideal = s.steering_angle + dt * cmd.steering_rate;
  const double filtered = s.steering_angle + dt / (dt + p.steering_time_constant) * (ideal - s.steering_angle);
  const double steering_rate = (filtered - s.steering_angle) / dt;
  const double v = s.vx;
  n.x = s.x + v * std::cos(s.heading) * dt;
  n.y = s.y + v * std::sin(s.heading) * dt;
  n.heading = wrap(s.heading + v * std::tan(s.steering_angle) / wheel_base * dt);
  n.vx = v + a_new * dt;
  n.vy = 0.0;
  n.steering_angle = std::clamp(s.steering_angle + steering_rate * dt, -p.max_steering_angle, p.max_steering_angle);
  n.ax = a_new;
  n.ay = 0.0;
  n.steering_rate = steering_rate;
  n.yaw_rate = n.vx * std::tan(n.steering_angle) / wheel_base;
  n.yaw_acceleration = (n.yaw_rate - s.yaw_rate) / dt;
  return n;
}

}  // namespace

std::vector<State> simulate(const State& initial, const std::vector<Pose>& reference, const SimulatorParams& params) {
  AUTOSCALE_CHECK(reference.size() >= 3, "simulate: reference needs at least 3 poses, got {}", reference.size());
  const ReferenceProfiles prof = fit_reference_profiles(reference, params.tracker);
  const int steps = static_cast<int>(reference.size()) - 1;
  std::vector<State> out;
  out.reserve(reference.size());
  State s = initial;
  s.steering_angle = s.steering_rate = s.yaw_rate = s.yaw_acceleration = 0.0;
  out.push_back(s);
  const double L = params.vehicle.wheel_base;
  for (int i = 0; i < steps; ++i) {
    const Command cmd = track(i, out.back(), reference, prof, params.tracker, L);
    out.push_back(propagate(out.back(), cmd, params.bicycle, L, params.tracker.step));
  }
  return out;
}

}  // namespace autoscale::sim
