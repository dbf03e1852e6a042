// Per-scene summary features for comparing data sets (the real/synthetic domain gap), as
// `autoscale inspect --compare A B` prints them.
#pragma once

#include <string>
#include <vector>

#include "autoscale/store/store.h"

namespace autoscale::scene {

struct SceneFeatures {
  double speed = 0;          // ego speed at the current frame [m/s]
  double agent_density = 0;  // agents observed within 50 m of the ego at the current frame
  double curvature = 0;      // mean |heading change| per metre over the ego future [rad/m]
  double ttc = 0;            // time to reach the nearest agent ahead in the ego's path, capped at 10 s
};

SceneFeatures scene_features(const Scene& scene);

// The hand-made scene descriptor (mixture-design 4.1): ego state and command, future path
// shape, agents per class within 10/20/50 m, lead gap and relative speed, time to collision,
// junction and red-light flags. Raw values; standardise over a data set before comparing.
std::vector<float> scene_descriptor(const Scene& scene, const Map& map);
const std::vector<std::string>& descriptor_names();

// Kolmogorov-Smirnov distance between two samples: the largest gap between their CDFs.
double ks_distance(std::vector<double> a, std::vector<double> b);

// The comparison table of two stores (every scene of each).
std::string compare_stores(const SceneStore& a, const SceneStore& b);

// The domain-gap table by source (scene_source) over all scenes of `stores`: per source its
// domain, scenes, logs and the KS distance of each feature against the real scenes of every
// other source (a synthetic generator: against all real scenes, its own generator's included).
std::string domain_gap_by_source(const std::vector<const SceneStore*>& stores);

}  // namespace autoscale::scene
