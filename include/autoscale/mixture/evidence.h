// AutoScale v2's step rule (mixture-review §3, changes 1, 4 and 7): the search starts from the
// best static mixture (the prior), proposes one candidate inside a trust region around it, and
// replaces the prior only when paired, cross-fitted evidence says the candidate is better.
//
//   candidate  w' = (1 − τ) w⁰ + τ t          t: where the evidence points (a distribution)
//   accept     ḡ − z · SE(ḡ) > 0               ḡ: mean paired gain over independent units (logs)
//
// τ = 0 (or a rejected candidate) keeps the prior exactly. An accepted step earns the next one a
// wider trust region (τ ← min(1, τ·expand)), as trust-region methods grow the region after a
// step that paid: on T0 a fixed τ stalls once the remaining gain per step drops under 2 SEs. Nothing here is z-scored across
// clusters: a step is taken or not by its own standard error, so noise says "no change".
#pragma once

#include <cstdint>
#include <vector>

#include "autoscale/core/config.h"

namespace autoscale::mixture {

struct EvidenceOptions {
  double trust = 0.5;           // τ: share of the budget the candidate may move away from the prior
  double expand = 2.0;          // after an accepted step the next step's τ is min(1, τ·expand) (1 = fixed τ)
  double z = 2.0;               // accept only when the gain's lower bound ḡ − z·SE is above 0
  double solvable_pdms = 0.9;   // a window is solvable when the human (logged) plan scores at least this
  double failure_pdms = 0.8;    // ... and a failure when the planner scores below this
  double relevance = 1.0;       // β: weight of failure relevance against real-likeness inside a cluster

  void visit(ConfigVisitor& v);
};

// Share of `rows` in each of K clusters (rows hold cluster ids in [0, K)); all zero for no rows.
std::vector<double> cluster_histogram(const std::vector<int64_t>& cluster_of_rows, int64_t clusters);

// (1 − τ) prior + τ target, both normalised first; Error for sizes that differ, τ outside [0, 1],
// or weights that are negative, not finite or all zero.
std::vector<double> tilt(const std::vector<double>& prior, const std::vector<double>& target, double trust);

// The trust region of the step after an accepted one: min(1, τ·expand).
double grown_trust(double trust, const EvidenceOptions& options);

// Where failures are: each solvable failure window adds its headroom (human − planner PDMS) to its
// cluster; normalised to sum 1. All zero when there is no solvable failure (nothing to aim at).
struct WindowOutcome {
  int64_t cluster = 0;
  double planner_pdms = 0, human_pdms = 0;
};
std::vector<double> failure_target(const std::vector<WindowOutcome>& windows, int64_t clusters,
                                   const EvidenceOptions& options);

// Paired gains grouped by independent unit (a log: its windows move together). ḡ weights each
// unit by its windows; SE is the cluster-robust (sandwich) standard error over units with the
// small-sample factor n/(n − 1). Fewer than 2 units: SE = NaN and never accepted.
struct PairedEvidence {
  double mean = 0, se = 0, lower = 0;  // lower = ḡ − z·SE
  int64_t units = 0, windows = 0;
  bool accept = false;
};
PairedEvidence paired_evidence(const std::vector<double>& unit_gain_sum, const std::vector<int64_t>& unit_windows,
                               double z);

// A per-scene ranking key inside one cluster: the real-likeness rank plus β × the failure
// relevance rank, both as fractions in [0, 1] (ranks, so the two scales never need matching).
// β = 0 keeps the real-likeness order.
std::vector<double> blended_rank(const std::vector<double>& real_likeness, const std::vector<double>& relevance,
                                 double beta);

}  // namespace autoscale::mixture
