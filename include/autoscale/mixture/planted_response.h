// Testbed T0 (mixture-review §4): a planted, known-answer response of test PDMS to a synthetic
// mixture, for testing mixture update rules in milliseconds, without training.
//
// K clusters, each dominated (at `purity`) by one of four groups, the rest of the next group:
//   U useful (+0.06 at the full budget), N neutral (0), S shifted (−0.01), H harmful (−0.08).
// A mixture with n_g scenes of group g scores
//   PDMS = base + Σ_g β_g · s(n_g) / s(B),   s(n) = n / (n + κ)   (diminishing returns)
// so the whole budget B in one group yields base + β_g. The validation logs see only a few
// clusters of one group (val ≠ test, as on real data); proxies observe the response plus
// N(0, noise_sd²); alignment is each cluster's true usefulness plus N(0, alignment_sd²).
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

namespace autoscale::mixture {

enum class PlantedGroup : int { kUseful = 0, kNeutral = 1, kShifted = 2, kHarmful = 3 };

struct PlantedResponseOptions {
  int clusters = 16;                  // K, a multiple of 4: K/4 clusters dominated by each group
  double purity = 0.8;                // share of a cluster's pool in its dominant group (≥ 0.5)
  std::array<double, 4> gain = {0.06, 0.0, -0.01, -0.08};  // β_U, β_N, β_S, β_H at the full budget
  double base = 0.80;                 // PDMS with no synthetic data
  double kappa = 100;                 // κ: half-saturation of a group's benefit [scenes]
  int64_t budget = 400;               // B: synthetic scenes in the mixture
  int64_t pool_per_cluster = 300;     // scenes a cluster can give
  std::vector<int64_t> val_count = {60, 40};  // validation scenes in the first clusters of val_group
  PlantedGroup val_group = PlantedGroup::kUseful;  // kNeutral: val covers scene types data cannot help
  int64_t other_val_count = 0;        // validation scenes in every other cluster (0: val ≠ test)
  double noise_sd = 0.03;             // proxy-to-proxy noise of an observed PDMS
  // Noise of a paired difference of two proxies trained with the same seed on the same windows
  // (common random numbers cancel most of noise_sd; the real benchmark's paired out-of-fold SEs
  // are 0.001–0.005).
  double paired_noise_sd = 0.005;
  double alignment_sd = 1.0;          // noise of a measured alignment, in units of the true spread
};

class PlantedResponse {
 public:
  explicit PlantedResponse(PlantedResponseOptions options);

  const PlantedResponseOptions& options() const { return options_; }
  int clusters() const { return options_.clusters; }
  PlantedGroup dominant(int cluster) const;
  // Share of cluster k's pool in group g.
  double composition(int cluster, PlantedGroup g) const;

  // Expected test PDMS of a mixture with these per-cluster quotas (exact, no noise).
  double expected(const std::vector<int64_t>& quotas) const;
  // A proxy's measurement: expected() plus N(0, noise_sd²).
  double observe(const std::vector<int64_t>& quotas, std::mt19937_64& rng) const;
  // A paired measurement of expected(a) − expected(b) plus N(0, paired_noise_sd²).
  double observe_paired(const std::vector<int64_t>& a, const std::vector<int64_t>& b, std::mt19937_64& rng) const;
  // Per-cluster true usefulness Σ_g composition · β_g, and a noisy measurement of it.
  std::vector<double> usefulness() const;
  std::vector<double> measured_alignment(std::mt19937_64& rng) const;
  // Validation scenes per cluster, and a proxy's per-cluster sum of their PDMS (each scene at
  // the observed response plus per-scene noise, clamped to [0, 1]).
  std::vector<int64_t> val_counts() const;
  std::vector<double> val_pdms_sums(const std::vector<int64_t>& quotas, std::mt19937_64& rng) const;

  // Share of the budget that lands in group g.
  double group_share(const std::vector<int64_t>& quotas, PlantedGroup g) const;
  // Reference mixtures: the budget spread over the U-dominated clusters (oracle), over the
  // H-dominated ones (anti-oracle), and proportional to the pool (random).
  std::vector<int64_t> oracle() const;
  std::vector<int64_t> anti_oracle() const;
  std::vector<int64_t> random() const;

 private:
  std::vector<int64_t> spread_over(PlantedGroup g) const;
  PlantedResponseOptions options_;
};

// How a method's final mixture fares on T0 (mixture-review §4 pass rule).
struct PlantedOutcome {
  double share_useful = 0, share_harmful = 0;
  double regret = 0;  // (oracle − method) / (oracle − random), expected PDMS; ≤ 0.3 passes
  bool passed = false;  // share_useful ≥ 0.6, share_harmful ≤ 0.05, regret ≤ 0.3
};
PlantedOutcome judge(const PlantedResponse& response, const std::vector<int64_t>& quotas);

}  // namespace autoscale::mixture
