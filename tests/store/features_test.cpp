#include "autoscale/store/features.h"

#include "autoscale/scene/derive.h"
#include "autoscale/store/source.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../scene/test_util.h"

namespace autoscale::scene {
namespace {

TEST(Features, KolmogorovSmirnovDistance) {
  EXPECT_DOUBLE_EQ(ks_distance({1, 2, 3}, {1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(ks_distance({1, 2, 3}, {10, 11, 12}), 1.0);
  EXPECT_NEAR(ks_distance({1, 2, 3, 4}, {3, 4, 5, 6}), 0.5, 1e-12);
}

TEST(Features, SpeedDensityCurvatureAndTtc) {
  // make_scene: ego at 10 m/s along +x (x = t + k), two agents: a vehicle 20 m ahead in the same
  // line at 8 m/s and a pedestrian 3 m to the side.
  Scene s = testing::make_scene("f", "m", 0, 30);
  for (auto& a : s.agents) {
    for (auto& st : a.states) st.valid = true;
  }
  const int c = s.current_index();
  s.agents[0].states[c] = {s.ego[c].x + 20, s.ego[c].y, 0, 8, 0, true};
  s.agents[1].states[c] = {s.ego[c].x + 5, s.ego[c].y + 30, 0, 0, 0, true};
  for (auto& e : s.ego) e.heading = 0;  // straight
  const auto f = scene_features(s);
  EXPECT_DOUBLE_EQ(f.speed, 10.0);
  EXPECT_DOUBLE_EQ(f.agent_density, 2.0);
  EXPECT_NEAR(f.curvature, 0.0, 1e-12);
  const double gap = 20 - 2.0 - 0.5 * s.ego_length - rear_axle_to_center(s.ego_length);
  EXPECT_NEAR(f.ttc, gap / 2.0, 1e-9);  // closing at 10 - 8 m/s
}

TEST(Features, SourceIsTheRecordedDataSetOrTheGenerator) {
  Scene s = testing::make_scene("f", "m", 0, 30);
  s.generator = "commonroad";
  s.generator_params = R"({"source": "CHN_SIND-831_1_T-75.xml"})";
  EXPECT_EQ(scene_source(s), "sind");
  s.generator_params = R"({"source": "USA_US101-23_1_T-1.xml"})";
  EXPECT_EQ(scene_source(s), "ngsim");
  s.generator_params = R"({"source": "DEU_Flensburg-1_1_T-1.xml"})";
  EXPECT_EQ(scene_source(s), "commonroad");  // a data set it does not know: the importer
  s.generator = "scenarionet";
  s.generator_params = R"({"dataset": "nuscenes", "source": "x.pkl"})";
  EXPECT_EQ(scene_source(s), "nuscenes");
  s.generator_params = "not json";
  EXPECT_EQ(scene_source(s), "scenarionet");
  s.domain = Domain::kSynthetic;  // synthetic scenes: their generator, whatever they were made from
  s.generator = "perturb";
  s.generator_params = R"({"dataset": "nuscenes"})";
  EXPECT_EQ(scene_source(s), "perturb");
}

}  // namespace
}  // namespace autoscale::scene
