// CommonRoad importer on every real recording in ../shared/data-samples (label `data`): the nine
// NGSIM scenes (BSD) and the fifteen SinD windows (non-commercial: read from ../shared, never
// copied into the repository).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <fstream>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include "autoscale/core/error.h"
#include "autoscale/import/commonroad.h"
#include "autoscale/store/inspect.h"

namespace fs = std::filesystem;

namespace autoscale::scene {
namespace {

const fs::path kShared = fs::path(AUTOSCALE_SHARED_DIR) / "data-samples";

std::vector<std::string> xml_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".xml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Imported {
  std::string file;
  CommonRoadImport r;
  double seconds = 0;
};

std::vector<Imported> import_dir(const std::string& name) {
  std::vector<Imported> out;
  for (const auto& f : xml_files(kShared / name)) {
    const auto t0 = std::chrono::steady_clock::now();
    Imported i{fs::path(f).filename().string(), import_commonroad(f, {}), 0};
    i.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.push_back(std::move(i));
  }
  return out;
}

void print(const std::vector<Imported>& all) {
  size_t scenes = 0;
  double secs = 0;
  for (const auto& i : all) {
    std::map<std::string, size_t> cats;
    std::map<std::string, size_t> lights;
    double vmin = 1e9, vmax = 0;
    size_t short_h = 0;
    std::map<std::string, size_t> stationary;
    for (const auto& s : i.r.scenes) {
      for (const auto& a : s.agents) cats[to_string(a.category)]++;
      for (const auto& l : s.traffic_lights) lights[to_string(l.state)]++;
      vmin = std::min(vmin, s.current_ego().vx);
      vmax = std::max(vmax, s.current_ego().vx);
      short_h += s.num_history < 15;
      double vm = 0;
      for (const auto& e : s.ego) vm = std::max(vm, std::abs(e.vx));
      const double disp = std::hypot(s.ego.back().x - s.ego.front().x, s.ego.back().y - s.ego.front().y);
      if (vm < 0.3 && disp < 0.5) stationary[nlohmann::json::parse(s.generator_params)["ego_track"].get<std::string>()]++;
    }
    std::printf("%-36s scenes %4zu veh %3zu other %3zu short %2zu skipped_short %2zu overlap %3zu lights %zu/%zu rec %.1f "
                "longest %.1f lanes %zu areas %zu rb %zu v[%.2f, %.2f] %.3fs\n",
                i.file.c_str(), i.r.scenes.size(), i.r.stats.vehicles, i.r.stats.other_road_users, short_h,
                i.r.stats.skipped_short, i.r.stats.skipped_overlapping, i.r.stats.traffic_lights, i.r.stats.light_lanes,
                i.r.stats.recording_s, i.r.stats.longest_track_s, i.r.map.lanes.size(), i.r.map.areas.size(),
                i.r.map.roadblocks.size(), vmin, vmax, i.seconds);
    std::printf("   agents:");
    for (const auto& [k, v] : cats) std::printf(" %s=%zu", k.c_str(), v);
    std::printf("   lights:");
    for (const auto& [k, v] : lights) std::printf(" %s=%zu", k.c_str(), v);
    std::printf("   stationary egos:");
    for (const auto& [k, v] : stationary) std::printf(" %s=%zu", k.c_str(), v);
    std::printf("\n");
    scenes += i.r.scenes.size();
    secs += i.seconds;
  }
  std::printf("total %zu scenes in %.2f s = %.0f scenes/s\n", scenes, secs, scenes / secs);
}

const std::vector<Imported>& ngsim() {
  static const auto all = import_dir("commonroad-ngsim");
  return all;
}
const std::vector<Imported>& sind() {
  static const auto all = import_dir("commonroad-sind");
  return all;
}

std::string ego_type(const Scene& s) { return nlohmann::json::parse(s.generator_params)["ego_type"]; }

const Lane* lane(const Map& m, const std::string& id) {
  for (const auto& l : m.lanes) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

// Every scene carries `lanes` light states, each on a connector of the map (or on the one
// non-connector lane `except`); returns how often each state occurs over all scenes.
std::map<LightState, size_t> light_states(const CommonRoadImport& r, size_t lanes, const std::string& except) {
  std::map<LightState, size_t> states;
  for (const auto& s : r.scenes) {
    EXPECT_EQ(s.traffic_lights.size(), lanes) << s.token;
    for (const auto& l : s.traffic_lights) {
      const Lane* found = lane(r.map, l.lane);
      EXPECT_NE(found, nullptr) << l.lane;
      if (found) EXPECT_TRUE(found->connector || l.lane == except) << l.lane;
      ++states[l.state];
    }
  }
  return states;
}

// Every file imports; scenes per file as measured (2026-12, default windows); US101-3_3 records
// 3.1 s in all, less than the 4 s scoring horizon, so none of its cars can be the expert.
TEST(CommonRoadData, AllNineNgsimFilesImport) {
  const std::map<std::string, std::pair<size_t, size_t>> expected{  // scenes, lanes
      {"USA_Lanker-1_1_T-1.xml", {20, 91}},     {"USA_Lanker-1_3_T-1.cr.xml", {29, 95}},
      {"USA_Lanker-2_23_T-1.xml", {277, 116}},  {"USA_Peach-4_8_T-1.xml", {10, 79}},
      {"USA_US101-23_1_T-1.xml", {542, 18}},    {"USA_US101-3_1_T-1.xml", {111, 12}},
      {"USA_US101-3_3_T-1.xml", {0, 12}},       {"USA_US101-4_1_T-1.xml", {79, 12}},
      {"USA_US101-5_1_T-1.xml", {118, 5}}};
  ASSERT_EQ(ngsim().size(), expected.size());  // the .cr.xml one included
  print(ngsim());
  for (const auto& i : ngsim()) {
    SCOPED_TRACE(i.file);
    ASSERT_TRUE(expected.count(i.file));
    EXPECT_EQ(i.r.scenes.size(), expected.at(i.file).first);
    EXPECT_EQ(i.r.map.lanes.size(), expected.at(i.file).second);
    EXPECT_DOUBLE_EQ(i.r.stats.time_step_s, 0.1);  // NGSIM's speeds agree with its 10 Hz
    EXPECT_TRUE(validate_map(i.r.map).empty());
    for (const auto& s : i.r.scenes) {
      EXPECT_TRUE(validate_scene(s, i.r.map).empty()) << s.token;
      EXPECT_GE(s.num_future(), 40) << s.token;  // the scoring horizon is never cut
      EXPECT_GE(s.current_ego().vx, 0.0);
      EXPECT_LT(s.current_ego().vx, 21.0);  // 75 km/h: US-101 in dense traffic
      for (const auto& a : s.agents) EXPECT_EQ(a.category, AgentCategory::kCar);
    }
  }
  const auto& us101_3_3 = ngsim()[6];
  EXPECT_NEAR(us101_3_3.r.stats.recording_s, 3.1, 1e-9);
  EXPECT_EQ(us101_3_3.r.stats.skipped_short, 12u);
  // Lankershim records every car for 4.0 s: one window each from its first frame (no history).
  for (size_t f : {0, 1}) {
    EXPECT_EQ(ngsim()[f].r.stats.short_history, ngsim()[f].r.scenes.size());
    for (const auto& s : ngsim()[f].r.scenes) {
      EXPECT_EQ(s.num_history, 0);
      EXPECT_TRUE(nlohmann::json::parse(s.generator_params)["history_shortened"].get<bool>());
    }
  }
}

// Lankershim's eight lights (left arrows, straight-right, right arrows that go dark) reach the
// connectors of the movements they control, with their cycle read as commonroad-io reads it.
TEST(CommonRoadData, NgsimLightsSitOnTheConnectorsTheyControl) {
  for (size_t f : {1, 2}) {  // Lanker-1_3, Lanker-2_23
    const auto& i = ngsim()[f];
    SCOPED_TRACE(i.file);
    EXPECT_EQ(i.r.stats.traffic_lights, 8u);
    EXPECT_EQ(i.r.stats.light_lanes, 20u);
    auto states = light_states(i.r, 20, {});
    EXPECT_GT(states[LightState::kRed], 0u);
    EXPECT_GT(states[LightState::kUnknown], 0u);  // the right arrows' "inactive" phase
  }
  // Lanker-2_23 lanelet 3560 carries a left arrow (21378, green from step 485 for 170 steps)
  // and a straight-right light (21379, green from 695 for 310): its left-turn successor 3671
  // follows the arrow: red at 0-8 s ((t - 485) mod 1000 falls in the red phase).
  for (const auto& s : ngsim()[2].r.scenes) {
    for (const auto& l : s.traffic_lights) {
      if (l.lane == "3671") EXPECT_EQ(l.state, LightState::kRed) << s.token;
    }
  }
}

// SinD: every file imports, pedestrians, cyclists, motorcyclists and buses keep their classes,
// and the recording's true 0.5 s step is found from its speeds.
TEST(CommonRoadData, AllFifteenSindFilesImportWithTheirRoadUsers) {
  ASSERT_EQ(sind().size(), 15u);
  print(sind());
  const std::vector<size_t> expected{118, 231, 98, 113, 46, 205, 112, 117, 114, 57, 97, 193, 243, 91, 203};
  std::map<AgentCategory, size_t> total;
  std::vector<double> walking;  // speeds of moving pedestrians
  size_t scenes = 0;
  for (size_t f = 0; f < sind().size(); ++f) {
    const auto& i = sind()[f];
    SCOPED_TRACE(i.file);
    EXPECT_EQ(i.r.scenes.size(), expected[f]);
    EXPECT_DOUBLE_EQ(i.r.stats.declared_time_step_s, 0.1);
    EXPECT_DOUBLE_EQ(i.r.stats.time_step_s, 0.5);
    EXPECT_NEAR(i.r.stats.recording_s, 37.5, 1e-9);
    EXPECT_GE(i.r.stats.parked, 2u);  // the parked bus and cars are agents, not egos
    EXPECT_EQ(i.r.map.lanes.size(), 46u);
    EXPECT_EQ(i.r.map.roadblocks.size(), 20u);
    EXPECT_EQ(i.r.map.areas.size(), 2u);  // the drivable union and the intersection
    EXPECT_TRUE(validate_map(i.r.map).empty());
    double vmax = 0;
    for (const auto& s : i.r.scenes) {
      EXPECT_TRUE(validate_scene(s, i.r.map).empty()) << s.token;
      EXPECT_TRUE(ego_type(s) == "car" || ego_type(s) == "bus" || ego_type(s) == "truck") << s.token;
      vmax = std::max(vmax, s.current_ego().vx);
      EXPECT_LT(s.current_ego().vx, 15.0) << s.token;  // an urban intersection
      for (const auto& a : s.agents) {
        ++total[a.category];
        EXPECT_EQ(a.type, coarse_type(a.category)) << a.id;
        for (const auto& st : a.states) {
          const double v = std::hypot(st.vx, st.vy);
          if (st.valid && a.category == AgentCategory::kPedestrian && v > 0.3) walking.push_back(v);
        }
      }
    }
    EXPECT_GT(vmax, 6.0);  // egos drive through the junction, not only queue
    scenes += i.r.scenes.size();
  }
  EXPECT_EQ(scenes, 2038u);
  // At the declared 0.1 s, pedestrians would walk at 5-7 m/s; at 0.5 s they walk (one jogs).
  std::sort(walking.begin(), walking.end());
  ASSERT_FALSE(walking.empty());
  EXPECT_GT(walking[walking.size() / 2], 0.8);
  EXPECT_LT(walking[walking.size() / 2], 2.0);
  EXPECT_LT(walking.back(), 5.0);
  for (auto c : {AgentCategory::kCar, AgentCategory::kBus, AgentCategory::kTruck, AgentCategory::kMotorcycle,
                 AgentCategory::kBicycle, AgentCategory::kPedestrian}) {
    EXPECT_GT(total[c], 100u) << to_string(c);
  }
  EXPECT_EQ(total[AgentCategory::kUnspecified], 0u);
}

// SinD's four lights are logs of the recorded states (one cycle over the file); they reach the
// 26 lanes leaving the signalised approaches (25 connectors and lanelet 31, a successor of
// approach 16 that the <intersection> does not list), and yellow lasts 3 s as in Tianjin.
TEST(CommonRoadData, SindLightStatesReachTheConnectors) {
  for (const auto& i : sind()) {
    SCOPED_TRACE(i.file);
    EXPECT_EQ(i.r.stats.traffic_lights, 4u);
    EXPECT_EQ(i.r.stats.light_lanes, 26u);
    auto states = light_states(i.r, 26, "31");
    EXPECT_GT(states[LightState::kRed], 0u);
    EXPECT_GT(states[LightState::kGreen], 0u);
    EXPECT_EQ(states[LightState::kUnknown], 0u);
  }
  // CHN_SIND-831_1052: light 103 (approach lanelets 6, 7, 8) is green 19 steps, yellow 6, then
  // red: at 0.5 s per step, green until 9.5 s, yellow until 12.5 s. Lanelet 6 leads into 25.
  // The future states follow the same log, step by step, to the end of each window.
  auto want = [](double t) {
    return t < 9.5 - 1e-9 ? LightState::kGreen : t < 12.5 - 1e-9 ? LightState::kYellow : LightState::kRed;
  };
  size_t turning = 0;
  for (const auto& s : sind()[0].r.scenes) {
    const double t = s.timestamp_us * 1e-6;
    for (const auto& l : s.traffic_lights) {
      ASSERT_EQ(l.future.size(), static_cast<size_t>(s.num_future())) << s.token << " lane " << l.lane;
      if (l.lane != "25") continue;
      EXPECT_EQ(l.state, want(t)) << s.token << " at " << t << " s";
      for (size_t k = 0; k < l.future.size(); ++k) {
        EXPECT_EQ(l.future[k], want(t + 0.1 * static_cast<double>(k + 1))) << s.token << " future step " << k + 1;
      }
      turning += l.state != l.future.back();
    }
  }
  EXPECT_GT(turning, 0u);  // some windows see the light change ahead
}

// A damaged file stops the import with one line naming the file and the element.
TEST(CommonRoadData, CorruptSindFilesNameFileAndElement) {
  const std::string src = (kShared / "commonroad-sind" / "CHN_SIND-831_1_T-75.cr.xml").string();
  std::ifstream in(src);
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto dir = fs::temp_directory_path() / ("autoscale-sind-corrupt-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto error_of = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir / name).string();
    std::ofstream(path) << text;
    try {
      import_commonroad(path, {});
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_NE(what.find(path), std::string::npos) << what;
      return what;
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("truncated.cr.xml", xml.substr(0, xml.size() * 2 / 3)).find("malformed XML"), std::string::npos);
  std::string no_radius = xml;
  const auto r = no_radius.find("<radius>");
  no_radius.replace(r, no_radius.find("</radius>", r) + 9 - r, "");
  EXPECT_NE(error_of("radius.cr.xml", no_radius).find("/shape/circle: missing <radius>"), std::string::npos);
  std::string bad_duration = xml;
  bad_duration.replace(bad_duration.find("<duration>"), 10, "<duration>-");
  EXPECT_NE(error_of("duration.cr.xml", bad_duration).find("<trafficLight id="), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace autoscale::scene
