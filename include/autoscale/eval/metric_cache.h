// A scene prepared for scoring plans, as NAVSIM's metric cache: the initial ego state, the
// corrected route and centerline, the scorer's map and observation, and the PDM-Closed
// reference that Ego Progress is normalised by. Built once per scene; scoring a plan against
// it is the hot path (simulate + score two proposals).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "autoscale/eval/observation.h"
#include "autoscale/eval/pdm_closed.h"
#include "autoscale/eval/route_planner.h"
#include "autoscale/eval/scorer.h"
#include "autoscale/eval/scoring_map.h"
#include "autoscale/scene/types.h"
#include "autoscale/sim/simulator.h"

namespace autoscale::eval {

struct EvalOptions {
  PdmsVersion version = PdmsVersion::kV1;
  bool human_filter = true;  // v2 only, real scenes with a logged future
  // NAVSIM's ego is always the Pacifica. Scenes whose expert is another recorded vehicle (NGSIM,
  // SUMO) can be scored with that vehicle's own size instead ("recorded").
  bool recorded_ego_size = false;
  sim::SimulatorParams sim;
  PdmClosedParams pdm_closed;
};

// A plan in the ego frame at t = 0: poses at interval, 2 * interval, ...
struct Plan {
  double interval = 0.5;
  std::vector<sim::Pose> poses;
};

// Everything a scene contributes, independent of where it came from (store scene or case file).
struct SceneInputs {
  std::string token;
  sim::State initial;
  double ego_length = 0, ego_width = 0;      // recorded size (0 = unknown)
  std::shared_ptr<const scene::Map> map;
  std::vector<std::string> route;
  std::vector<AgentTrack> tracks;            // 2 Hz frames from t = 0
  std::vector<scene::TrafficLight> lights;   // at t = 0, with their future states when known
  std::vector<sim::State> history;           // v2 history comfort: history_states() of the logged past
                                             // (empty: no history, HC = 1)
  std::optional<Plan> reference;             // given progress reference (else PDM-Closed plans one)
  std::optional<Plan> human;                 // the logged future (v2 human filter)
};

// One scored plan: its sub-scores and the simulated states (for two-frame comfort).
struct PlanScore {
  SubScores scores;
  std::vector<sim::State> simulated;
};

class MetricCache {
 public:
  MetricCache(MetricCache&&) = default;
  MetricCache& operator=(MetricCache&&) = default;
  MetricCache(const MetricCache&) = delete;  // red_lights_ points into map_
  MetricCache& operator=(const MetricCache&) = delete;

  // Throws Error naming the token when the scene cannot be scored (no lanes near the ego, ...).
  static MetricCache build(SceneInputs inputs, const EvalOptions& options);

  // `timings` (optional) accumulates where the time goes, simulation included.
  PlanScore score(const Plan& plan, ScoreTimings* timings = nullptr, double* simulate_s = nullptr) const;

  const std::string& token() const { return inputs_.token; }
  const sim::State& initial() const { return inputs_.initial; }
  const RoutePlan& route() const { return route_; }
  const ScoringMap& scoring_map() const { return map_; }
  // The PDM-Closed plan (or the given reference) in the ego frame, 0.1 s apart.
  Plan reference_plan() const;
  // The reference as the simulator drives it from the actual initial state (41 states, 0.1 s).
  const std::vector<sim::State>& reference_states() const { return reference_simulated_; }
  const EvalOptions& options() const { return options_; }

 private:
  MetricCache() = default;
  std::vector<sim::State> simulate_plan(const Plan& plan) const;

  SceneInputs inputs_;
  EvalOptions options_;
  RoutePlan route_;
  ScoringMap map_;
  Observation observation_;
  std::vector<std::vector<const scene::Polygon*>> red_lights_;  // per 2 Hz frame, see ScoringScene
  std::vector<sim::Pose> reference_global_;  // 0.1 s apart from t = 0.1
  std::vector<sim::State> reference_simulated_;
  double reference_bound_ = 0.0;  // the reference's progress x multiplier, for EP normalisation
  std::optional<SubScores> human_scores_;
};

// Inputs of a stored scene at its current frame.
SceneInputs inputs_from_scene(const scene::Scene& scene, std::shared_ptr<const scene::Map> map);

}  // namespace autoscale::eval
