// PDM-Closed (navsim-pdms.md section 6): 3 lateral offsets x 5 speed fractions of IDM driving
// along the route centerline, each simulated and scored against a constant-velocity forecast of
// the other agents; the best becomes the Ego Progress reference and a built-in planner.
#pragma once

#include <string>
#include <vector>

#include "autoscale/eval/observation.h"
#include "autoscale/eval/route_planner.h"
#include "autoscale/eval/scorer.h"
#include "autoscale/sim/simulator.h"

namespace autoscale::eval {

struct PdmClosedParams {
  std::vector<double> lateral_offsets{0.0, -1.0, 1.0};  // m; the centerline first so that ties favour it
  std::vector<double> speed_fractions{0.2, 0.4, 0.6, 0.8, 1.0};
  double fallback_speed = 15.0;  // m/s when the lane has no speed limit
  double min_gap = 1.0;          // m
  double headway = 1.5;          // s
  double max_accel = 1.5;        // m/s^2
  double max_decel = 3.0;        // m/s^2
  double accel_exponent = 10.0;
  int proposal_steps = 40;       // 4 s at 0.1 s: what is simulated and scored
  int trajectory_steps = 50;     // 5 s at 0.1 s: the chosen proposal is unrolled on to this
  int leader_update_steps = 2;   // the leading object is searched every 2nd step (0.2 s)
  double forecast_radius = 100.0;
  // The scorer that ranks the proposals: NAVSIM caches PDM-Closed with its own version's scorer
  // (v2: DDC and TLC multiply, lane keeping counts, HC = 1 since no history is passed, no EC).
  PdmsVersion scorer_version = PdmsVersion::kV1;
};

// Red lane connectors at t = 0 (PDM-Closed holds them over the horizon).
struct RedLight {
  std::string lane;
  const scene::Polygon* polygon;
};

struct PdmClosedResult {
  sim::Pose start;                        // the pose at t = 0: on the path, at the ego's projection
  std::vector<sim::Pose> trajectory;      // trajectory_steps global rear-axle poses at t = 0.1 ...
  std::vector<sim::State> simulated;      // 41 simulated states of the chosen proposal
  size_t chosen = 0;                      // proposal index (offset * fractions + fraction)
  double score = 0;
  // Every proposal, in proposal order: its proposal_steps + 1 reference poses (t = 0 first) and
  // its sub-scores from the ranking scorer.
  std::vector<std::vector<sim::Pose>> proposals;
  std::vector<SubScores> proposal_scores;
};

// `tracks`: 2 Hz annotation frames of the other agents (only their t = 0 state is used).
// `red_lights`: red lane connectors of the route; they stop the IDM like objects and, in v2,
// fail traffic-light compliance of the proposals that enter them.
PdmClosedResult pdm_closed(const sim::State& initial, const RoutePlan& route, const ScoringMap& map,
                           const std::vector<AgentTrack>& tracks, const std::vector<RedLight>& red_lights,
                           const PdmClosedParams& params = {}, const sim::SimulatorParams& sim_params = {});

// The constant-velocity forecast PDM-Closed plans against (nearest 50 vehicles, 25 pedestrians,
// 10 bicycles, 50 static objects within the radius).
std::vector<AgentTrack> forecast_tracks(const std::vector<AgentTrack>& tracks, scene::Vec2 ego_center,
                                        double radius, double horizon_s);

}  // namespace autoscale::eval
