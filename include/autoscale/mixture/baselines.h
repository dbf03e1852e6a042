// Selection and weighting baselines of the main table (mixture-design 5.3, rows 2 and 4-9).
// Each is a pure, deterministic function of its inputs and a seed, so a baseline run can be
// repeated exactly. Embeddings are row-major n x dim float matrices, as in Embeddings::z.
//
//   row 2  vanilla co-training    random_subset of the synthetic pool
//   row 4  stratified by cluster  stratified_weights, then allocate()
//   row 5  DSIR-style             importance_resample (kNN density ratio, Gumbel top-k)
//   row 6  "most real-like"       most_real_like (logistic-regression domain classifier)
//   row 7  DoReMi-cluster         doremi_step (group DRO on excess loss, averaged weights)
//   row 8  DoGE-cluster (OOD)     cluster_ga_step with only the alignment signal switched on
//   row 9  ODM-cluster            Exp3 (bandit over clusters, reward = training loss)
#pragma once

#include <cstdint>
#include <vector>

#include "autoscale/core/config.h"

namespace autoscale::mixture {

// min(n, |pool_rows|) distinct entries of pool_rows, uniformly at random without replacement,
// in the order drawn.
std::vector<int64_t> random_subset(const std::vector<int64_t>& pool_rows, int64_t n, uint64_t seed);

// Uniform weights 1/K: stratified sampling, which mixing methods often fail to beat (Aioli).
std::vector<double> stratified_weights(int64_t clusters);

// DSIR with embeddings instead of hashed n-grams: log of the density ratio p_real(z)/q_syn(z) at
// every synthetic row, from k-nearest-neighbour distances (exact L2 search):
//   log w_i = log(k_r/k_s) + log((N_syn − 1)/N_real) + dim · (log r_syn(i) − log r_real(i))
// with r_real(i) the distance to the k_r-th nearest real row and r_syn(i) to the k_s-th nearest
// other synthetic row (k_r = min(k, N_real), k_s = min(k, N_syn − 1)). In high dimension the
// weights are very peaked, so the resampling below is close to a deterministic top-n.
std::vector<double> importance_log_weights(const std::vector<float>& real_z, const std::vector<float>& syn_z, int dim,
                                           int k = 10);

// n synthetic rows (indices into syn_z) drawn without replacement with probability ∝ w_i:
// Gumbel top-k, i.e. the n largest log w_i + G_i with G_i ~ Gumbel(0, 1) from the seed. In order
// of that key, highest first.
std::vector<int64_t> importance_resample(const std::vector<float>& real_z, const std::vector<float>& syn_z, int dim,
                                         int64_t n, uint64_t seed, int k = 10);

// Domain classifier: logistic regression of "real" (1) against "synthetic" (0) on the embeddings,
// standardised per dimension over both sets, with the two classes weighted equally and an L2
// penalty λ = 0.01 on the coefficients (not the bias); 300 full-batch accelerated gradient steps
// from zero, step 1/L. Returns P(real | z) of every synthetic row.
std::vector<double> domain_classifier_scores(const std::vector<float>& real_z, const std::vector<float>& syn_z,
                                             int dim);

// The n synthetic rows (indices into syn_z) with the highest P(real | z), highest first. The fit
// is deterministic; the seed only orders rows with equal scores.
std::vector<int64_t> most_real_like(const std::vector<float>& real_z, const std::vector<float>& syn_z, int dim,
                                    int64_t n, uint64_t seed);

// The n indices with the highest score, highest first; the seed orders equal scores (how
// most_real_like ranks, so a method that nests the domain classifier reproduces it exactly).
std::vector<int64_t> top_scored(const std::vector<double>& score, int64_t n, uint64_t seed);

// DoReMi with clusters as domains (group DRO on excess loss, Xie et al. 2023), per update:
//   λ_k   = max(excess_loss_k, 0)
//   α     = (1 − ε) softmax(log α + η λ) + ε/K
//   ᾱ     = mean of the α of every update so far (the output DoReMi reports)
// excess_loss_k should be the cluster's mean over samples of max(ℓ_proxy − ℓ_reference, 0): DoReMi
// clips each sample before averaging, which only the caller can do.
struct DoremiOptions {
  double eta = 1.0;       // DoReMi's reweight_eta
  double epsilon = 1e-4;  // DoReMi's reweight_eps

  void visit(ConfigVisitor& v);
};

struct DoremiState {
  int64_t steps = 0;
  std::vector<double> weights;  // α (the reference weights before any update)
  std::vector<double> average;  // ᾱ (α before any update)
};

// Starts from `initial` normalised to sum 1 (DoReMi recommends weights ∝ domain size).
DoremiState doremi_init(const std::vector<double>& initial);
// One update; returns the new α.
const std::vector<double>& doremi_step(const DoremiOptions& options, DoremiState& state,
                                       const std::vector<double>& excess_loss);

// Online Data Mixing (Albalak et al. 2023): an EXP3 bandit over clusters whose reward is the
// training loss of the cluster just sampled (a high loss means more left to learn). After the
// t-th update, t ≥ 1:
//   r = loss / reward_scale ;  R̂_k += r / π_k           (importance-weighted, sampled cluster only)
//   ε_t = min(1/K, sqrt(ln K / (K t)))                    (exploration rate; ε_0 = 1/K)
//   π_k = (1 − K ε_t) softmax(ε_{t−1} R̂)_k + ε_t
// π starts uniform and stays so until ε_t falls below 1/K (t > K ln K).
struct Exp3 {
  double reward_scale = 10;               // ODM divides the loss by 10
  int64_t steps = 0;                      // t
  std::vector<double> cumulative_reward;  // R̂
  std::vector<double> probabilities;      // π, the sampling distribution for the next batch

  explicit Exp3(int64_t clusters, double reward_scale = 10);

  // One observed training loss of `cluster`, sampled with the current probabilities.
  void update(int64_t cluster, double loss);
  // The cluster whose cumulative probability interval holds u in [0, 1).
  int64_t sample(double u) const;
  static double exploration(int64_t clusters, int64_t t);  // ε_t
};

}  // namespace autoscale::mixture
