// Planted label corruption (testbeds T1/T2): inputs untouched, the future wrong by exactly the
// configured amount, on a real NGSIM recording.
#include "autoscale/synth/corrupt.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/import/commonroad.h"

namespace autoscale::scene {
namespace {

Scene real_scene() {
  const auto imported =
      import_commonroad(std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/USA_Peach-4_8_T-1.xml", {});
  for (const auto& s : imported.scenes) {
    if (s.current_ego().vx * s.current_ego().vx + s.current_ego().vy * s.current_ego().vy > 25) return s;  // moving
  }
  ADD_FAILURE() << "no moving ego in Peach-4_8";
  return {};
}

TEST(Corrupt, LateralDriftEndsExactlyTheOffsetToTheRightAndKeepsTheInputs) {
  const Scene real = real_scene();
  ASSERT_GT(real.num_future(), 0);
  CorruptOptions o;  // lateral_drift, 2.5 m
  const Scene h = corrupt_label(real, o);
  EXPECT_EQ(h.token, "harm-" + real.token);
  EXPECT_EQ(h.generator, "corrupt_lateral_drift");
  EXPECT_EQ(h.domain, Domain::kSynthetic);
  EXPECT_EQ(h.log, real.log);
  EXPECT_EQ(h.source_log, real.log);
  ASSERT_EQ(h.ego.size(), real.ego.size());
  for (int i = 0; i <= real.current_index(); ++i) {  // the past and the present: identical
    EXPECT_EQ(h.ego[i].x, real.ego[i].x);
    EXPECT_EQ(h.ego[i].y, real.ego[i].y);
  }
  ASSERT_EQ(h.agents.size(), real.agents.size());
  for (size_t a = 0; a < h.agents.size(); ++a) EXPECT_EQ(h.agents[a].states.size(), real.agents[a].states.size());
  const auto& end = h.ego.back();
  const auto& was = real.ego.back();
  const double dx = end.x - was.x, dy = end.y - was.y;
  // The right of heading h is (sin h, −cos h): 2.5 m along it, nothing along the heading.
  EXPECT_NEAR(dx * std::sin(was.heading) - dy * std::cos(was.heading), 2.5, 1e-9);
  EXPECT_NEAR(dx * std::cos(was.heading) + dy * std::sin(was.heading), 0.0, 1e-9);
  const int mid = real.current_index() + real.num_future() / 2;  // linear in time
  EXPECT_NEAR(std::hypot(h.ego[mid].x - real.ego[mid].x, h.ego[mid].y - real.ego[mid].y),
              2.5 * (real.num_future() / 2) / real.num_future(), 1e-9);
}

TEST(Corrupt, SlowReplaysThePathAtTheFactor) {
  const Scene real = real_scene();
  CorruptOptions o;
  o.kind = "slow";
  o.speed_factor = 0.5;
  const Scene h = corrupt_label(real, o);
  const int now = real.current_index(), F = real.num_future();
  // At future step 2k the slow copy is where the recording was at step k, at half the speed.
  for (int k = 1; 2 * k <= F; ++k) {
    EXPECT_NEAR(h.ego[now + 2 * k].x, real.ego[now + k].x, 1e-9);
    EXPECT_NEAR(h.ego[now + 2 * k].y, real.ego[now + k].y, 1e-9);
    EXPECT_NEAR(h.ego[now + 2 * k].vx, 0.5 * real.ego[now + k].vx, 1e-9);
  }
  EXPECT_EQ(h.generator, "corrupt_slow");
}

TEST(Corrupt, ConstantVelocityDrivesOnAlongTheCurrentHeading) {
  const Scene real = real_scene();
  CorruptOptions o;
  o.kind = "constant_velocity";
  const Scene h = corrupt_label(real, o);
  const int now = real.current_index(), F = real.num_future();
  const EgoState& at = real.ego[now];
  const double speed = std::hypot(at.vx, at.vy);
  for (int i = 1; i <= F; ++i) {
    const EgoState& s = h.ego[now + i];
    const double dx = s.x - at.x, dy = s.y - at.y;
    EXPECT_NEAR(dx * std::cos(at.heading) + dy * std::sin(at.heading), speed * i * kStepSeconds, 1e-9);  // along
    EXPECT_NEAR(-dx * std::sin(at.heading) + dy * std::cos(at.heading), 0.0, 1e-9);                       // no turn
    EXPECT_EQ(s.heading, at.heading);
    EXPECT_NEAR(std::hypot(s.vx, s.vy), speed, 1e-9);
  }
  EXPECT_EQ(h.generator, "corrupt_constant_velocity");
  // The recording itself does not drive straight at constant speed: the copy differs.
  EXPECT_GT(std::hypot(h.ego.back().x - real.ego.back().x, h.ego.back().y - real.ego.back().y), 0.1);
}

TEST(Corrupt, ChoiceIsSeededByTokenAndBadOptionsAreNamed) {
  CorruptOptions o;
  o.fraction = 0.25;
  int chosen = 0;
  for (int i = 0; i < 4000; ++i) chosen += chosen_for_corruption(o, 3, "t" + std::to_string(i));
  EXPECT_NEAR(chosen / 4000.0, 0.25, 0.03);
  EXPECT_EQ(chosen_for_corruption(o, 3, "t1"), chosen_for_corruption(o, 3, "t1"));
  o.speed_factor = 0;
  try {
    o.validate();
    FAIL() << "speed_factor 0 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("speed_factor"), std::string::npos);
  }
  Scene empty;
  empty.token = "no-future";
  empty.ego.resize(1);
  EXPECT_THROW(corrupt_label(empty, CorruptOptions{}), Error);
}

}  // namespace
}  // namespace autoscale::scene
