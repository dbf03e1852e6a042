// Unit checks of one LQR step and one bicycle step against the formulas of navsim-pdms.md 3.4
// and 3.5, through the module's internal header.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../../src/sim/internal.h"

namespace autoscale::sim::detail {
namespace {

constexpr double kL = 3.089;

struct Fixture {
  std::vector<Pose> ref = std::vector<Pose>(41);
  std::vector<double> velocity = std::vector<double>(40, 0.0), curvature = std::vector<double>(40, 0.0);
  Command track_at(int i, const State& s) const {
    std::vector<double> c(41), sn(41);
    compute_heading_trig(ref.data(), 41, c.data(), sn.data());
    return track(i, s, ref.data(), {c.data(), sn.data()}, velocity.data(), curvature.data(), 40, TrackerParams{}, kL);
  }
};

TEST(Tracker, StoppingControllerBelowPointTwoMetresPerSecond) {
  Fixture f;
  f.velocity.assign(40, 0.15);
  State s;
  s.vx = 0.19;
  s.heading = 0.4;  // a heading error is ignored by the stopping branch
  const Command c = f.track_at(3, s);
  EXPECT_DOUBLE_EQ(c.acceleration, -0.5 * (0.19 - 0.15));
  EXPECT_EQ(c.steering_rate, 0.0);
  // Either speed above 0.2 m/s leaves the stopping branch: LQR gain 10/11.
  s.vx = 0.21;
  EXPECT_NEAR(f.track_at(3, s).acceleration, -(10.0 / 11.0) * (0.21 - 0.15), 1e-15);
  s.vx = 0.0;
  f.velocity[13] = 0.25;
  EXPECT_NEAR(f.track_at(3, s).acceleration, -(10.0 / 11.0) * (0.0 - 0.25), 1e-15);
}

TEST(Tracker, LongitudinalUsesTheVelocityTenStepsAheadOrTheLast) {
  Fixture f;
  for (int k = 0; k < 40; ++k) f.velocity[k] = k;
  State s;
  s.vx = 5.0;
  EXPECT_NEAR(f.track_at(0, s).acceleration, -(10.0 / 11.0) * (5.0 - 10.0), 1e-12);
  EXPECT_NEAR(f.track_at(35, s).acceleration, -(10.0 / 11.0) * (5.0 - 39.0), 1e-12);
}

TEST(Tracker, LateralMatchesTheDenseHorizonComposition) {
  // Straight reference along +x, ego 0.5 m to the left with a small heading error and steering:
  // compare with the composition A, B, g of 3x3 matrices written out naively.
  Fixture f;
  for (int k = 0; k < 41; ++k) f.ref[k] = {k * 1.0, 0.0, 0.0};
  for (int k = 0; k < 40; ++k) f.velocity[k] = 10.0, f.curvature[k] = 0.01 * k;
  State s;
  s.x = 2.0, s.y = 0.5, s.heading = 0.05, s.vx = 9.0, s.steering_angle = 0.02;
  const int i = 2;
  const Command c = f.track_at(i, s);
  const double accel = -(10.0 / 11.0) * (9.0 - 10.0);
  double a[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, b[3] = {0, 0, 0}, g[3] = {0, 0, 0};
  for (int j = 0; j < 10; ++j) {
    const double v = 9.0 + j * accel * 0.1, kappa = f.curvature[std::min(i + j, 12)];
    const double m[3][3] = {{1, v * 0.1, 0}, {0, 1, v * 0.1 / kL}, {0, 0, 1}};
    double na[3][3] = {}, nb[3] = {}, ng[3] = {};
    for (int r = 0; r < 3; ++r) {
      for (int k = 0; k < 3; ++k) {
        for (int q = 0; q < 3; ++q) na[r][q] += m[r][k] * a[k][q];
        nb[r] += m[r][k] * b[k];
        ng[r] += m[r][k] * g[k];
      }
    }
    nb[2] += 0.1;
    ng[1] += -v * kappa * 0.1;
    std::copy(&na[0][0], &na[0][0] + 9, &a[0][0]);
    std::copy(nb, nb + 3, b);
    std::copy(ng, ng + 3, g);
  }
  const double x0[3] = {0.5, 0.05, 0.02};
  double e[3];
  for (int r = 0; r < 3; ++r) e[r] = a[r][0] * x0[0] + a[r][1] * x0[1] + a[r][2] * x0[2] + g[r];
  const double q[3] = {1.0, 10.0, 0.0};
  double btqb = 0, tail = 0;
  for (int r = 0; r < 3; ++r) btqb += b[r] * q[r] * b[r], tail += b[r] * q[r] * e[r];
  EXPECT_NEAR(c.acceleration, accel, 1e-15);
  EXPECT_NEAR(c.steering_rate, -tail / (btqb + 1.0), 1e-12);
  // On a straight reference, left of the line and pointing left: steer right.
  f.curvature.assign(40, 0.0);
  EXPECT_LT(f.track_at(i, s).steering_rate, 0.0);
  s.y = -0.5, s.heading = -0.05, s.steering_angle = -0.02;
  EXPECT_GT(f.track_at(i, s).steering_rate, 0.0);
}

TEST(Bicycle, LagsAndExplicitEulerFromTheOldState) {
  State s;
  s.x = 1.0, s.y = 2.0, s.heading = 0.3, s.vx = 5.0, s.vy = 0.7, s.ax = 1.0, s.ay = 0.9;
  s.steering_angle = 0.1, s.yaw_rate = 0.2;
  const State n = propagate(s, {4.0, 0.6}, BicycleParams{}, kL, 0.1);
  const double accel = 1.0 + 0.1 / 0.3 * (4.0 - 1.0);  // τa = 0.2 s
  const double rate = (0.1 / 0.15) * 0.6;               // τδ = 0.05 s on the steering target
  EXPECT_NEAR(n.ax, accel, 1e-15);
  EXPECT_EQ(n.ay, 0.0);
  EXPECT_EQ(n.vy, 0.0);
  EXPECT_NEAR(n.steering_rate, rate, 1e-14);
  EXPECT_NEAR(n.x, 1.0 + 5.0 * std::cos(0.3) * 0.1, 1e-15);  // old v and heading
  EXPECT_NEAR(n.y, 2.0 + 5.0 * std::sin(0.3) * 0.1, 1e-15);
  EXPECT_NEAR(n.heading, 0.3 + 5.0 * std::tan(0.1) / kL * 0.1, 1e-15);  // old steering
  EXPECT_NEAR(n.vx, 5.0 + accel * 0.1, 1e-15);                             // new acceleration
  EXPECT_NEAR(n.steering_angle, 0.1 + rate * 0.1, 1e-15);
  EXPECT_NEAR(n.yaw_rate, n.vx * std::tan(n.steering_angle) / kL, 1e-15);
  EXPECT_NEAR(n.yaw_acceleration, (n.yaw_rate - 0.2) / 0.1, 1e-12);
}

TEST(Bicycle, SteeringIsClippedAndHeadingWrapped) {
  State s;
  s.vx = 10.0, s.heading = 3.1, s.steering_angle = 1.0;
  const State n = propagate(s, {0.0, 50.0}, BicycleParams{}, kL, 0.1);
  EXPECT_EQ(n.steering_angle, M_PI / 3);
  EXPECT_GT(n.steering_rate, 10.0);  // the rate itself is not clipped
  const double raw = 3.1 + 10.0 * std::tan(1.0) / kL * 0.1;
  EXPECT_NEAR(n.heading, raw - 2 * M_PI, 1e-12);
  EXPECT_LT(n.heading, 0.0);
}

TEST(Angles, PrincipalValueAndNormalize) {
  EXPECT_EQ(principal_value(M_PI), -M_PI);
  EXPECT_NEAR(principal_value(3 * M_PI / 2), -M_PI / 2, 1e-15);
  EXPECT_NEAR(principal_value(-7.0), -7.0 + 2 * M_PI, 1e-15);
  EXPECT_EQ(normalize_angle(M_PI), M_PI);
  EXPECT_NEAR(normalize_angle(-7.0), -7.0 + 2 * M_PI, 1e-15);
}

}  // namespace
}  // namespace autoscale::sim::detail
