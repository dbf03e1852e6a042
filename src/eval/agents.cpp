#include "autoscale/eval/agents.h"

#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/sim/trajectory.h"

namespace autoscale::eval {
namespace {

constexpr int kPoses = 8;         // NAVSIM's default output: 8 poses at 0.5 s
constexpr double kInterval = 0.5;

class ConstantVelocity final : public Agent {
 public:
  std::string name() const override { return "constant_velocity"; }
  Plan plan(const scene::Scene& s, const MetricCache& cache) const override {
    const double v = std::hypot(cache.initial().vx, cache.initial().vy);
    Plan p{kInterval, {}};
    for (int k = 1; k <= kPoses; ++k) p.poses.push_back({v * k * kInterval, 0.0, 0.0});
    return p;
  }
};

class ConstantAcceleration final : public Agent {
 public:
  std::string name() const override { return "constant_acceleration"; }
  Plan plan(const scene::Scene& s, const MetricCache& cache) const override {
    const double v = cache.initial().vx, a = cache.initial().ax;
    // Braking stops the car; it never reverses.
    const double t_stop = a < 0 ? -v / a : INFINITY;
    Plan p{kInterval, {}};
    for (int k = 1; k <= kPoses; ++k) {
      const double t = std::min(k * kInterval, t_stop);
      p.poses.push_back({std::max(0.0, v * t + 0.5 * a * t * t), 0.0, 0.0});
    }
    return p;
  }
};

class Human final : public Agent {
 public:
  std::string name() const override { return "human"; }
  Plan plan(const scene::Scene& s, const MetricCache& cache) const override {
    const int c = s.current_index();
    AUTOSCALE_CHECK(s.num_future() >= 5, "scene {}: the human agent needs a recorded future (has {} steps)", s.token,
                    s.num_future());
    std::vector<sim::Pose> global;
    for (int k = 5; k <= std::min(40, s.num_future()); k += 5) {
      global.push_back({s.ego[c + k].x, s.ego[c + k].y, s.ego[c + k].heading});
    }
    return {kInterval, sim::absolute_to_relative(cache.initial().pose(), global)};
  }
};

class PdmClosed final : public Agent {
 public:
  std::string name() const override { return "pdm_closed"; }
  Plan plan(const scene::Scene& s, const MetricCache& cache) const override { return cache.reference_plan(); }
};

class Precomputed final : public Agent {
 public:
  Precomputed(std::string name, std::unordered_map<std::string, Plan> plans,
              std::unordered_map<std::string, std::string> missing)
      : name_(std::move(name)), plans_(std::move(plans)), missing_(std::move(missing)) {}
  std::string name() const override { return name_; }
  Plan plan(const scene::Scene& s, const MetricCache&) const override {
    const auto it = plans_.find(s.token);
    if (it != plans_.end()) return it->second;
    const auto why = missing_.find(s.token);
    AUTOSCALE_THROW("scene {}: {} has no plan for it{}", s.token, name_, why == missing_.end() ? "" : ": " + why->second);
  }

 private:
  std::string name_;
  std::unordered_map<std::string, Plan> plans_;
  std::unordered_map<std::string, std::string> missing_;
};

}  // namespace

std::unique_ptr<Agent> make_precomputed_agent(std::string name, std::unordered_map<std::string, Plan> plans,
                                              std::unordered_map<std::string, std::string> missing_reasons) {
  return std::make_unique<Precomputed>(std::move(name), std::move(plans), std::move(missing_reasons));
}

std::vector<std::string> builtin_agents() { return {"constant_velocity", "constant_acceleration", "human", "pdm_closed"}; }

std::unique_ptr<Agent> make_agent(const std::string& name) {
  if (name == "constant_velocity") return std::make_unique<ConstantVelocity>();
  if (name == "constant_acceleration") return std::make_unique<ConstantAcceleration>();
  if (name == "human") return std::make_unique<Human>();
  if (name == "pdm_closed") return std::make_unique<PdmClosed>();
  AUTOSCALE_THROW("--agent: unknown agent {} (built-in: constant_velocity, constant_acceleration, human, pdm_closed)",
                  quote(name));
}

}  // namespace autoscale::eval
