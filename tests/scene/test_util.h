// Shared fixtures for the scene tests: temporary directories and a small hand-made scene whose
// every value is known.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "autoscale/scene/types.h"

namespace autoscale::scene::testing {

// A path removed (with everything under it) when the test binary exits: for fixtures that live
// as long as the process, such as a store imported once and shared by many tests.
inline std::filesystem::path removed_at_exit(std::filesystem::path path) {
  struct Registry {
    std::vector<std::filesystem::path> paths;
    ~Registry() {
      std::error_code ignored;  // best effort: a failed clean-up must not fail the run
      for (const auto& p : paths) std::filesystem::remove_all(p, ignored);
    }
  };
  static Registry registry;
  registry.paths.push_back(path);
  return path;
}

inline std::filesystem::path temp_dir(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() /
                 ("autoscale-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d;
}

inline Map square_map(const std::string& id) {
  Map m;
  m.id = id;
  Lane lane;
  lane.id = "l1";
  lane.roadblock = "rb1";
  lane.speed_limit = 13.4;
  lane.centerline = {{0, 0}, {50, 0}, {100, 0}};
  lane.polygon = {{0, -2}, {100, -2}, {100, 2}, {0, 2}};
  lane.successors = {"l2"};
  Lane l2 = lane;
  l2.id = "l2";
  l2.roadblock = "rb2";
  l2.connector = true;
  l2.speed_limit = std::numeric_limits<double>::quiet_NaN();
  l2.centerline = {{100, 0}, {110, 0}};
  l2.polygon = {{100, -2}, {110, -2}, {110, 2}, {100, 2}};
  l2.successors.clear();
  l2.predecessors = {"l1"};
  m.lanes = {lane, l2};
  m.roadblocks = {{"rb1", false, {lane.polygon, {}}}, {"rb2", true, {l2.polygon, {}}}};
  Polygon with_hole{{{-10, -10}, {120, -10}, {120, 10}, {-10, 10}}, {{{40, 5}, {41, 5}, {41, 6}, {40, 6}}}};
  m.areas = {{"drivable-0", AreaKind::kGeneric, with_hole}, {"int-1", AreaKind::kIntersection, {l2.polygon, {}}}};
  return m;
}

// A scene of `steps` states with two agents; `k` makes every value distinct between scenes.
inline Scene make_scene(const std::string& token, const std::string& map_id, int k, int steps = 20) {
  Scene s;
  s.token = token;
  s.log = "log-" + std::to_string(k % 3);
  s.map_id = map_id;
  s.domain = k % 2 ? Domain::kSynthetic : Domain::kReal;
  s.timestamp_us = 1000000LL * k;
  s.generator = "test";
  s.generator_params = "{\"k\": " + std::to_string(k) + "}";
  s.seed = 42 + k;
  s.source_log = k % 2 ? "log-0" : "";
  s.command = DrivingCommand::kStraight;
  s.num_history = 5;
  s.ego_length = 4.5 + 0.01 * k;
  s.ego_width = 1.9;
  for (int t = 0; t < steps; ++t) {
    s.ego.push_back({1.0 * t + k, 0.1 * k, 0.01 * t, 10.0, 0.0, 0.5, -0.1 * k});
  }
  for (int a = 0; a < 2; ++a) {
    Agent ag;
    ag.id = "agent-" + std::to_string(a);
    ag.type = a ? AgentType::kPedestrian : AgentType::kVehicle;
    ag.category = a ? AgentCategory::kPedestrian : AgentCategory::kBus;
    ag.length = 4.0 + a;
    ag.width = 1.8;
    ag.height = 1.5;
    for (int t = 0; t < steps; ++t) {
      ag.states.push_back({20.0 + t + a, 3.0 * a, 0.0, 8.0, 0.1 * a, t % 7 != 3});
    }
    s.agents.push_back(ag);
  }
  s.route = {"rb1", "rb2"};
  s.traffic_lights = {{"l2", LightState::kRed}};
  return s;
}

}  // namespace autoscale::scene::testing
