// PDM-Closed as a pseudo-expert: the future a scene's ego would drive from its current state,
// for synthetic scenes whose recorded future no longer applies (perturbed starts).
#pragma once

#include <memory>
#include <vector>

#include "autoscale/eval/metric_cache.h"
#include "autoscale/scene/types.h"

namespace autoscale::eval {

struct PseudoExpert {
  std::vector<scene::EgoState> future;  // future_steps (<= 40) states at 0.1 s after the current one
  SubScores scores;                     // the pseudo-expert's own PDM Score in the scene
};

// Throws Error naming the token when PDM-Closed cannot plan (no route near the ego).
PseudoExpert label_with_pdm_closed(const scene::Scene& scene, std::shared_ptr<const scene::Map> map,
                                   const EvalOptions& options, int future_steps);

}  // namespace autoscale::eval
