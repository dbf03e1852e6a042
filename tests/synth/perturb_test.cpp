#include "autoscale/synth/perturb.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "autoscale/core/error.h"
#include "autoscale/scene/geometry.h"
#include "../scene/test_util.h"

namespace autoscale::scene {
namespace {

TEST(Perturb, DrawsAreDeterministicAndWithinTheConfiguredRanges) {
  PerturbOptions o;
  const auto a = draw_perturbation(o, 7, "tok", 0);
  const auto b = draw_perturbation(o, 7, "tok", 0);
  EXPECT_EQ(a.lateral, b.lateral);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_NE(draw_perturbation(o, 7, "tok", 1).lateral, a.lateral);
  EXPECT_NE(draw_perturbation(o, 8, "tok", 0).lateral, a.lateral);
  for (int k = 0; k < 200; ++k) {
    const auto p = draw_perturbation(o, 1, "t" + std::to_string(k), k);
    EXPECT_LE(std::abs(p.lateral), o.max_lateral_m);
    EXPECT_LE(std::abs(p.heading), o.max_heading_rad);
    EXPECT_GE(p.speed_factor, o.min_speed_factor);
    EXPECT_LE(p.speed_factor, o.max_speed_factor);
  }
}

TEST(Perturb, StartMovesAsConfiguredAndKeepsThePastRigid) {
  Scene real = testing::make_scene("real", "m", 0, 30);
  real.ego[5].heading = 0.4;  // make the current heading non-trivial
  for (size_t k = 0; k < real.ego.size(); ++k) real.ego[k].heading = 0.4;
  const Perturbation p{1.2, 0.1, 1.25, 99};
  const Scene s = perturb_start(real, p, 3);
  ASSERT_EQ(s.num_steps(), real.num_history + 1);  // the future is cut for the labeller
  const EgoState &now = s.current_ego(), &was = real.current_ego();
  const double dx = now.x - was.x, dy = now.y - was.y;
  EXPECT_NEAR(-std::sin(was.heading) * dx + std::cos(was.heading) * dy, 1.2, 1e-12);  // lateral
  EXPECT_NEAR(std::cos(was.heading) * dx + std::sin(was.heading) * dy, 0.0, 1e-12);
  EXPECT_NEAR(wrap_angle(now.heading - was.heading), 0.1, 1e-12);
  EXPECT_NEAR(now.vx, was.vx * 1.25, 1e-12);
  for (int k = 1; k <= real.num_history; ++k) {  // distances along the past are unchanged
    EXPECT_NEAR(std::hypot(s.ego[k].x - s.ego[k - 1].x, s.ego[k].y - s.ego[k - 1].y),
                std::hypot(real.ego[k].x - real.ego[k - 1].x, real.ego[k].y - real.ego[k - 1].y), 1e-9);
  }
  EXPECT_EQ(s.token, "real-p3");
  EXPECT_EQ(s.domain, Domain::kSynthetic);
  EXPECT_EQ(s.source_log, real.log);
  EXPECT_EQ(s.generator, "perturb");
  EXPECT_EQ(s.seed, 99u);
  const auto params = nlohmann::json::parse(s.generator_params);
  EXPECT_EQ(params["source_token"], "real");
  EXPECT_DOUBLE_EQ(params["lateral_m"].get<double>(), 1.2);
  EXPECT_EQ(s.agents.size(), real.agents.size());
}

TEST(Perturb, AgentsAreFittedToTheLabelledFuture) {
  Scene s = perturb_start(testing::make_scene("r", "m", 0, 30), {}, 0);
  s.ego.resize(s.ego.size() + 40, s.ego.back());
  fit_agents_to_ego(s);
  for (const auto& a : s.agents) {
    ASSERT_EQ(a.states.size(), s.ego.size());
    EXPECT_FALSE(a.states.back().valid);  // beyond the recording: not observed
  }
}

TEST(Perturb, OptionsValidateTheSpeedRange) {
  PerturbOptions o;
  o.min_speed_factor = 1.5;
  EXPECT_THROW(o.validate(), Error);
}

}  // namespace
}  // namespace autoscale::scene
