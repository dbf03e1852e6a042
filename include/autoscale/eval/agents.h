// Built-in planners that need no training: the references every learned planner must beat.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "autoscale/eval/metric_cache.h"
#include "autoscale/scene/types.h"

namespace autoscale::eval {

class Agent {
 public:
  virtual ~Agent() = default;
  virtual std::string name() const = 0;
  // A plan in the ego frame of the scene's current rear axle.
  virtual Plan plan(const scene::Scene& scene, const MetricCache& cache) const = 0;
};

// constant_velocity | human (log replay of the recorded expert) | constant_acceleration
// (ego-status: current speed and longitudinal acceleration, straight ahead) | pdm_closed.
std::unique_ptr<Agent> make_agent(const std::string& name);
std::vector<std::string> builtin_agents();

// An agent whose plans were computed elsewhere (a learned planner run in batches): it looks the
// scene's token up; a scene without a plan cannot be scored (Error naming the token and why).
std::unique_ptr<Agent> make_precomputed_agent(std::string name, std::unordered_map<std::string, Plan> plans,
                                              std::unordered_map<std::string, std::string> missing_reasons = {});

}  // namespace autoscale::eval
