// The PDM Score of simulated ego trajectories: NAVSIM v1.1 PDMS and v2 EPDMS (one stage),
// navsim-pdms.md sections 4 and 5. Proposals are scored together because Ego Progress is
// normalised by the best progress among them (index 0 is the PDM-Closed reference).
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autoscale/eval/centerline.h"
#include "autoscale/eval/observation.h"
#include "autoscale/eval/scoring_map.h"
#include "autoscale/sim/vehicle.h"

namespace autoscale::eval {

enum class PdmsVersion { kV1, kV2 };
PdmsVersion parse_version(const std::string& text);  // "v1" | "v2"; throws Error otherwise
const char* to_string(PdmsVersion v);

struct ScorerParams {
  PdmsVersion version = PdmsVersion::kV1;
  sim::VehicleParams vehicle;
  double stopped_speed_collision = 0.05;  // m/s: ego this slow is never at fault (NC)
  double stopped_speed_ttc = 0.005;       // m/s: TTC ignores a standing ego
  double ttc_horizon_s = 1.0;             // offsets 0, 0.3, 0.6, 0.9 s
  double progress_threshold = 5.0;        // m: below it EP is 1 (small-progress rule)
  double ddc_horizon_s = 1.0;
  double ddc_thresholds[2] = {2.0, 6.0};  // m
  double lane_keeping_deviation = 0.5;    // m
  double lane_keeping_horizon_s = 2.0;
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Sub-scores of one proposal. NaN marks a metric that does not apply (EC without a previous
// frame). `progress` is the raw progress along the centerline [m].
struct SubScores {
  double nc = 1, dac = 1, ddc = 1, ttc = 1, ep = 1, c = 1;  // v1
  double tlc = 1, lk = 1, hc = 1, ec = kNaN;                // v2
  double progress = 0;
  double score = 0;
};

// Where scoring time goes (filled only when ScoringScene::timings is set; for benchmarks).
struct ScoreTimings {
  double map_queries_s = 0;  // ego footprint vs drivable area / lanes
  double collisions_s = 0;   // NC and TTC box tests
  double comfort_s = 0;
  double other_s = 0;        // DDC, progress, lane keeping, traffic lights
};

// Everything about the scene the scorer needs besides the proposals.
struct ScoringScene {
  const ScoringMap* map = nullptr;
  const Observation* observation = nullptr;  // 51 steps (v1) or 41 (v2)
  const Centerline* centerline = nullptr;
  // v2 TLC: red lane connectors per 2 Hz frame (frame k at t = 0.5 k s), each frame held for its
  // 0.5 s and the last one to the horizon (NAVSIM's sample-and-hold of its scene frames).
  std::vector<std::vector<const scene::Polygon*>> red_lights;
  std::vector<sim::State> history;                // v2 HC: logged ego states before t = 0; empty = HC 1
  ScoreTimings* timings = nullptr;
};

// Scores every proposal (41 simulated states each). The weighted score excludes EC; call
// finalize_score after setting EC (and after the human filter).
// `other_best` is the best progress x multiplier of proposals scored before (the reference), so
// that a plan can be scored alone against a cached reference with identical results.
std::vector<SubScores> score_proposals(const std::vector<std::vector<sim::State>>& proposals,
                                       const ScoringScene& scene, const ScorerParams& params, double other_best = 0.0);
// progress x multiplier of a scored proposal: what Ego Progress is normalised by.
double progress_bound(const SubScores& s, PdmsVersion version);

// The version's aggregate: v1 NC·DAC·(5 TTC + 5 EP + 2 C)/12; v2 NC·DAC·DDC·TLC·(5 EP + 5 TTC +
// 2 LK + 2 HC + 2 EC)/16, dropping EC's weight when it is NaN.
double finalize_score(SubScores& s, PdmsVersion version);

// v2 false-positive filter: every metric the logged human scores 0 on is set to 1 for the agent.
void apply_human_filter(SubScores& agent, const SubScores& human);

}  // namespace autoscale::eval
