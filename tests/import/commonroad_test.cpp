#include "autoscale/import/commonroad.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <tuple>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/scene/geometry.h"
#include "autoscale/store/inspect.h"
#include "../scene/test_util.h"

namespace fs = std::filesystem;

namespace autoscale::scene {
namespace {

const std::string kData = std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/";

bool in_drivable(const Map& map, Vec2 p) {
  for (const auto& a : map.areas) {
    if (a.kind == AreaKind::kGeneric && point_in_polygon(a.polygon, p)) return true;
  }
  return false;
}

std::string error_of(const std::string& path, const CommonRoadOptions& options = {}) {
  try {
    import_commonroad(path, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Writes `xml` (a modified copy of a real file) to a temp file.
std::string temp_xml(const std::string& name, const std::string& xml) {
  const auto path = testing::removed_at_exit(testing::temp_dir(name).string() + ".xml").string();
  write_file_atomic(path, xml);
  return path;
}

TEST(CommonRoad, ImportsRealNgsimHighwayAsExpertWindows) {
  const auto r = import_commonroad(kData + "USA_US101-4_1_T-1.xml", {});
  EXPECT_EQ(r.map.id, "USA_US101-4_1_T-1");
  EXPECT_EQ(r.map.lanes.size(), 12u);
  EXPECT_EQ(r.stats.vehicles, 22u);
  // 76 windows of the 11 tracks long enough for 1.5 s + 4..5 s, and one each for the 3 tracks
  // of 4.0-5.2 s, with the history they have.
  EXPECT_EQ(r.scenes.size(), 79u);
  EXPECT_EQ(r.stats.short_history, 3u);
  std::set<std::string> tokens;
  size_t full_history = 0;
  for (const auto& s : r.scenes) {
    EXPECT_TRUE(tokens.insert(s.token).second) << "duplicate " << s.token;
    EXPECT_EQ(s.domain, Domain::kReal);
    EXPECT_LE(s.num_history, 15);
    full_history += s.num_history == 15;
    EXPECT_GE(s.num_future(), 40);
    EXPECT_LE(s.num_future(), 50);
    EXPECT_FALSE(s.route.empty()) << s.token;
    EXPECT_TRUE(validate_scene(s, r.map).empty()) << s.token;
    // The expert drives on the road: its rear axle and box centre are inside the drivable union.
    for (const auto& e : s.ego) {
      EXPECT_TRUE(in_drivable(r.map, {e.x, e.y})) << s.token;
    }
    // Headings agree with the direction of motion wherever the car moves (over 1 s: NGSIM
    // positions are video-tracked and jitter from step to step).
    for (size_t k = 10; k < s.ego.size(); ++k) {
      const double dx = s.ego[k].x - s.ego[k - 10].x, dy = s.ego[k].y - s.ego[k - 10].y;
      if (std::hypot(dx, dy) < 3.0) continue;
      EXPECT_LT(std::abs(wrap_angle(std::atan2(dy, dx) - s.ego[k - 5].heading)), 0.2) << s.token << " step " << k;
    }
    // The ego's own track is never among the agents; every agent is observed at least once.
    const std::string ego_id = std::regex_replace(s.token, std::regex("^.*-(\\d+)-\\d{4}$"), "$1");
    for (const auto& a : s.agents) {
      EXPECT_NE(a.id, ego_id);
      EXPECT_EQ(a.states.size(), s.ego.size());
      bool seen = false;
      for (const auto& st : a.states) seen = seen || st.valid;
      EXPECT_TRUE(seen);
    }
  }
  EXPECT_EQ(full_history, 76u);
}

TEST(CommonRoad, RearAxleSitsBehindTheRecordedBoxCentre) {
  const auto r = import_commonroad(kData + "USA_US101-4_1_T-1.xml", {});
  const Scene& s = r.scenes.front();
  const auto& e = s.current_ego();
  // Re-derive the centre from the rear axle: it must be rear_axle_to_center ahead.
  const double d = rear_axle_to_center(s.ego_length);
  EXPECT_NEAR(d, s.ego_length * 1.461 / 5.176, 1e-12);
  const Vec2 centre{e.x + d * std::cos(e.heading), e.y + d * std::sin(e.heading)};
  EXPECT_TRUE(in_drivable(r.map, centre));
  EXPECT_GT(e.vx, 0.0);
  EXPECT_EQ(e.vy, 0.0);
}

TEST(CommonRoad, ArterialWithTrafficLightsSpeedLimitsAndIntersections) {
  const auto r = import_commonroad(kData + "USA_Peach-4_8_T-1.xml", {});
  EXPECT_EQ(r.map.lanes.size(), 79u);
  EXPECT_EQ(r.scenes.size(), 10u);
  const auto lane = std::find_if(r.map.lanes.begin(), r.map.lanes.end(), [](const Lane& l) { return l.id == "43349"; });
  ASSERT_NE(lane, r.map.lanes.end());
  EXPECT_NEAR(lane->speed_limit, 15.6464, 1e-9);  // from the R2-1 sign
  EXPECT_EQ(lane->successors, std::vector<std::string>{"43590"});
  EXPECT_EQ(lane->right, "43208");
  EXPECT_TRUE(lane->left.empty());  // its left neighbour drives the other way
  size_t connectors = 0, intersections = 0;
  for (const auto& l : r.map.lanes) connectors += l.connector;
  for (const auto& a : r.map.areas) intersections += a.kind == AreaKind::kIntersection;
  EXPECT_GT(connectors, 0u);
  EXPECT_GT(intersections, 0u);
  EXPECT_TRUE(validate_map(r.map).empty());
  // The four lights are referenced by the 13 approach lanelets; their states sit on the 16
  // connectors past the stop lines (NAVSIM's convention), e.g. 43349 -> 43590.
  EXPECT_EQ(r.stats.traffic_lights, 4u);
  EXPECT_EQ(r.stats.light_lanes, 16u);
  for (const auto& s : r.scenes) {
    ASSERT_EQ(s.traffic_lights.size(), 16u) << s.token;
    for (const auto& l : s.traffic_lights) {
      EXPECT_NE(l.state, LightState::kUnknown);
      const auto it = std::find_if(r.map.lanes.begin(), r.map.lanes.end(), [&](const Lane& x) { return x.id == l.lane; });
      ASSERT_NE(it, r.map.lanes.end());
      EXPECT_TRUE(it->connector) << l.lane;
    }
  }
}

TEST(CommonRoad, Reads2018bFormat) {
  CommonRoadOptions short_windows;
  short_windows.window = {0.5, 2.0, 2.0, 0.5};
  const auto r = import_commonroad(kData + "USA_Lanker-1_1_T-1.xml", short_windows);
  EXPECT_EQ(r.map.lanes.size(), 91u);
  EXPECT_NEAR(r.map.lanes.front().speed_limit, 13.4112, 1e-9);  // 2018b <speedLimit> of lanelet 3419 (30 mph)
  EXPECT_EQ(r.stats.vehicles, 24u);
  EXPECT_GT(r.scenes.size(), 20u);
  // With the default 1.5 s + 4 s windows the 4.0 s tracks give one window each, from their first
  // frame: the 4 s future is whole, the history is none, and the scene says so.
  const auto lanker = import_commonroad(kData + "USA_Lanker-1_1_T-1.xml", {});
  EXPECT_EQ(lanker.scenes.size(), 20u);  // 22 tracks of 4.0 s, 2 of them overlapping a neighbour
  EXPECT_EQ(lanker.stats.skipped_overlapping, 2u);
  EXPECT_EQ(lanker.stats.skipped_short, 2u);  // 2.6 and 0.8 s
  EXPECT_EQ(lanker.stats.short_history, 20u);
  for (const auto& s : lanker.scenes) {
    EXPECT_EQ(s.num_history, 0);
    EXPECT_EQ(s.num_future(), 40);
    EXPECT_NE(s.generator_params.find("\"history_shortened\":true"), std::string::npos);
  }
  // US101-3_3 records 3.1 s in all: shorter than the scoring horizon, so no car is an expert.
  const auto short_file = import_commonroad(kData + "USA_US101-3_3_T-1.xml", {});
  EXPECT_TRUE(short_file.scenes.empty());
  EXPECT_EQ(short_file.stats.skipped_short, 12u);
  EXPECT_NEAR(short_file.stats.recording_s, 3.1, 1e-9);
}

// A minimal 2020a file: one straight 200 m lanelet and cars driving along it at 10 m/s.
std::string minimal_xml(const std::vector<double>& start_x) {
  std::string xml = R"(<commonRoad benchmarkID="TEST_Straight-1" commonRoadVersion="2020a" timeStepSize="0.1">
  <lanelet id="1"><leftBound><point><x>0</x><y>2</y></point><point><x>200</x><y>2</y></point></leftBound>
  <rightBound><point><x>0</x><y>-2</y></point><point><x>200</x><y>-2</y></point></rightBound></lanelet>
)";
  int id = 10;
  for (double x0 : start_x) {
    xml += fmt::format(R"(<dynamicObstacle id="{}"><type>car</type><shape><rectangle><length>4.5</length>
<width>1.8</width></rectangle></shape><initialState><position><point><x>{}</x><y>0</y></point></position>
<orientation><exact>0</exact></orientation><time><exact>0</exact></time><velocity><exact>10</exact></velocity>
</initialState><trajectory>)",
                       id++, x0);
    for (int t = 1; t <= 70; ++t) {
      xml += fmt::format(R"(<state><position><point><x>{}</x><y>0</y></point></position><orientation><exact>0</exact>
</orientation><time><exact>{}</exact></time><velocity><exact>10</exact></velocity></state>)",
                         x0 + t, t);
    }
    xml += "</trajectory></dynamicObstacle>\n";
  }
  return xml + "</commonRoad>\n";
}

TEST(CommonRoad, OverlappingExpertWindowsAreSkipped) {
  const auto apart = import_commonroad(temp_xml("cr-apart", minimal_xml({0, 20})), {});
  EXPECT_EQ(apart.stats.vehicles, 2u);
  EXPECT_EQ(apart.stats.skipped_overlapping, 0u);
  ASSERT_FALSE(apart.scenes.empty());
  EXPECT_EQ(apart.scenes.front().agents.size(), 1u);
  EXPECT_NEAR(apart.scenes.front().current_ego().vx, 10.0, 1e-9);

  const std::string overlapping = temp_xml("cr-overlap", minimal_xml({0, 3}));  // 3 m apart, 4.5 m long
  const auto skipped = import_commonroad(overlapping, {});
  EXPECT_TRUE(skipped.scenes.empty());
  EXPECT_EQ(skipped.stats.skipped_overlapping, apart.scenes.size());
  CommonRoadOptions keep;
  keep.skip_overlapping = false;
  EXPECT_EQ(import_commonroad(overlapping, keep).scenes.size(), apart.scenes.size());
}

// A 2020a file with one straight lanelet, a car at 10 m/s and a pedestrian (a <circle>), whose
// positions advance `metres_per_step` per declared 0.1 s step.
std::string mixed_xml(double metres_per_step) {
  std::string xml = R"(<commonRoad benchmarkID="TEST_Mixed-1" commonRoadVersion="2020a" timeStepSize="0.1">
  <lanelet id="1"><leftBound><point><x>-50</x><y>4</y></point><point><x>400</x><y>4</y></point></leftBound>
  <rightBound><point><x>-50</x><y>-2</y></point><point><x>400</x><y>-2</y></point></rightBound></lanelet>
)";
  const auto state = [](double x, double y, double v, int t, bool initial) {
    return fmt::format(R"(<{0}><position><point><x>{1}</x><y>{2}</y></point></position><orientation><exact>0</exact>
</orientation><time><exact>{3}</exact></time><velocity><exact>{4}</exact></velocity></{0}>)",
                       initial ? "initialState" : "state", x, y, t, v);
  };
  for (const auto& [id, shape, type, y, v] :
       {std::tuple{10, "<rectangle><length>4.5</length><width>1.8</width></rectangle>", "car", 0.0, 10.0},
        std::tuple{11, "<circle><radius>0.3</radius></circle>", "pedestrian", 3.0, 1.0}}) {
    xml += fmt::format("<dynamicObstacle id=\"{}\"><type>{}</type><shape>{}</shape>", id, type, shape);
    const double step = metres_per_step * v / 10.0;
    xml += state(0, y, v, 0, true) + "<trajectory>";
    for (int t = 1; t <= 70; ++t) xml += state(t * step, y, v, t, false);
    xml += "</trajectory></dynamicObstacle>\n";
  }
  return xml + "</commonRoad>\n";
}

