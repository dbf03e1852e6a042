// The whole pipeline (plan -> 41 reference poses -> profiles -> 41 simulated states) against the
// independent NumPy/SciPy reference in make_golden.py, to 1e-9 (relative for large values).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autoscale/sim/simulator.h"
#include "autoscale/sim/trajectory.h"

namespace autoscale::sim {
namespace {

#include "sim_golden.inc"

constexpr double kTolerance = 1e-9;

std::vector<Pose> poses_of(const std::vector<double>& flat) {
  std::vector<Pose> out;
  for (size_t i = 0; i + 2 < flat.size(); i += 3) out.push_back({flat[i], flat[i + 1], flat[i + 2]});
  return out;
}

State state_of(const double* v) {
  State s;
  s.x = v[0], s.y = v[1], s.heading = v[2], s.vx = v[3], s.vy = v[4], s.ax = v[5], s.ay = v[6];
  s.steering_angle = v[7], s.steering_rate = v[8], s.yaw_rate = v[9], s.yaw_acceleration = v[10];
  return s;
}

void expect_close(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, kTolerance * std::max(1.0, std::abs(expected))) << what;
}

// Headings may legitimately sit at -pi in one and +pi in the other only if the value is exactly
// on the boundary; compare them on the circle.
void expect_angle_close(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(std::remainder(actual - expected, 2 * M_PI), 0.0, kTolerance) << what;
}

TEST(Golden, CoversTheAgreedPlans) {
  ASSERT_EQ(kSimGolden.size(), 9u);
  for (const auto& g : kSimGolden) {
    EXPECT_EQ(g.initial.size(), 11u) << g.name;
    EXPECT_EQ(g.reference.size(), 41u * 3) << g.name;
    EXPECT_EQ(g.velocity.size(), 40u) << g.name;
    EXPECT_EQ(g.states.size(), 41u * 11) << g.name;
  }
}

TEST(Golden, InterpolationMatchesScipy) {
  for (const auto& g : kSimGolden) {
    const State initial = state_of(g.initial.data());
    const auto global = relative_to_absolute(initial.pose(), poses_of(g.plan));
    const auto ref = interpolate_plan(initial.pose(), global, g.interval, kNumStates, g.start_time_us);
    const auto expected = poses_of(g.reference);
    ASSERT_EQ(ref.size(), expected.size()) << g.name;
    for (size_t i = 0; i < ref.size(); ++i) {
      const std::string at = std::string(g.name) + " pose " + std::to_string(i);
      expect_close(ref[i].x, expected[i].x, at + " x");
      expect_close(ref[i].y, expected[i].y, at + " y");
      expect_angle_close(ref[i].heading, expected[i].heading, at + " heading");
      EXPECT_GE(ref[i].heading, -M_PI) << at;  // principal_value range [-pi, pi)
      EXPECT_LT(ref[i].heading, M_PI) << at;
    }
  }
}

TEST(Golden, ProfilesMatchNumpyPinv) {
  for (const auto& g : kSimGolden) {
    const auto prof = fit_reference_profiles(poses_of(g.reference), {});
    ASSERT_EQ(prof.velocity.size(), 40u);
    for (size_t k = 0; k < 40; ++k) {
      const std::string at = std::string(g.name) + " k " + std::to_string(k);
      expect_close(prof.velocity[k], g.velocity[k], at + " velocity");
      expect_close(prof.curvature[k], g.curvature[k], at + " curvature");
    }
  }
}

TEST(Golden, SimulatedStatesMatchNumpy) {
  static const char* kField[] = {"x", "y", "heading", "vx", "vy", "ax", "ay", "steering", "steering_rate",
                                 "yaw_rate", "yaw_acceleration"};
  for (const auto& g : kSimGolden) {
    const auto states = simulate(state_of(g.initial.data()), poses_of(g.reference));
    ASSERT_EQ(states.size(), 41u) << g.name;
    for (size_t i = 0; i < states.size(); ++i) {
      const double actual[] = {states[i].x, states[i].y, states[i].heading, states[i].vx, states[i].vy,
                               states[i].ax, states[i].ay, states[i].steering_angle, states[i].steering_rate,
                               states[i].yaw_rate, states[i].yaw_acceleration};
      const double* expected = g.states.data() + 11 * i;
      for (int f = 0; f < 11; ++f) {
        const std::string at = std::string(g.name) + " state " + std::to_string(i) + " " + kField[f];
        if (f == 2) expect_angle_close(actual[f], expected[f], at);
        else expect_close(actual[f], expected[f], at);
      }
    }
  }
}

}  // namespace
}  // namespace autoscale::sim
