#include "autoscale/store/inspect.h"

#include "autoscale/store/features.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../scene/test_util.h"

namespace fs = std::filesystem;

namespace autoscale::scene {
namespace {

using testing::make_scene;
using testing::square_map;

bool contains(const std::vector<std::string>& problems, const std::string& needle) {
  for (const auto& p : problems) {
    if (p.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(Validate, CleanSceneAndMapHaveNoProblems) {
  EXPECT_TRUE(validate_map(square_map("m")).empty());
  EXPECT_TRUE(validate_scene(make_scene("t", "m", 0), square_map("m")).empty());
}

TEST(Validate, FindsEachKindOfProblem) {
  const Map map = square_map("m");
  Scene s = make_scene("t", "m", 0);
  s.ego[3].x = std::nan("");
  s.ego[8].x += 50.0;  // a 50 m jump in 0.1 s
  s.route.push_back("rb-missing");
  s.agents[0].width = 0.0;
  const auto p = validate_scene(s, map);
  EXPECT_TRUE(contains(p, "ego state 3 x is nan"));
  EXPECT_TRUE(contains(p, "ego jumps"));
  EXPECT_TRUE(contains(p, "route roadblock rb-missing is not in map m"));
  EXPECT_TRUE(contains(p, "agent agent-0 has a degenerate box"));

  Scene empty = make_scene("e", "m", 0);
  empty.ego.clear();
  EXPECT_TRUE(contains(validate_scene(empty, map), "empty scene"));
  Scene no_future = make_scene("f", "m", 0, 6);  // 5 history + current only
  EXPECT_TRUE(contains(validate_scene(no_future, map), "no ego future"));

  Map bad = square_map("m");
  bad.lanes[0].polygon = {{0, 0}, {1, 1}};
  bad.lanes[0].successors.push_back("ghost");
  bad.areas[0].polygon.exterior = {{0, 0}, {1, 0}, {2, 0}};
  const auto mp = validate_map(bad);
  EXPECT_TRUE(contains(mp, "lane l1 polygon: degenerate polygon with 2 points"));
  EXPECT_TRUE(contains(mp, "lane l1: successor ghost is not in the map"));
  EXPECT_TRUE(contains(mp, "area drivable-0: degenerate polygon with zero area"));
}

// A generator's synthetic scenes are measured against every real scene, its own generator's real
// scenes included (T1 marks SUMO worlds real); a lone real source has no reference.
TEST(Inspect, DomainGapBySourceKeepsRealAndSyntheticRowsOfOneGeneratorApart) {
  const auto dir = testing::temp_dir("inspect-gap");
  {
    SceneStoreWriter w(dir.string(), {});
    w.add_map(square_map("m"));
    for (int k = 0; k < 6; ++k) w.add(make_scene("t" + std::to_string(k), "m", k));  // odd k synthetic
    w.close();
  }
  const auto store = SceneStore::open(dir.string());
  const std::string text = domain_gap_by_source({&store});
  const auto row = [&](const std::string& start) {
    const auto at = text.find(start);
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  const std::string real = row("test             real"), synthetic = row("test             synthetic");
  EXPECT_NE(real.find("3     3                      -"), std::string::npos) << text;
  EXPECT_NE(synthetic.find("0.000"), std::string::npos) << text;  // same speeds as the real rows
  EXPECT_EQ(synthetic.find(" - "), std::string::npos) << text;
  fs::remove_all(dir);
}

TEST(Inspect, SummarisesAStore) {
  const auto dir = testing::temp_dir("inspect");
  {
    SceneStoreWriter w(dir.string(), {});
    w.add_map(square_map("m"));
    for (int k = 0; k < 6; ++k) w.add(make_scene("t" + std::to_string(k), "m", k));
    w.close();
  }
  const auto sum = summarize_store(SceneStore::open(dir.string()), false);
  EXPECT_EQ(sum.scenes, 6u);
  EXPECT_EQ(sum.by_domain.at("real"), 3u);
  EXPECT_EQ(sum.by_domain.at("synthetic"), 3u);
  EXPECT_EQ(sum.by_log.size(), 3u);
  EXPECT_EQ(sum.agents_by_type.at("vehicle"), 6u);
  EXPECT_DOUBLE_EQ(sum.ego_speed.mean, 10.0);
  EXPECT_NEAR(sum.future_s.max, 1.4, 1e-9);
  EXPECT_TRUE(sum.problems.empty());
  const std::string text = format_summary(sum);
  EXPECT_NE(text.find("scenes      6"), std::string::npos) << text;
  EXPECT_NE(text.find("all scenes and maps valid"), std::string::npos) << text;
  EXPECT_NE(summary_json(sum).find("\"scenes\": 6"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace autoscale::scene
