// Which recorded data set (or which generator) a scene comes from: finer than its generator,
// which is the importer (NGSIM and SinD both arrive as CommonRoad).
#pragma once

#include <string>

#include "autoscale/scene/types.h"

namespace autoscale::scene {

// ngsim, sind, nuscenes, av2-sensor, navsim, ... for real scenes: the importer's "dataset"
// parameter, else told from a CommonRoad benchmark id (CHN_SIND-* is SinD; USA_US101, USA_Lanker,
// USA_Peach, USA_I80 are NGSIM); any other scene: its generator ("sumo", "perturb", ...).
std::string scene_source(const Scene& scene);

}  // namespace autoscale::scene
