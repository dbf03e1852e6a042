#include "autoscale/sim/trajectory.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autoscale/core/error.h"

namespace autoscale::sim {
namespace {

TEST(Trajectory, RelativeAbsoluteRoundTrip) {
  const Pose origin{10, -5, 2.5};
  const std::vector<Pose> rel{{1, 0, 0}, {2, 1, 0.5}, {-3, 2, -3.0}};
  const auto abs = relative_to_absolute(origin, rel);
  EXPECT_NEAR(abs[0].x, 10 + std::cos(2.5), 1e-12);
  EXPECT_NEAR(abs[0].y, -5 + std::sin(2.5), 1e-12);
  EXPECT_NEAR(abs[1].x, 10 + 2 * std::cos(2.5) - std::sin(2.5), 1e-12);
  EXPECT_NEAR(abs[2].heading, std::atan2(std::sin(-0.5), std::cos(-0.5)), 1e-12);  // wrapped
  const auto back = absolute_to_relative(origin, abs);
  for (size_t i = 0; i < rel.size(); ++i) {
    EXPECT_NEAR(back[i].x, rel[i].x, 1e-12);
    EXPECT_NEAR(back[i].y, rel[i].y, 1e-12);
    EXPECT_NEAR(back[i].heading, rel[i].heading, 1e-12);
  }
}

TEST(Trajectory, EightPosesBecomeFortyOneStatesAtTenthSeconds) {
  std::vector<Pose> plan;
  for (int k = 1; k <= 8; ++k) plan.push_back({5.0 * k, -1.0 * k, 0.0});
  const auto s = interpolate_plan({0, 0, 0}, plan, 0.5);
  ASSERT_EQ(s.size(), 41u);
  for (int i = 0; i <= 40; ++i) {
    EXPECT_NEAR(s[i].x, i * 1.0, 1e-9) << i;
    EXPECT_NEAR(s[i].y, -0.2 * i, 1e-9) << i;
  }
  EXPECT_EQ(s[0].x, 0.0);  // t = 0 is the initial pose itself
  EXPECT_EQ(s[40].x, 40.0);
}

TEST(Trajectory, FortyPosesAtTenthSecondsAreReproduced) {
  std::vector<Pose> plan;
  for (int k = 1; k <= 40; ++k) plan.push_back({0.3 * k * k, std::sin(0.2 * k), 0.01 * k});
  const auto s = interpolate_plan({0, 0, 0}, plan, 0.1);
  ASSERT_EQ(s.size(), 41u);
  for (int i = 1; i <= 40; ++i) {
    EXPECT_NEAR(s[i].x, plan[i - 1].x, 1e-9) << i;
    EXPECT_NEAR(s[i].y, plan[i - 1].y, 1e-9) << i;
    EXPECT_NEAR(s[i].heading, plan[i - 1].heading, 1e-12) << i;
  }
}

TEST(Trajectory, ShorterPlanHoldsItsLastPose) {
  const auto s = interpolate_plan({0, 0, 0}, {{1, 0, 0}, {2, 0, 0.2}}, 0.5);  // ends at 1.0 s
  ASSERT_EQ(s.size(), 41u);
  EXPECT_NEAR(s[3].x, 0.6, 1e-12);
  EXPECT_NEAR(s[5].x, 1.0, 1e-12);
  for (int i = 10; i <= 40; ++i) {
    EXPECT_NEAR(s[i].x, 2.0, 1e-12) << i;
    EXPECT_NEAR(s[i].heading, 0.2, 1e-12) << i;
  }
}

TEST(Trajectory, HeadingUnwrapsAcrossPiAndWrapsToPrincipalValue) {
  // 3.0 -> -3.0 is a 0.283 rad left turn through pi, not a 6 rad right turn.
  const auto s = interpolate_plan({0, 0, 3.0}, {{0, 0, -3.0}}, 0.4);
  const double step = (2 * M_PI - 6.0) / 4;  // per 0.1 s
  EXPECT_NEAR(s[1].heading, 3.0 + step, 1e-12);
  EXPECT_NEAR(s[3].heading, 3.0 + 3 * step - 2 * M_PI, 1e-12);
  for (const auto& p : s) {
    EXPECT_GE(p.heading, -M_PI);
    EXPECT_LT(p.heading, M_PI);  // nuPlan's principal_value: [-pi, pi), so +pi comes out as -pi
  }
  const auto at_pi = interpolate_plan({0, 0, M_PI}, {{1, 0, M_PI}}, 0.5);
  EXPECT_EQ(at_pi[0].heading, -M_PI);
  // Several turns: the unwrap corrections accumulate.
  const auto spin = interpolate_plan({0, 0, 0}, {{0, 0, 2.5}, {0, 0, -1.3}, {0, 0, 1.2}, {0, 0, -2.4}}, 0.5);
  // Unwrapped knots: 0, 2.5, 2pi - 1.3, 2pi + 1.2, 4pi - 2.4 at 0, 0.5, ..., 2.0 s.
  EXPECT_NEAR(spin[7].heading, std::remainder(2.5 + 0.4 * (2 * M_PI - 1.3 - 2.5), 2 * M_PI), 1e-12);
  EXPECT_NEAR(spin[15].heading, 1.2, 1e-12);
  EXPECT_NEAR(spin[17].heading, std::remainder(1.2 + 0.4 * (2 * M_PI - 3.6), 2 * M_PI), 1e-12);
  EXPECT_NEAR(spin[35].heading, -2.4, 1e-12);  // held after the last knot
}

TEST(Trajectory, SampleTimesAreTruncatedMicroseconds) {
  // With a real nuPlan timestamp the knot and sample times pass through double seconds; a knot
  // at 0.5 s can land one microsecond off. The interpolation must stay on the line and within a
  // few microseconds' worth of motion of the ideal grid.
  std::vector<Pose> plan;
  for (int k = 1; k <= 8; ++k) plan.push_back({10.0 * k, 0.0, 0.0});  // 20 m/s
  const auto s = interpolate_plan({0, 0, 0}, plan, 0.5, kNumStates, 1624012345678901LL);
  for (int i = 0; i <= 40; ++i) EXPECT_NEAR(s[i].x, 2.0 * i, 20.0 * 2e-6) << i;
  const auto s0 = interpolate_plan({0, 0, 0}, plan, 0.5, kNumStates, 0);
  const auto ideal = interpolate_plan({0, 0, 0}, plan, 0.5);
  for (int i = 0; i <= 40; ++i) EXPECT_EQ(s0[i].x, ideal[i].x);
}

TEST(Trajectory, RejectsBadInput) {
  EXPECT_THROW(interpolate_plan({0, 0, 0}, {}, 0.5), Error);
  EXPECT_THROW(interpolate_plan({0, 0, 0}, {{1, 0, 0}}, 0.0), Error);
}

}  // namespace
}  // namespace autoscale::sim
