// Internal pieces of the simulator (navsim-pdms.md 3.2-3.5), shared by the .cpp files of
// src/sim only. Each function works on plain arrays so simulate() allocates nothing per step.
#pragma once

#include <cmath>

#include "autoscale/sim/simulator.h"

namespace autoscale::sim::detail {

inline constexpr double kPi = 3.141592653589793;

// NAVSIM's normalize_angle: atan2(sin a, cos a), range [-pi, pi]. Used by the LQR errors and the
// heading displacements of the profile fit. Inside (-3, 3) the round trip returns `a` up to an ulp
// or two (NumPy's own vectorised sin/cos differ from glibc's at that level too), so the common
// case skips three libm calls, most of a tracker step's cost; near +-pi the exact formula decides.
inline double normalize_angle(double a) {
  if (std::abs(a) < 3.0) return a;
  return std::atan2(std::sin(a), std::cos(a));
}

// nuPlan's principal_value: (a + pi) % 2pi - pi with NumPy's floored modulo, range [-pi, pi).
// Used for the interpolated reference headings and the bicycle's integrated heading; it differs
// from normalize_angle at exactly +pi (which becomes -pi) and in the last bits.
inline double principal_value(double a) {
  constexpr double kTwoPi = 2.0 * kPi;
  double m = std::fmod(a + kPi, kTwoPi);
  if (m < 0) m += kTwoPi;
  else if (m == 0) m = 0.0;  // NumPy returns +0 here
  return m - kPi;
}

// cos and sin of the reference headings, computed once per reference and shared by the profile
// fit and every tracker step (the same values NAVSIM recomputes each time).
struct HeadingTrig {
  const double* cos;
  const double* sin;
};
void compute_heading_trig(const Pose* reference, int n, double* cos_out, double* sin_out);

// Fits the velocity and curvature profiles of n reference poses into velocity[0 .. n-2] and
// curvature[0 .. n-2] (reference_profiles.cpp).
void fit_profiles(const Pose* reference, HeadingTrig trig, int n, const TrackerParams& params, double* velocity,
                  double* curvature);

// Actuator commands of one tracker step.
struct Command {
  double acceleration = 0;
  double steering_rate = 0;
};

// BatchLQRTracker at step `i` for one proposal (lqr_tracker.cpp). `m` = profile length (n - 1).
Command track(int i, const State& state, const Pose* reference, HeadingTrig trig, const double* velocity,
              const double* curvature, int m, const TrackerParams& params, double wheel_base);

// BatchKinematicBicycleModel.propagate_state for one proposal and one step of `dt` (bicycle.cpp).
State propagate(const State& state, const Command& command, const BicycleParams& params, double wheel_base,
                double dt);

}  // namespace autoscale::sim::detail
