#include "autoscale/eval/pseudo_expert.h"


#include "autoscale/core/error.h"

namespace autoscale::eval {

PseudoExpert label_with_pdm_closed(const scene::Scene& s, std::shared_ptr<const scene::Map> map,
                                   const EvalOptions& options, int future_steps) {
  const auto cache = MetricCache::build(inputs_from_scene(s, std::move(map)), options);
  // The label is PDM-Closed's plan as the LQR tracker and bicycle model drive it from the
  // actual (perturbed) state: it starts where the ego is and is kinematically feasible, where
  // the raw plan starts on the centerline.
  const auto& states = cache.reference_states();
  AUTOSCALE_CHECK(future_steps >= 1 && future_steps < static_cast<int>(states.size()),
                  "scene {}: a pseudo-expert future of {} steps; the simulation gives at most {}", s.token,
                  future_steps, states.size() - 1);
  PseudoExpert out;
  out.scores = cache.score(cache.reference_plan()).scores;
  for (int k = 1; k <= future_steps; ++k) {
    const sim::State& st = states[k];
    out.future.push_back({st.x, st.y, st.heading, st.vx, 0.0, st.ax, st.vx * st.yaw_rate});
  }
  return out;
}

}  // namespace autoscale::eval