TEST(CommonRoad, RoadUsersKeepTheirClassAndOnlyVehiclesDrive) {
  const auto r = import_commonroad(temp_xml("cr-mixed", mixed_xml(1.0)), {});
  EXPECT_EQ(r.stats.vehicles, 1u);
  EXPECT_EQ(r.stats.other_road_users, 1u);
  ASSERT_FALSE(r.scenes.empty());
  for (const auto& s : r.scenes) {
    EXPECT_NE(s.generator_params.find("\"ego_type\":\"car\""), std::string::npos);
    ASSERT_EQ(s.agents.size(), 1u);  // the pedestrian, never the ego
    const Agent& p = s.agents.front();
    EXPECT_EQ(p.type, AgentType::kPedestrian);
    EXPECT_EQ(p.category, AgentCategory::kPedestrian);
    EXPECT_DOUBLE_EQ(p.length, 0.6);  // the square around the circle
    EXPECT_DOUBLE_EQ(p.width, 0.6);
  }
  for (const auto& [category, name] : kAgentCategoryNames) {
    AgentCategory parsed;
    ASSERT_TRUE(parse_agent_category(name, &parsed));
    EXPECT_EQ(parsed, category);
    EXPECT_STREQ(to_string(category), name);
  }
  EXPECT_EQ(coarse_type(AgentCategory::kBus), AgentType::kVehicle);
  EXPECT_EQ(coarse_type(AgentCategory::kMotorcycle), AgentType::kBicycle);
  EXPECT_EQ(coarse_type(AgentCategory::kUnspecified, AgentType::kStatic), AgentType::kStatic);
}

