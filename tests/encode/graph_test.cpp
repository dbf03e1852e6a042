#include "autoscale/encode/graph.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "../scene/test_util.h"
#include "autoscale/core/error.h"
#include "autoscale/import/commonroad.h"

namespace autoscale::encode {
namespace {

const std::string kData = std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/";

TEST(Graph, ShapesMasksAndEgoFrameOnRealData) {
  const auto r = scene::import_commonroad(kData + "USA_US101-4_1_T-1.xml", {});
  GraphOptions o;
  o.max_agents = 8;  // fewer slots than agents: the nearest are kept
  for (const auto& s : r.scenes) {
    const auto g = build_graph(s, r.map, o);
    ASSERT_EQ(g.ego.size(), static_cast<size_t>(kEgoFeatures));
    ASSERT_EQ(g.agents.size(), static_cast<size_t>(o.max_agents * kAgentFeatures));
    ASSERT_EQ(g.lanes.size(), static_cast<size_t>(o.max_lanes * lane_features(o)));
    ASSERT_EQ(g.future.size(), 24u);
    EXPECT_NEAR(g.ego[0], std::hypot(s.current_ego().vx, s.current_ego().vy), 1e-5);
    // The future starts ahead of the ego (x > 0 in its own frame) for a moving car.
    if (g.ego[0] > 2) EXPECT_GT(g.future[0], 0.0f);
    size_t agents = 0;
    double last = 0;
    for (int i = 0; i < o.max_agents; ++i) {
      if (!g.agent_mask[i]) {
        for (int k = 0; k < kAgentFeatures; ++k) EXPECT_EQ(g.agents[i * kAgentFeatures + k], 0.f);  // padding is zero
        continue;
      }
      ++agents;
      const double d = std::hypot(g.agents[i * kAgentFeatures + 4], g.agents[i * kAgentFeatures + 5]);
      EXPECT_GE(d + 1e-6, last);  // sorted by distance
      last = d;
      EXPECT_LE(d, o.radius_m + 1e-6);
    }
    size_t in_radius = 0;
    for (const auto& a : s.agents) {
      const auto& st = a.states[s.current_index()];
      in_radius += st.valid && std::hypot(st.x - s.current_ego().x, st.y - s.current_ego().y) <= o.radius_m;
    }
    EXPECT_EQ(agents, std::min<size_t>(8, in_radius));
    size_t lanes = 0;
    for (auto m : g.lane_mask) lanes += m;
    EXPECT_GT(lanes, 0u);
    ASSERT_EQ(g.edge_src.size(), g.edge_dst.size());
    std::set<int> types;
    const int nodes = 1 + static_cast<int>(o.max_agents + o.max_lanes);
    for (size_t k = 0; k < g.edge_src.size(); ++k) {
      ASSERT_LT(g.edge_src[k], nodes);
      ASSERT_LT(g.edge_dst[k], nodes);
      types.insert(g.edge_type[k]);
    }
    EXPECT_TRUE(types.count(static_cast<int>(EdgeType::kActorLane)));
    EXPECT_TRUE(types.count(static_cast<int>(EdgeType::kLaneLane)));
  }
}

TEST(Graph, AugmentationNeverTouchesTheEgoFuture) {
  const auto s = scene::testing::make_scene("g", "m", 0, 60);
  const auto map = scene::testing::square_map("m");
  GraphOptions o;
  const auto g = build_graph(s, map, o);
  std::mt19937_64 rng(5);
  bool changed = false;
  for (int i = 0; i < 20; ++i) {
    const auto a = augment(g, o, rng);
    EXPECT_EQ(a.future, g.future);
    EXPECT_TRUE(std::equal(g.ego.begin() + 7, g.ego.end(), a.ego.begin() + 7));
    changed = changed || a.agents != g.agents;
  }
  EXPECT_TRUE(changed);
  std::mt19937_64 r1(9), r2(9);
  EXPECT_EQ(augment(g, o, r1).agents, augment(g, o, r2).agents);  // seeded
}

// Input-only graphs: a scene and a copy with another ego future (a corrupted label) give the
// same inputs; the future itself is still there as the behaviour target.
TEST(Graph, InputOnlyGraphsCannotSeeTheLabel) {
  const auto r = scene::import_commonroad(kData + "USA_US101-4_1_T-1.xml", {});
  ASSERT_FALSE(r.scenes.empty());
  scene::Scene a = r.scenes.front(), b = a;
  for (int k = b.current_index() + 1; k < b.num_steps(); ++k) b.ego[k].y += 0.5 * (k - b.current_index());
  GraphOptions with, without;
  without.ego_future_input = false;
  const auto ga = build_graph(a, r.map, without), gb = build_graph(b, r.map, without);
  EXPECT_EQ(ga.ego, gb.ego);
  EXPECT_EQ(ga.agents, gb.agents);
  EXPECT_EQ(ga.lanes, gb.lanes);
  EXPECT_NE(ga.future, gb.future);
  EXPECT_EQ(ga.future, build_graph(a, r.map, with).future);
  EXPECT_NE(build_graph(a, r.map, with).ego, build_graph(b, r.map, with).ego);
  for (size_t k = 7; k < ga.ego.size(); ++k) EXPECT_EQ(ga.ego[k], 0.f);
}

TEST(Graph, RejectsBadScenesWithAClearError) {
  const auto map = scene::testing::square_map("m");
  auto message = [&](const scene::Scene& s, const scene::Map& m) {
    try {
      build_graph(s, m, {});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message(scene::testing::make_scene("short", "m", 0, 20), map).find("needs 4 s of ego future"),
            std::string::npos);  // 5 history + 14 future steps
  scene::Scene empty = scene::testing::make_scene("empty", "m", 0, 60);
  empty.ego.clear();
  EXPECT_NE(message(empty, map).find("scene empty: empty scene"), std::string::npos);
  scene::Map no_lanes = map;
  no_lanes.lanes.clear();
  EXPECT_NE(message(scene::testing::make_scene("nolanes", "m", 0, 60), no_lanes).find("no lane within 50 m"),
            std::string::npos);
  scene::Scene nan = scene::testing::make_scene("nan", "m", 0, 60);
  nan.ego[nan.current_index()].ax = NAN;
  EXPECT_NE(message(nan, map).find("scene nan: graph ego feature 1 is nan"), std::string::npos);
}

}  // namespace
}  // namespace autoscale::encode
