#include "autoscale/sim/simulator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/sim/trajectory.h"

namespace autoscale::sim {
namespace {

std::vector<Pose> straight(double v, double heading = 0.0, int n = 41) {
  std::vector<Pose> p;
  for (int k = 0; k < n; ++k) {
    const double s = v * 0.1 * k;
    p.push_back({s * std::cos(heading), s * std::sin(heading), heading});
  }
  return p;
}

State moving(double v, double heading = 0.0) {
  State s;
  s.heading = heading;
  s.vx = v;
  return s;
}

TEST(Simulator, TracksAStraightPlanAtTenMetresPerSecond) {
  const auto states = simulate(moving(10, 0.6), straight(10, 0.6));
  ASSERT_EQ(states.size(), 41u);
  for (int i = 0; i <= 40; ++i) {
    EXPECT_NEAR(states[i].x, i * std::cos(0.6), 0.03) << i;
    EXPECT_NEAR(states[i].y, i * std::sin(0.6), 0.03) << i;
    EXPECT_NEAR(states[i].vx, 10.0, 1e-6) << i;
    EXPECT_NEAR(states[i].heading, 0.6, 1e-9) << i;
    EXPECT_EQ(states[i].ay, 0.0);  // simulated lateral acceleration is always 0
  }
}

TEST(Simulator, InitialStateKeepsLogValuesAndResetsSteeringAndYaw) {
  State s = moving(7, 0.2);
  s.vy = 0.3, s.ax = 0.5, s.ay = 1.2;
  s.steering_angle = 0.3, s.steering_rate = 0.1, s.yaw_rate = 0.4, s.yaw_acceleration = 2.0;
  const auto states = simulate(s, straight(7, 0.2));
  EXPECT_EQ(states[0].vy, 0.3);
  EXPECT_EQ(states[0].ax, 0.5);
  EXPECT_EQ(states[0].ay, 1.2);  // only t = 0 carries a logged lateral acceleration
  EXPECT_EQ(states[0].steering_angle, 0.0);
  EXPECT_EQ(states[0].steering_rate, 0.0);
  EXPECT_EQ(states[0].yaw_rate, 0.0);
  EXPECT_EQ(states[0].yaw_acceleration, 0.0);
  EXPECT_EQ(states[1].vy, 0.0);
  EXPECT_EQ(states[1].ay, 0.0);
}

TEST(Simulator, FollowsACurve) {
  std::vector<Pose> circle;
  for (int k = 0; k < 41; ++k) {
    const double a = 8.0 * 0.1 * k / 30.0;
    circle.push_back({30 * std::sin(a), 30 * (1 - std::cos(a)), a});
  }
  const auto s = simulate(moving(8), circle);
  EXPECT_NEAR(s.back().x, circle.back().x, 1.0);
  EXPECT_NEAR(s.back().y, circle.back().y, 1.0);
  EXPECT_NEAR(s.back().heading, circle.back().heading, 0.1);
  // The LQR lags into the curve and then converges: the mean yaw rate after the first second is v / R.
  EXPECT_NEAR((s[40].heading - s[10].heading) / 3.0, 8.0 / 30.0, 0.05);
}

TEST(Simulator, StoppingBranchDecaysSlowSpeedToTheReference) {
  // Standing reference: v_ref = 0; from 0.1 m/s the P-controller commands -0.5 v, lagged by
  // dt / (dt + 0.2), and never steers.
  const auto s = simulate(moving(0.1), std::vector<Pose>(41, Pose{}));
  EXPECT_NEAR(s[1].ax, 0.1 / 0.3 * (-0.5 * 0.1), 1e-15);
  EXPECT_NEAR(s[1].vx, 0.1 + 0.1 * s[1].ax, 1e-15);
  for (size_t i = 1; i < s.size(); ++i) {
    EXPECT_LT(s[i].vx, s[i - 1].vx);
    EXPECT_GT(s[i].vx, 0.0);
    EXPECT_EQ(s[i].steering_angle, 0.0);
  }
  EXPECT_LT(s.back().vx, 0.1);
}

TEST(Simulator, AccelerationLagsTheLqrCommand) {
  const auto ref = straight(10);
  const auto prof = fit_reference_profiles(ref, {});
  const auto s = simulate(moving(0.0), ref);
  const double command = -(10.0 / 11.0) * (0.0 - prof.velocity[10]);
  EXPECT_NEAR(s[1].ax, 0.1 / 0.3 * command, 1e-12);
  EXPECT_EQ(s[1].x, 0.0);  // explicit Euler: the first step moves with the old speed 0
  EXPECT_NEAR(s[1].vx, 0.1 * s[1].ax, 1e-15);
}

TEST(Simulator, ConsumesAnInterpolatedEightPosePlan) {
  std::vector<Pose> plan;
  for (int k = 1; k <= 8; ++k) plan.push_back({5.0 * k, 0.0, 0.0});
  const State start = moving(10, -1.0);
  const auto ref = interpolate_plan(start.pose(), relative_to_absolute(start.pose(), plan), 0.5);
  const auto s = simulate(start, ref);
  EXPECT_NEAR(s.back().x, 40 * std::cos(-1.0), 0.05);
  EXPECT_NEAR(s.back().y, 40 * std::sin(-1.0), 0.05);
}

TEST(Simulator, RejectsTooShortReferences) {
  EXPECT_THROW(simulate(moving(1), {{0, 0, 0}, {1, 0, 0}}), Error);
}

}  // namespace
}  // namespace autoscale::sim
