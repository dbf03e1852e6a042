#include "autoscale/eval/case_file.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"

namespace autoscale::eval {
namespace {

const std::string kCases = std::string(AUTOSCALE_TEST_DATA) + "/cases/straight_road.json";

std::string error_of(const std::string& text) {
  try {
    parse_cases(text, "bug.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CaseFile, ScoresTheReferenceCases) {
  const auto cases = read_cases(kCases);
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].inputs.token, "straight-clean");
  EXPECT_EQ(cases[0].trajectory.poses.size(), 8u);
  EXPECT_FALSE(cases[0].inputs.reference.has_value());
  ASSERT_TRUE(cases[1].inputs.reference.has_value());

  // A clean straight drive at the speed it already has: every sub-score 1.
  const auto clean = MetricCache::build(cases[0].inputs, {});
  const auto s = clean.score(cases[0].trajectory).scores;
  EXPECT_EQ(s.nc, 1.0);
  EXPECT_EQ(s.dac, 1.0);
  EXPECT_EQ(s.ttc, 1.0);
  EXPECT_EQ(s.c, 1.0);
  EXPECT_GT(s.ep, 0.9);  // against PDM-Closed's own plan on this empty road
  EXPECT_GT(s.score, 0.95);

  // Driving on into a parked car: an at-fault collision with a stopped track.
  const auto parked = MetricCache::build(cases[1].inputs, {});
  const auto p = parked.score(cases[1].trajectory).scores;
  EXPECT_EQ(p.nc, 0.0);
  EXPECT_EQ(p.score, 0.0);
  // The given reference (stopping before the car) is scored as the plan itself would be.
  const auto r = parked.score(*cases[1].inputs.reference).scores;
  EXPECT_EQ(r.nc, 1.0);
  EXPECT_EQ(r.ep, 1.0);

  const auto line = nlohmann::json::parse(score_json("straight-clean", s, PdmsVersion::kV1));
  EXPECT_EQ(line["token"], "straight-clean");
  for (const char* k : {"nc", "dac", "ddc", "ttc", "ep", "c", "pdms"}) EXPECT_TRUE(line.contains(k)) << k;
}

TEST(CaseFile, ErrorsNameTheCaseAndTheField) {
  std::string text = read_file(kCases);
  EXPECT_NE(error_of("{\"token\": \"a\"").find("bug.json: invalid JSON"), std::string::npos);
  EXPECT_EQ(error_of("{\"token\": \"t1\"}"), "bug.json: case t1: ego: missing");
  EXPECT_EQ(error_of(R"({"token": "t2", "ego": {"pose": [0, "x", 0], "velocity": [1, 0]}})"),
            "bug.json: case t2: ego.pose[1]: expected a finite number, got \"\\\"x\\\"\"");
  EXPECT_EQ(error_of(R"({"token": "t3", "ego": {"pose": [0, 0], "velocity": [1, 0]}})"),
            "bug.json: case t3: ego.pose: expected 3 numbers, got 2");
  EXPECT_EQ(error_of(R"([{"token": 5}])"), "bug.json: case #0: token: expected a string, got \"5\"");
  EXPECT_EQ(error_of("[5]"), "bug.json: case #0: expected an object, got number");
  EXPECT_EQ(error_of(R"([{"token": ""}])"),
            "bug.json: case #0: token: empty (the case's name in every message and output line)");
  nlohmann::json j = nlohmann::json::parse(text)[1];
  j["agents"][0]["type"] = "tank";
  EXPECT_EQ(error_of(j.dump()), "bug.json: case straight-parked-car: agents[0].type: expected vehicle, pedestrian, "
                                "bicycle or static, got \"tank\"");
  j = nlohmann::json::parse(text)[1];
  j["agents"][0]["track"][0][2] = nullptr;
  EXPECT_EQ(error_of(j.dump()),
            "bug.json: case straight-parked-car: agents[0].track[0][2]: expected a finite number, got \"null\"");
  j = nlohmann::json::parse(text)[0];
  j["trajectory"]["poses"] = nlohmann::json::array();
  EXPECT_EQ(error_of(j.dump()), "bug.json: case straight-clean: trajectory.poses: no poses");
}

// The optional "future_red" of a light lists NAVSIM's later 2 Hz frames (t = 0.5, 1.0, ... s);
// each is spread over its 0.5 s of the 0.1 s grid, the current state covering 0.1-0.4 s.
TEST(CaseFile, LightFutureFramesSpreadOntoTheStepGrid) {
  nlohmann::json j = nlohmann::json::parse(read_file(kCases))[0];
  j["traffic_lights"] = nlohmann::json::parse(R"([{"lane": "x", "red": true, "future_red": [false, true]},
                                                  {"lane": "y", "red": false}])");
  const auto cases = parse_cases(j.dump(), "lights.json");
  const auto& lights = cases.at(0).inputs.lights;
  ASSERT_EQ(lights.size(), 2u);
  using scene::LightState;
  std::vector<LightState> want(4, LightState::kRed);
  want.insert(want.end(), 5, LightState::kGreen);
  want.insert(want.end(), 5, LightState::kRed);
  EXPECT_EQ(lights[0].state, LightState::kRed);
  EXPECT_EQ(lights[0].future, want);
  EXPECT_TRUE(lights[1].future.empty());
  j["traffic_lights"][0]["future_red"][1] = "yes";
  EXPECT_NE(error_of(j.dump()).find("case straight-clean: traffic_lights[0].future_red[1]: expected true or false"),
            std::string::npos);
}

// A map the scorer cannot follow scored PDMS 1 instead of being refused (issue 23): a route
// to a roadblock the map lacks, an empty route, repeated lane or roadblock ids.
TEST(CaseFile, MalformedMapsAreRefusedNamingTheField) {
  const auto base = nlohmann::json::parse(read_file(kCases))[0];
  auto j = base;
  j["map"]["route"] = {"rb", "rb-gone"};
  EXPECT_EQ(error_of(j.dump()), "bug.json: case straight-clean: map.route[1]: roadblock \"rb-gone\" is not in "
                                "map.roadblocks or map.roadblock_connectors");
  j = base;
  j["map"]["route"] = nlohmann::json::array();
  EXPECT_EQ(error_of(j.dump()), "bug.json: case straight-clean: map.route: empty (expected the ids of the roadblocks "
                                "the ego drives through)");
  j = base;
  j["map"].erase("route");
  EXPECT_EQ(error_of(j.dump()), "bug.json: case straight-clean: map.route: missing");
  j = base;
  j["map"]["lanes"][1]["id"] = j["map"]["lanes"][0]["id"];
  EXPECT_EQ(error_of(j.dump()),
            "bug.json: case straight-clean: map.lanes[1].id: duplicate lane id \"right\" (also map.lanes[0].id)");
  j = base;
  j["map"]["roadblock_connectors"] = nlohmann::json::parse(R"([{"id": "rb", "polygon": [[0, 0], [1, 0], [1, 1]], "lanes": []}])");
  EXPECT_EQ(error_of(j.dump()), "bug.json: case straight-clean: map.roadblock_connectors[0].id: duplicate roadblock id "
                                "\"rb\" (also map.roadblocks[0].id)");
  EXPECT_EQ(error_of(base.dump()), "") << "the unmodified case stays valid";
}

}  // namespace
}  // namespace autoscale::eval