TEST(CommonRoad, TimeStepComesFromTheRecordedSpeeds) {
  // Positions 5x what the speeds allow in 0.1 s: the file is sampled every 0.5 s (SinD), so its
  // 71 states span 35 s and are interpolated to 10 Hz.
  const auto r = import_commonroad(temp_xml("cr-step5", mixed_xml(5.0)), {});
  EXPECT_DOUBLE_EQ(r.stats.time_step_s, 0.5);
  EXPECT_DOUBLE_EQ(r.stats.declared_time_step_s, 0.1);
  EXPECT_NEAR(r.stats.recording_s, 35.0, 1e-9);
  ASSERT_FALSE(r.scenes.empty());
  const Scene& s = r.scenes.front();
  EXPECT_NE(s.generator_params.find("\"time_step_s\":0.5"), std::string::npos);
  for (size_t k = 1; k < s.ego.size(); ++k) {
    EXPECT_NEAR(s.ego[k].x - s.ego[k - 1].x, 1.0, 1e-9);  // 10 m/s at 10 Hz
    EXPECT_NEAR(s.ego[k].vx, 10.0, 1e-9);
  }
  // 3.5x fits no whole multiple: an error that names both.
  const std::string odd = temp_xml("cr-step35", mixed_xml(3.5));
  std::string e = error_of(odd);
  EXPECT_NE(e.find(odd), std::string::npos) << e;
  EXPECT_NE(e.find("timeStepSize \"0.1\": the positions of moving obstacles advance 3.50 times"), std::string::npos)
      << e;
}

