// Cluster-GA (mixture-design 4.4): exponentiated gradient ascent of the synthetic-cluster
// mixture weights w on the simplex, driven by closed-loop PDMS feedback on real validation scenes.
//
// At outer iteration t, with P̄ the mean PDMS of every validation scene and m the shrinkage:
//
//   P_k  = (Σ_{v∈V_k} PDMS_v + m P̄) / (|V_k| + m)         per-cluster PDMS, shrunk to P̄
//   d_k  = (1 − P_k) |V_k| / |V|                           deficit × frequency in real data
//   a_k  = cos(g_k, g_val)                                 gradient alignment (measured by the trainer)
//   f_k  = (P_k^t − P_k^{t−1}) (log w_k^t − log w_k^{t−1})  finite difference, t ≥ 1 only
//   ĝ_k  = z(d_k) + γ_a z(a_k) + γ_f z(f_k)                z = standardised across clusters
//   log w̃_k = log w_k^t + η clip(ĝ_k, −c, c)
//   w^{t+1} = (1 − ε) softmax(log w̃) + ε/K
//
// Torch-free: the trainer measures a_k and the evaluator the per-scene PDMS; this file only
// turns those numbers into weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autoscale/core/config.h"

namespace autoscale::mixture {

struct ClusterGaOptions {
  double eta = 0.5;                     // η: step size on standardised signals
  double epsilon = 0.1;                 // ε: share mixed toward uniform, so every w_k ≥ ε/K
  double gamma_alignment = 1.0;         // γ_a
  double gamma_finite_difference = 0.5; // γ_f (0 at t = 0 regardless)
  double shrinkage = 20;                // m: pseudo-scenes at the global mean per cluster
  double clip = 3;                      // |ĝ_k| limit before the step
  bool use_deficit = true, use_alignment = true, use_finite_difference = true;  // ablation switches
  std::string init = "val_proportional";  // val_proportional | uniform

  void visit(ConfigVisitor& v);
};

// What one outer iteration measured, per cluster (all vectors have K entries).
struct ClusterFeedback {
  std::vector<double> pdms_sum;  // Σ PDMS_v over the cluster's real validation scenes
  std::vector<int64_t> count;    // |V_k|: real validation scenes of the cluster
  // cos(g_k, g_val) per cluster; empty = not measured; NaN for a cluster without samples.
  std::vector<double> alignment;
};

struct ClusterGaState {
  int64_t iteration = 0;                     // t: steps taken so far
  std::vector<double> weights;               // w^t, the mixture the current model was trained on
  std::vector<double> previous_weights;      // w^{t−1} (empty at t = 0)
  std::vector<double> previous_cluster_pdms; // P^{t−1} (empty at t = 0)
  std::vector<std::vector<double>> history;  // w^0 … w^t, for averaging and reports
};

// One step's signals, per cluster, for logs and reports.
struct ClusterGaStep {
  std::vector<double> cluster_pdms;       // P_k
  std::vector<double> deficit;            // d_k
  std::vector<double> alignment;          // a_k as given; NaN where not measured
  std::vector<double> finite_difference;  // f_k; 0 at t = 0
  std::vector<double> gradient;           // ĝ_k before clipping (switched-off signals excluded)
  std::vector<double> weights;            // w^{t+1}
};

// w^0 for K = val_count_per_cluster.size() clusters: proportional to the real validation counts
// (the real scene-type distribution) mixed with a floor, or uniform.
ClusterGaState cluster_ga_init(const ClusterGaOptions& options, const std::vector<int64_t>& val_count_per_cluster);

// Scores the feedback of the model trained on state.weights and moves the state to t + 1:
// weights ← w^{t+1}, previous_* ← this iteration's w^t and P^t, history gains w^{t+1}.
// Throws Error naming the field and value for mismatched sizes, non-finite values, negative
// counts or sums outside [0, count].
ClusterGaStep cluster_ga_step(const ClusterGaOptions& options, ClusterGaState& state, const ClusterFeedback& feedback);

// DoReMi-style output: the mean of the weights produced by the steps, (1/T) Σ_{t=1..T} w^t
// (the initial weights are a prior, not a result, as in DoReMi); w^0 before any step.
std::vector<double> cluster_ga_average(const ClusterGaState& state);

}  // namespace autoscale::mixture
