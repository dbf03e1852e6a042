#include "autoscale/sim/simulator.h"

#include <gtest/gtest.h>

#include <cmath>

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

TEST(Trajectory, RelativeAbsoluteRoundTrip) {
  const Pose origin{10, -5, 2.5};
  const std::vector<Pose> rel{{1, 0, 0}, {2, 1, 0.5}, {-3, 2, -3.0}};
  const auto abs = relative_to_absolute(origin, rel);
  EXPECT_NEAR(abs[0].x, 10 + std::cos(2.5), 1e-12);
  EXPECT_NEAR(abs[0].y, -5 + std::sin(2.5), 1e-12);
  EXPECT_NEAR(abs[2].heading, std::atan2(std::sin(-0.5), std::cos(-0.5)), 1e-12);
  const auto back = absolute_to_relative(origin, abs);
  for (size_t i = 0; i < rel.size(); ++i) {
    EXPECT_NEAR(back[i].x, rel[i].x, 1e-12);
    EXPECT_NEAR(back[i].y, rel[i].y, 1e-12);
    EXPECT_NEAR(back[i].heading, rel[i].heading, 1e-12);
  }
}

TEST(Trajectory, InterpolatesEightPosesToFortyOneStates) {
  std::vector<Pose> plan;
  for (int k = 1; k <= 8; ++k) plan.push_back({5.0 * k, 0.0, 0.0});
  const auto s = interpolate_plan({0, 0, 0}, plan, 0.5);
  ASSERT_EQ(s.size(), 41u);
  for (int i = 0; i <= 40; ++i) EXPECT_NEAR(s[i].x, i * 1.0, 1e-9) << i;
}

TEST(Trajectory, ShorterPlanHoldsItsLastPose) {
  const auto s = interpolate_plan({0, 0, 0}, {{1, 0, 0}, {2, 0, 0}}, 0.5);  // ends at 1.0 s
  EXPECT_NEAR(s[5].x, 1.0, 1e-12);
  EXPECT_NEAR(s[10].x, 2.0, 1e-12);
  EXPECT_NEAR(s[40].x, 2.0, 1e-12);
}

TEST(Trajectory, HeadingInterpolatesTheShortWayAcrossPi) {
  const auto s = interpolate_plan({0, 0, 3.0}, {{0, 0, -3.0}}, 0.2);  // 0.28 rad apart through pi
  EXPECT_NEAR(std::abs(s[1].heading), M_PI, 0.02);
  EXPECT_GT(std::abs(s[1].heading), 3.0);
}

TEST(ReferenceProfiles, StraightConstantSpeedAndCircle) {
  const auto straight_prof = fit_reference_profiles(straight(10), {});
  ASSERT_EQ(straight_prof.velocity.size(), 40u);
  for (double v : straight_prof.velocity) EXPECT_NEAR(v, 10.0, 1e-6);
  for (double k : straight_prof.curvature) EXPECT_NEAR(k, 0.0, 1e-9);
  // A circle of radius 50 m at 10 m/s: curvature 1/50.
  std::vector<Pose> circle;
  for (int k = 0; k < 41; ++k) {
    const double a = 10.0 * 0.1 * k / 50.0;
    circle.push_back({50 * std::sin(a), 50 * (1 - std::cos(a)), a});
  }
  const auto c = fit_reference_profiles(circle, {});
  for (size_t k = 2; k + 2 < c.curvature.size(); ++k) EXPECT_NEAR(c.curvature[k], 0.02, 1e-3) << k;
}

TEST(Simulator, TracksAStraightPlan) {
  const auto states = simulate(moving(10), straight(10));
  ASSERT_EQ(states.size(), 41u);
  EXPECT_EQ(states[0].x, 0.0);
  for (int i = 0; i <= 40; ++i) {
    EXPECT_NEAR(states[i].x, i * 1.0, 0.05) << i;
    EXPECT_NEAR(states[i].y, 0.0, 1e-9);
    EXPECT_EQ(states[i].ay, 0.0);  // simulated lateral acceleration is always 0
  }
}

TEST(Simulator, FollowsACurveAndAHeadingChange) {
  std::vector<Pose> circle;
  for (int k = 0; k < 41; ++k) {
    const double a = 8.0 * 0.1 * k / 30.0;
    circle.push_back({30 * std::sin(a), 30 * (1 - std::cos(a)), a});
  }
  const auto s = simulate(moving(8), circle);
  EXPECT_NEAR(s.back().x, circle.back().x, 1.0);
  EXPECT_NEAR(s.back().y, circle.back().y, 1.0);
  EXPECT_NEAR(s.back().heading, circle.back().heading, 0.1);
  // The LQR lags into the curve and then converges: the mean yaw rate after the first second
  // is v / R.
  EXPECT_NEAR((s[40].heading - s[10].heading) / 3.0, 8.0 / 30.0, 0.05);
}

TEST(Simulator, StopsAndStaysStopped) {
  const auto s = simulate(moving(0.1), straight(0.0));
  for (size_t i = 1; i < s.size(); ++i) {
    EXPECT_LE(s[i].vx, s[i - 1].vx + 1e-12);  // the stopping controller only slows down
    EXPECT_GE(s[i].vx, 0.0);
  }
  EXPECT_LT(s.back().vx, 0.02);
}

TEST(Simulator, AccelerationLagsTheCommand) {
  // From rest toward a plan at 10 m/s: the first step's acceleration is the lagged command.
  const auto s = simulate(moving(0.0), straight(10));
  const double command = -(10.0 / 11.0) * (0.0 - 10.0);  // LQR longitudinal gain
  EXPECT_GT(s[1].ax, 0.0);
  EXPECT_LT(s[1].ax, command);
  EXPECT_NEAR(s[1].ax, 0.1 / 0.3 * command, 0.5);
}

}  // namespace
}  // namespace autoscale::sim