TEST(CommonRoad, BadInputNamesFileElementAndValue) {
  const std::string good = read_file(kData + "USA_Peach-4_8_T-1.xml");
  const std::string truncated = temp_xml("cr-trunc", good.substr(0, good.size() / 2));
  std::string e = error_of(truncated);
  EXPECT_NE(e.find(truncated), std::string::npos) << e;
  EXPECT_NE(e.find("malformed XML"), std::string::npos) << e;

  std::string nan_xml = good;
  nan_xml.replace(nan_xml.find("<x>5.293104</x>"), 15, "<x>nan</x>");
  e = error_of(temp_xml("cr-nan", nan_xml));
  EXPECT_NE(e.find("<lanelet id=43349>/leftBound point 0/x: expected a finite number, got \"nan\""),
            std::string::npos)
      << e;

  std::string abc_xml = good;
  abc_xml.replace(abc_xml.find("<x>5.293104</x>"), 15, "<x>abc</x>");
  e = error_of(temp_xml("cr-abc", abc_xml));
  EXPECT_NE(e.find("expected a number, got \"abc\""), std::string::npos) << e;

  EXPECT_NE(error_of(temp_xml("cr-empty", "")).find("empty file"), std::string::npos);
  EXPECT_NE(error_of(temp_xml("cr-foreign", "<osm version=\"0.6\"/>")).find("not a CommonRoad file"),
            std::string::npos);
  EXPECT_NE(error_of(temp_xml("cr-version", "<commonRoad commonRoadVersion=\"2030x\"/>"))
                .find("commonRoadVersion \"2030x\" is not supported"),
            std::string::npos);
  EXPECT_NE(error_of("/nonexistent.xml").find("no such file"), std::string::npos);
  std::string polygon = minimal_xml({0});
  polygon.replace(polygon.find("<rectangle>"), 11, "<polygon>").replace(polygon.find("</rectangle>"), 12, "</polygon>");
  EXPECT_NE(error_of(temp_xml("cr-polygon", polygon))
                .find("<dynamicObstacle id=10>/shape: expected <rectangle> or <circle>, got <polygon>"),
            std::string::npos)
      << error_of(temp_xml("cr-polygon", polygon));
  CommonRoadOptions bad;
  bad.window.min_future_s = 6.0;
  EXPECT_NE(error_of(kData + "USA_Peach-4_8_T-1.xml", bad).find("min_future_s (6) must not exceed future_s (5)"),
            std::string::npos);
}

}  // namespace
}  // namespace autoscale::scene
