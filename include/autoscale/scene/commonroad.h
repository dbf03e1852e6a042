// CommonRoad XML importer (format versions 2018b and 2020a).
//
// Lanelets become lanes (centerline = midpoints of the bounds, polygon = left bound + reversed
// right bound); lanelets adjacent in the same direction form a roadblock; the union of all
// lanelets is the drivable area. Each sufficiently long recorded vehicle in turn is the expert
// ego (CommonRoad removed the recording car), cut into windows; the other obstacles are agents.
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
  size_t vehicles = 0;              // dynamic vehicle tracks in the file
  size_t windows = 0;               // scenes produced
  size_t skipped_short = 0;         // candidate tracks too short for one window
  size_t skipped_overlapping = 0;   // windows dropped because the ego box overlapped another box
  double longest_track_s = 0.0;
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
