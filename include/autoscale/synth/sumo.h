// Synthetic traffic worlds from SUMO (Debian's sumo + sumo-tools, headless): a generated road
// network and random demand, or a scenario's own network and demand (a .sumocfg such as the
// real Bologna networks), a 10 Hz simulation with floating-car-data output, converted into
// scenes where each suitable vehicle in turn is the expert ego. The domain gap is real: SUMO's
// drivers are idealised (no tracking noise, Krauss/IDM behaviour).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/scene/derive.h"
#include "autoscale/scene/types.h"

namespace autoscale::scene {

struct SumoOptions {
  std::string network = "grid";  // grid | spider | random (netgenerate) | scenario (its own net and demand)
  std::string scenario;          // network scenario: the .sumocfg to run (its net, routes, additionals)
  std::vector<double> area;      // scenario: [xmin, ymin, xmax, ymax] recorded (net coordinates); empty = all
  int64_t grid_number = 3;       // junctions per side (grid)
  double grid_length = 120.0;    // m between junctions (grid)
  int64_t spider_arms = 5;
  int64_t spider_circles = 3;
  double spider_space = 80.0;    // m between circles
  int64_t random_iterations = 40;
  int64_t lanes = 2;             // lanes per direction
  bool traffic_lights = true;    // let netgenerate guess signalised junctions
  double stop_offset_m = 0.0;    // where vehicles stop before a junction's edge (0: SUMO's own gap, ~1 m)
  double duration_s = 120.0;     // simulated time
  double warmup_s = 20.0;        // no scene starts before the network has filled
  double insertion_period_s = 1.2;  // one new vehicle every ... seconds (randomTrips -p)
  double lanechange_duration_s = 3.0;  // SUMO's default lane change is an instant 3 m jump
  std::string vehicle_class = "passenger";  // randomTrips --vehicle-class; sizes from SUMO's vClass defaults
  bool pedestrians = false;      // sidewalks and walking persons (agents only, never the ego)
  double pedestrian_period_s = 2.0;
  double max_jump_m = 3.0;       // a step this much beyond speed * dt is a teleport: track dropped
  int64_t max_egos_per_world = 20;
  int64_t worlds = 1;
  WindowOptions window{1.5, 5.0, 4.0, 1.0};
  std::string sumo_home = "/usr/share/sumo";

  void visit(ConfigVisitor& v);
  void validate() const;
};

struct SumoWorldStats {
  size_t vehicles = 0;          // tracks in the simulation
  size_t dropped_jumps = 0;     // tracks dropped for teleports
  size_t skipped_overlapping = 0;
};

struct SumoWorld {
  Map map;
  std::vector<Scene> scenes;
  SumoWorldStats stats;
};

// Builds world `world` (seed derived from run_seed and world) in a fresh subdirectory of
// work_dir. Throws Error naming the tool and its log when a SUMO step fails.
SumoWorld generate_sumo_world(const SumoOptions& options, uint64_t run_seed, int64_t world, const std::string& work_dir);

}  // namespace autoscale::scene
