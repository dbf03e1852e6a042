// Scene types by rule (testbed T1) on real NGSIM recordings: the rule reads the expert's own
// future, and `select_by_type` copies exactly the scenes it counts.
#include "autoscale/store/scene_type.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../scene/test_util.h"
#include "autoscale/core/error.h"
#include "autoscale/import/commonroad.h"

namespace autoscale::scene {
namespace {

CommonRoadImport peachtree_import() {
  return import_commonroad(std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/USA_Peach-4_8_T-1.xml", {});
}
std::vector<Scene> peachtree() { return peachtree_import().scenes; }

const Scene& moving(const std::vector<Scene>& scenes) {
  for (const auto& s : scenes) {
    if (std::hypot(s.current_ego().vx, s.current_ego().vy) > 8 && s.num_future() >= 40) return s;
  }
  throw Error("no ego faster than 8 m/s with 4 s of future in Peach-4_8");
}

// The future replaced by driving on at speed v(t) = v0 · f(t/T) and heading h0 + turn · t/T.
Scene with_future(const Scene& real, double (*speed_share)(double), double turn) {
  Scene s = real;
  const int now = s.current_index(), F = s.num_future();
  const EgoState at = s.ego[now];
  const double v0 = std::hypot(at.vx, at.vy);
  double x = at.x, y = at.y;
  for (int i = 1; i <= F; ++i) {
    const double u = static_cast<double>(i) / F, h = at.heading + turn * u, v = v0 * speed_share(u);
    x += v * kStepSeconds * std::cos(h), y += v * kStepSeconds * std::sin(h);
    s.ego[now + i] = {x, y, h, v * std::cos(h), v * std::sin(h), 0, 0};
  }
  return s;
}

TEST(SceneType, TheExpertsFutureDecides) {
  const auto scenes = peachtree();
  const Scene& real = moving(scenes);
  SceneTypeOptions o;  // 4 s, from 3 m/s to 30%, 0.6 rad
  EXPECT_EQ(scene_type(with_future(real, [](double) { return 1.0; }, 0.0), o), SceneType::kCruise);
  EXPECT_EQ(scene_type(with_future(real, [](double u) { return std::max(0.0, 1 - 1.5 * u); }, 0.0), o),
            SceneType::kStop);
  // Slowing to 40% is not a stop at 30%, but is at 50%.
  const Scene slowing = with_future(real, [](double u) { return 1 - 0.6 * u; }, 0.0);
  EXPECT_EQ(scene_type(slowing, o), SceneType::kCruise);
  o.stop_ratio = 0.5;
  EXPECT_EQ(scene_type(slowing, o), SceneType::kStop);
  EXPECT_EQ(scene_type(with_future(real, [](double) { return 1.0; }, -1.2), o), SceneType::kTurn);
  // A stop wins over a turn: braking for a light at a junction is a stop.
  EXPECT_EQ(scene_type(with_future(real, [](double u) { return std::max(0.0, 1 - 2 * u); }, 1.2), o),
            SceneType::kStop);
  // Standing still is no stop (nothing to brake from).
  Scene standing = with_future(real, [](double) { return 0.0; }, 0.0);
  standing.ego[standing.current_index()].vx = standing.ego[standing.current_index()].vy = 0;
  EXPECT_EQ(scene_type(standing, o), SceneType::kCruise);
  EXPECT_EQ(parse_scene_type("turn"), SceneType::kTurn);
  try {
    parse_scene_type("park");
    FAIL() << "park accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"park\""), std::string::npos) << e.what();
  }
}

TEST(SceneType, SelectCopiesExactlyTheCountedTypesOfARealStore) {
  const auto dir = testing::removed_at_exit(testing::temp_dir("scene-type-select"));
  const auto imported = peachtree_import();
  const auto& scenes = imported.scenes;
  {
    SceneStoreWriter w((dir / "all").string(), {});
    w.add_map(imported.map);
    for (const auto& s : scenes) w.add(s);
    w.close();
  }
  const auto all = SceneStore::open((dir / "all").string());
  SelectOptions o;
  o.keep = {SceneType::kStop};
  o.tag = "useful";
  SceneStoreWriter out((dir / "stops").string(), {});
  const auto seen = select_by_type(all, o, out);
  out.close();
  // Peachtree Street is signalised: its drivers both stop and cruise.
  EXPECT_GT(seen[0], 0u);
  EXPECT_GT(seen[2], 0u);
  EXPECT_EQ(seen[0] + seen[1] + seen[2], scenes.size());
  const auto stops = SceneStore::open((dir / "stops").string());
  ASSERT_EQ(stops.size(), seen[0]);
  for (size_t i = 0; i < stops.size(); ++i) {
    const Scene s = stops.read(i);
    EXPECT_EQ(scene_type(s), SceneType::kStop) << s.token;
    EXPECT_EQ(s.generator, "commonroad:useful");
    EXPECT_EQ(s.domain, Domain::kReal);  // as_real is off: a recording stays what it was
  }
}

}  // namespace
}  // namespace autoscale::scene
