#include "autoscale/synth/sumo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "autoscale/core/error.h"
#include "autoscale/scene/derive.h"
#include "autoscale/scene/geometry.h"
#include "autoscale/store/inspect.h"
#include "../scene/test_util.h"

namespace fs = std::filesystem;

namespace autoscale::scene {
namespace {

bool have_sumo() { return std::system("command -v netgenerate >/dev/null 2>&1 && command -v sumo >/dev/null 2>&1") == 0; }

SumoOptions small_world() {
  SumoOptions o;
  o.grid_number = 3;
  o.grid_length = 100;
  o.duration_s = 60;
  o.warmup_s = 10;
  o.max_egos_per_world = 6;
  return o;
}

const SumoWorld& world() {
  static const SumoWorld w = [] {
    const auto dir = testing::temp_dir("sumo");
    auto out = generate_sumo_world(small_world(), 5, 0, dir.string());
    fs::remove_all(dir);
    return out;
  }();
  return w;
}

#define REQUIRE_SUMO() \
  if (!have_sumo()) GTEST_SKIP() << "SKIPPED: SUMO is not installed (apt-get install sumo sumo-tools)"

TEST(Sumo, ConvertsAWorldIntoSyntheticScenesWithProvenance) {
  REQUIRE_SUMO();
  const auto& w = world();
  ASSERT_GT(w.scenes.size(), 20u);
  EXPECT_GT(w.stats.vehicles, 20u);
  EXPECT_FALSE(w.map.lanes.empty());
  EXPECT_TRUE(validate_map(w.map).empty());
  size_t connectors = 0;
  for (const auto& l : w.map.lanes) connectors += l.connector;
  EXPECT_GT(connectors, 0u);
  for (const auto& s : w.scenes) {
    EXPECT_EQ(s.domain, Domain::kSynthetic);
    EXPECT_EQ(s.generator, "sumo");
    EXPECT_TRUE(s.source_log.empty());
    const auto params = nlohmann::json::parse(s.generator_params);
    EXPECT_EQ(params["network"], "grid");
    EXPECT_TRUE(validate_scene(s, w.map).empty()) << s.token;
  }
}

// Every light carries its states over the whole future (per-frame lights for EPDMS's TLC), and
// they are the world's signal plan: a later scene's current state of the same lane agrees.
TEST(Sumo, LightFutureStatesAgreeWithLaterScenes) {
  REQUIRE_SUMO();
  std::map<std::pair<int64_t, std::string>, LightState> current;  // (time, lane) -> state
  size_t lights = 0, changing = 0;
  for (const auto& s : world().scenes) {
    for (const auto& l : s.traffic_lights) {
      ASSERT_EQ(l.future.size(), static_cast<size_t>(s.num_future())) << s.token << " " << l.lane;
      current[{s.timestamp_us, l.lane}] = l.state;
      ++lights;
      changing += std::any_of(l.future.begin(), l.future.end(), [&](LightState f) { return f != l.state; });
    }
  }
  ASSERT_GT(lights, 0u);
  EXPECT_GT(changing, 0u);
  size_t compared = 0;
  for (const auto& s : world().scenes) {
    for (const auto& l : s.traffic_lights) {
      for (size_t k = 0; k < l.future.size(); ++k) {
        const auto later = current.find({s.timestamp_us + static_cast<int64_t>(k + 1) * 100000, l.lane});
        if (later == current.end()) continue;
        EXPECT_EQ(l.future[k], later->second) << s.token << " " << l.lane << " step " << k + 1;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 100u);
}

// The closest a standing ego's front bumper comes to the end of its lane (the junction's edge):
// the first car of a queue at a red light.
double closest_stop_to_junction(const SumoWorld& w) {
  double closest = INFINITY;
  for (const auto& s : w.scenes) {
    for (const auto& e : s.ego) {
      if (std::hypot(e.vx, e.vy) > 0.05) continue;
      const double reach = rear_axle_to_center(s.ego_length) + 0.5 * s.ego_length;
      const Vec2 front{e.x + reach * std::cos(e.heading), e.y + reach * std::sin(e.heading)};
      for (const auto& l : w.map.lanes) {
        if (l.connector || l.successors.empty() || l.polygon.size() < 3 || !point_in_ring(l.polygon, {e.x, e.y})) continue;
        closest = std::min(closest, std::hypot(l.centerline.back().x - front.x, l.centerline.back().y - front.y));
      }
    }
  }
  return closest;
}

// stop_offset_m moves where vehicles wait at a red light (SUMO's own: 1 m before the junction).
TEST(Sumo, StopOffsetMovesTheStopLineBack) {
  REQUIRE_SUMO();
  SumoOptions o = small_world();
  o.max_egos_per_world = 30;
  const auto dir = testing::temp_dir("sumo-stop-offset");
  const auto own = generate_sumo_world(o, 5, 0, (dir / "own").string());
  o.stop_offset_m = 3.0;
  const auto offset = generate_sumo_world(o, 5, 0, (dir / "offset").string());
  fs::remove_all(dir);
  const double own_gap = closest_stop_to_junction(own), offset_gap = closest_stop_to_junction(offset);
  EXPECT_NEAR(own_gap, 1.0, 0.3);
  EXPECT_GT(offset_gap, own_gap + 1.5);  // measured 2.69: a car creeping to its stop
  EXPECT_LT(offset_gap, 3.3);
  EXPECT_EQ(nlohmann::json::parse(offset.scenes.at(0).generator_params)["stop_offset_m"], 3.0);
}

// The real Bologna (Andrea Costa) network with its calibrated demand and its own light
// programs (acosta_tls.add.xml replaces the network's), recorded in a bounded area.
TEST(Sumo, BolognaScenarioRunsItsOwnNetworkDemandAndLightPrograms) {
  REQUIRE_SUMO();
  SumoOptions o;
  o.network = "scenario";
  o.scenario = std::string(AUTOSCALE_SHARED_DIR) + "/data-samples/sumo-bologna/acosta/run.sumocfg";
  ASSERT_TRUE(fs::exists(o.scenario)) << o.scenario;
  o.area = {600, 400, 1200, 900};
  o.duration_s = 100;
  o.warmup_s = 70;
  o.max_egos_per_world = 10;
  const auto dir = testing::temp_dir("sumo-bologna");
  const auto w = generate_sumo_world(o, 3, 0, dir.string());
  fs::remove_all(dir);
  ASSERT_GT(w.scenes.size(), 50u);
  EXPECT_GT(w.map.lanes.size(), 500u);  // the whole city network
  EXPECT_TRUE(validate_map(w.map).empty());
  bool distribution_type = false;
  size_t checked = 0;
  for (const auto& s : w.scenes) {
    EXPECT_EQ(s.log, "sumo-acosta-3-w0");
    EXPECT_TRUE(validate_scene(s, w.map).empty()) << s.token;
    const auto& e = s.current_ego();
    // Recorded in the area (SUMO filters by the front bumper; a bus's rear axle trails by ~10 m).
    EXPECT_TRUE(e.x >= 585 && e.x <= 1215 && e.y >= 385 && e.y <= 915) << s.token << " " << e.x << " " << e.y;
    EXPECT_EQ(nlohmann::json::parse(s.generator_params)["scenario"], o.scenario);
    for (const auto& a : s.agents) distribution_type = distribution_type || std::abs(a.length - 4.5) < 1e-9;
    // Light 209, link 2 (via :63_2_0): the utopia program is green until 79 s, the network's own
    // program red from 45 s.
    const double t = s.timestamp_us * 1e-6;
    for (const auto& l : s.traffic_lights) {
      if (l.lane != ":63_2_0" || t < 72 || t > 78) continue;
      EXPECT_EQ(l.state, LightState::kGreen) << s.token;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
  EXPECT_TRUE(distribution_type);  // a vType of the scenario's vTypeDistribution (4.5 m hatchbacks)
}

TEST(Sumo, ScenarioOptionsAreChecked) {
  SumoOptions o;
  o.network = "scenario";
  EXPECT_THROW(o.validate(), Error);
  o.scenario = "/no/such.sumocfg";
  EXPECT_THROW(o.validate(), Error);
  o.network = "grid";
  o.scenario.clear();
  o.area = {1, 2, 0, 3};
  EXPECT_THROW(o.validate(), Error);
}

TEST(Sumo, AgentsNeverOverlapTheEgoAtTheCurrentFrame) {
  REQUIRE_SUMO();
  for (const auto& s : world().scenes) {
    const auto& e = s.current_ego();
    const double d = rear_axle_to_center(s.ego_length);
    const auto ego = box_corners(e.x + d * std::cos(e.heading), e.y + d * std::sin(e.heading), e.heading, s.ego_length,
                                 s.ego_width);
    for (const auto& a : s.agents) {
      const auto& st = a.states[s.current_index()];
      if (!st.valid) continue;
      EXPECT_FALSE(boxes_overlap(ego, box_corners(st.x, st.y, st.heading, a.length, a.width))) << s.token << " " << a.id;
    }
  }
}

TEST(Sumo, HeadingsFollowMotionAndLaneChangesDoNotJump) {
  REQUIRE_SUMO();
  size_t moving = 0, aligned = 0;
  for (const auto& s : world().scenes) {
    for (size_t k = 1; k < s.ego.size(); ++k) {
      const double dx = s.ego[k].x - s.ego[k - 1].x, dy = s.ego[k].y - s.ego[k - 1].y;
      // Sideways motion in one 0.1 s step (SUMO's default lane change would be a 3.2 m jump).
      const double lateral = -std::sin(s.ego[k - 1].heading) * dx + std::cos(s.ego[k - 1].heading) * dy;
      EXPECT_LT(std::abs(lateral), 0.5) << s.token << " step " << k;
      if (std::hypot(dx, dy) > 0.5) {
        const double mean = s.ego[k - 1].heading + 0.5 * wrap_angle(s.ego[k].heading - s.ego[k - 1].heading);
        ++moving;
        aligned += std::abs(wrap_angle(std::atan2(dy, dx) - mean)) < 0.3;
      }
    }
  }
  // In a turn of radius R the trailing rear axle (on the front's path) deviates by asin(l / 2R):
  // about 0.25 rad in SUMO's tightest junction turns.
  EXPECT_GE(aligned * 100, moving * 95) << aligned << " of " << moving;  // measured: 3906 of 4059
}

TEST(Sumo, ExpertDrivesOnTheDrivableArea) {
  REQUIRE_SUMO();
  const auto& w = world();
  size_t inside = 0, total = 0;
  for (const auto& s : w.scenes) {
    for (const auto& e : s.ego) {
      const Vec2 p{e.x, e.y};
      bool on = false;
      for (const auto& rb : w.map.roadblocks) on = on || (!rb.connector && point_in_polygon(rb.polygon, p));
      for (const auto& a : w.map.areas) on = on || point_in_polygon(a.polygon, p);
      inside += on;
      ++total;
    }
  }
  EXPECT_GE(inside * 100, total * 99) << inside << " of " << total;
}

TEST(Sumo, SameSeedSameWorld) {
  REQUIRE_SUMO();
  const auto dir = testing::temp_dir("sumo-again");
  const auto again = generate_sumo_world(small_world(), 5, 0, dir.string());
  fs::remove_all(dir);
  ASSERT_EQ(again.scenes.size(), world().scenes.size());
  for (size_t i = 0; i < again.scenes.size(); i += 7) {
    EXPECT_EQ(again.scenes[i].token, world().scenes[i].token);
    EXPECT_EQ(again.scenes[i].ego.back().x, world().scenes[i].ego.back().x);
  }
}

TEST(Sumo, PedestriansAndVehicleClassSizes) {
  REQUIRE_SUMO();
  SumoOptions o = small_world();
  o.pedestrians = true;
  o.vehicle_class = "truck";
  o.max_egos_per_world = 2;
  const auto dir = testing::temp_dir("sumo-ped");
  const auto w = generate_sumo_world(o, 9, 0, dir.string());
  fs::remove_all(dir);
  ASSERT_FALSE(w.scenes.empty());
  size_t pedestrians = 0;
  for (const auto& s : w.scenes) {
    EXPECT_DOUBLE_EQ(s.ego_length, 7.1);  // SUMO's truck class
    EXPECT_DOUBLE_EQ(s.ego_width, 2.4);
    for (const auto& a : s.agents) {
      if (a.type != AgentType::kPedestrian) continue;
      ++pedestrians;
      EXPECT_LT(a.length, 1.0);
    }
  }
  EXPECT_GT(pedestrians, 0u);
}

TEST(Sumo, BadOptionsAreRejected) {
  SumoOptions o = small_world();
  o.duration_s = 10;
  EXPECT_THROW(o.validate(), Error);
}

}  // namespace
}  // namespace autoscale::scene
