// CommonRoad XML importer (format versions 2018b and 2020a).
//
// Lanelets become lanes (centerline = midpoints of the bounds, polygon = left bound + reversed
// right bound); lanelets adjacent in the same direction form a roadblock; the union of all
// lanelets is the drivable area. Each recorded car, truck or bus in turn is the expert ego
// (CommonRoad removed the recording car), cut into windows; every other obstacle is an agent of
// its own category (pedestrians, bicycles, motorcycles: AgentCategory, coarse AgentType as
// NAVSIM's). Windows:
//   - every stride-aligned frame with the full history and at least min_future_s of future;
//   - a track too short for any (NGSIM Lankershim records each car for 4.0 s) that still covers
//     min_future_s gives one window with the history it has, down to none (num_history says so,
//     and generator_params "history_shortened"); a track shorter than min_future_s gives none:
//     its future, and every agent's, would end inside the scoring horizon;
//   - windows where the ego box overlaps another road user are dropped (skip_overlapping);
//   - a vehicle standing still for 30 s or more is parked: an agent, never the ego.
// Tracks are resampled to 10 Hz (linear interpolation) from the file's time step, which is
// checked against the recorded speeds: SinD's files declare 0.1 s but are sampled every 0.5 s.
// Traffic lights (2020a <trafficLight> cycles, timeOffset as commonroad-io reads it) are put on
// the lanes past the stop line whose movement their <direction> covers, with their state at each
// scene's current frame (the store's NAVSIM convention, see TrafficLight).
#pragma once

#include <string>
#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/scene/derive.h"
#include "autoscale/scene/types.h"

namespace autoscale::scene {

struct CommonRoadOptions {
  WindowOptions window;
  double joint_tolerance_m = 0.05;  // gaps narrower than twice this between lanelets are closed
  double min_hole_area_m2 = 1.0;    // smaller holes left by the union are slivers, not medians
  bool skip_overlapping = true;     // drop windows where the ego box overlaps another vehicle (NGSIM artefacts)

  void visit(ConfigVisitor& v);
};

struct CommonRoadStats {
  size_t vehicles = 0;              // ego candidates: car, truck and bus tracks in the file
  size_t other_road_users = 0;      // pedestrian, bicycle, motorcycle tracks (agents only)
  size_t windows = 0;               // scenes produced
  size_t short_history = 0;         // of them, scenes with less than the configured history
  size_t parked = 0;                // candidate tracks standing still for 30 s or more: agents only
  size_t skipped_short = 0;         // candidate tracks shorter than min_future_s: no window
  size_t skipped_overlapping = 0;   // windows dropped because the ego box overlapped another box
  size_t traffic_lights = 0;        // <trafficLight> elements
  size_t light_lanes = 0;           // lanes those lights control (each scene holds their states)
  double longest_track_s = 0.0;     // longest ego candidate track, parked ones aside [s]
  double recording_s = 0.0;         // first to last step of any moving obstacle [s]
  double declared_time_step_s = 0.1;  // the file's timeStepSize
  double time_step_s = 0.1;         // the step its recorded speeds confirm (SinD: 0.5 s, see the .cpp)
};

struct CommonRoadImport {
  Map map;
  std::vector<Scene> scenes;
  CommonRoadStats stats;
};

// Parses one file. Throws Error naming the file, the element (with its id) and the value for
// malformed XML, missing fields and non-finite numbers.
CommonRoadImport import_commonroad(const std::string& path, const CommonRoadOptions& options);

}  // namespace autoscale::scene
