// NAVSIM's BatchLQRTracker for one proposal and one step (navsim-pdms.md 3.4): a stopping
// P-controller near standstill, otherwise a one-step longitudinal LQR on the velocity 10 steps
// ahead and a one-step lateral LQR on the error 10 steps ahead.
#include <algorithm>

#include "internal.h"

namespace autoscale::sim::detail {

Command track(int i, const State& s, const Pose* ref, HeadingTrig trig, const double* velocity,
              const double* curvature, int m, const TrackerParams& p, double wheel_base) {
  const int horizon = p.horizon;
  const double dt = p.step;
  const int r = std::min(i + horizon, m - 1);  // reference index, 10 steps ahead or the last
  const double v_ref = velocity[r];
  const double v0 = s.vx;

  if (v_ref <= p.stopping_velocity && v0 <= p.stopping_velocity) {
    return {-p.stopping_gain * (v0 - v_ref), 0.0};
  }

  // Longitudinal: one acceleration held over the horizon, v_N = v0 + (N dt) a.
  const double b_long = horizon * dt;
  const double inverse = -1.0 / (b_long * p.q_longitudinal * b_long + p.r_longitudinal);
  const double accel = inverse * b_long * p.q_longitudinal * (v0 - v_ref);

  // Lateral state w.r.t. reference pose i: [lateral error, heading error, steering angle].
  const Pose& rp = ref[i];
  const double sin_r = trig.sin[i], cos_r = trig.cos[i];
  double e0 = -(s.x - rp.x) * sin_r + (s.y - rp.y) * cos_r;
  double e1 = normalize_angle(s.heading - rp.heading);
  double e2 = s.steering_angle;

  // NAVSIM composes x_N = A x_0 + B u + g over the horizon with the step matrices
  // M_j = I + [[0, v_j dt, 0], [0, 0, v_j dt / L], [0, 0, 0]], input [0, 0, dt] and affine term
  // [0, -v_j κ_j dt, 0]. Only A x_0 + g (the zero-input error) and B are used, so both are
  // propagated directly: M_j applied to a vector needs two multiply-adds.
  double b0 = 0.0, b1 = 0.0, b2 = 0.0;
  double v = v0;  // v_j = v0 + Σ a dt, NAVSIM's cumulative sum
  for (int j = 0; j < horizon; ++j) {
    const double kappa = curvature[std::min(i + j, r)];  // κ[i:r] padded with κ[r]
    const double p01 = v * dt, p12 = v * dt / wheel_base;
    e0 = e0 + p01 * e1;
    e1 = e1 + p12 * e2 + -v * kappa * dt;
    b0 = b0 + p01 * b1;
    b1 = b1 + p12 * b2;
    b2 = b2 + dt;
    v += accel * dt;
  }
  e1 = normalize_angle(e1);
  e2 = normalize_angle(e2);
  const double q0 = p.q_lateral[0], q1 = p.q_lateral[1], q2 = p.q_lateral[2];
  const double btqb = b0 * q0 * b0 + b1 * q1 * b1 + b2 * q2 * b2;
  const double tail = b0 * q0 * e0 + b1 * q1 * e1 + b2 * q2 * e2;
  return {accel, -1.0 / (btqb + p.r_lateral) * tail};
}

}  // namespace autoscale::sim::detail
