#include "autoscale/mixture/planted_response.h"

#include <algorithm>
#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/mixture/allocation.h"

namespace autoscale::mixture {

namespace {

constexpr int kGroups = 4;

double saturation(double n, double kappa) { return n / (n + kappa); }

}  // namespace

PlantedResponse::PlantedResponse(PlantedResponseOptions o) : options_(std::move(o)) {
  AUTOSCALE_CHECK(options_.clusters >= kGroups && options_.clusters % kGroups == 0,
                  "planted response: {} clusters; a positive multiple of 4 is needed", options_.clusters);
  AUTOSCALE_CHECK(options_.purity >= 0.5 && options_.purity <= 1, "planted response: purity {} outside [0.5, 1]",
                  options_.purity);
  AUTOSCALE_CHECK(options_.budget > 0 && options_.kappa > 0, "planted response: budget {} and kappa {} must be > 0",
                  options_.budget, options_.kappa);
  AUTOSCALE_CHECK(options_.budget <= options_.pool_per_cluster * options_.clusters / kGroups,
                  "planted response: budget {} exceeds one group's clusters ({} x {} scenes)", options_.budget,
                  options_.clusters / kGroups, options_.pool_per_cluster);
  AUTOSCALE_CHECK(options_.val_count.size() <= static_cast<size_t>(options_.clusters / kGroups),
                  "planted response: {} validation clusters but only {} per group", options_.val_count.size(),
                  options_.clusters / kGroups);
}

// Clusters are dealt to groups round-robin: cluster k is dominated by group k mod 4.
PlantedGroup PlantedResponse::dominant(int k) const { return static_cast<PlantedGroup>(k % kGroups); }

// The rest of a cluster's pool is the next group in U → N → S → H → U: H-dominated clusters
// hold some useful scenes (a lure), U-dominated ones no harmful scenes (so the oracle can avoid H).
double PlantedResponse::composition(int k, PlantedGroup g) const {
  const int d = static_cast<int>(dominant(k));
  if (static_cast<int>(g) == d) return options_.purity;
  return static_cast<int>(g) == (d + 1) % kGroups ? 1 - options_.purity : 0.0;
}

double PlantedResponse::group_share(const std::vector<int64_t>& quotas, PlantedGroup g) const {
  AUTOSCALE_CHECK(quotas.size() == static_cast<size_t>(options_.clusters), "planted response: {} quotas for {} clusters",
                  quotas.size(), options_.clusters);
  double in_g = 0, total = 0;
  for (int k = 0; k < options_.clusters; ++k) {
    in_g += static_cast<double>(quotas[static_cast<size_t>(k)]) * composition(k, g);
    total += static_cast<double>(quotas[static_cast<size_t>(k)]);
  }
  return total > 0 ? in_g / total : 0;
}

double PlantedResponse::expected(const std::vector<int64_t>& quotas) const {
  double total = 0;
  for (int64_t q : quotas) total += static_cast<double>(q);
  double pdms = options_.base;
  const double full = saturation(static_cast<double>(options_.budget), options_.kappa);
  for (int g = 0; g < kGroups; ++g) {
    const double n = total * group_share(quotas, static_cast<PlantedGroup>(g));
    pdms += options_.gain[static_cast<size_t>(g)] * saturation(n, options_.kappa) / full;
  }
  return pdms;
}

double PlantedResponse::observe(const std::vector<int64_t>& quotas, std::mt19937_64& rng) const {
  return expected(quotas) + std::normal_distribution<double>(0, options_.noise_sd)(rng);
}

double PlantedResponse::observe_paired(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                      std::mt19937_64& rng) const {
  return expected(a) - expected(b) + std::normal_distribution<double>(0, options_.paired_noise_sd)(rng);
}

std::vector<double> PlantedResponse::usefulness() const {
  std::vector<double> u(static_cast<size_t>(options_.clusters), 0.0);
  for (int k = 0; k < options_.clusters; ++k) {
    for (int g = 0; g < kGroups; ++g) {
      u[static_cast<size_t>(k)] += composition(k, static_cast<PlantedGroup>(g)) * options_.gain[static_cast<size_t>(g)];
    }
  }
  return u;
}

std::vector<double> PlantedResponse::measured_alignment(std::mt19937_64& rng) const {
  auto u = usefulness();
  double m = 0, ss = 0;
  for (double v : u) m += v / static_cast<double>(u.size());
  for (double v : u) ss += (v - m) * (v - m);
  const double spread = std::sqrt(ss / static_cast<double>(u.size()));
  std::normal_distribution<double> noise(0, options_.alignment_sd * spread);
  for (auto& v : u) v += noise(rng);
  return u;
}

std::vector<int64_t> PlantedResponse::val_counts() const {
  std::vector<int64_t> n(static_cast<size_t>(options_.clusters), options_.other_val_count);
  const auto first = static_cast<size_t>(options_.val_group);  // the group's clusters: first, first + 4, ...
  for (size_t i = 0; i < options_.val_count.size(); ++i) n[first + i * kGroups] = options_.val_count[i];
  return n;
}

std::vector<double> PlantedResponse::val_pdms_sums(const std::vector<int64_t>& quotas, std::mt19937_64& rng) const {
  const double level = observe(quotas, rng);
  std::normal_distribution<double> scene(0, 0.3);  // per-scene spread of real PDMS
  std::vector<double> sums;
  for (int64_t n : val_counts()) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += std::clamp(level + scene(rng), 0.0, 1.0);
    sums.push_back(s);
  }
  return sums;
}

std::vector<int64_t> PlantedResponse::spread_over(PlantedGroup g) const {
  std::vector<double> w(static_cast<size_t>(options_.clusters), 0.0);
  for (int k = 0; k < options_.clusters; ++k) w[static_cast<size_t>(k)] = dominant(k) == g ? 1.0 : 0.0;
  return allocate(options_.budget, w,
                  std::vector<int64_t>(static_cast<size_t>(options_.clusters), options_.pool_per_cluster));
}

std::vector<int64_t> PlantedResponse::oracle() const { return spread_over(PlantedGroup::kUseful); }
std::vector<int64_t> PlantedResponse::anti_oracle() const { return spread_over(PlantedGroup::kHarmful); }

std::vector<int64_t> PlantedResponse::random() const {
  const std::vector<double> w(static_cast<size_t>(options_.clusters), 1.0);  // equal pools: uniform
  return allocate(options_.budget, w,
                  std::vector<int64_t>(static_cast<size_t>(options_.clusters), options_.pool_per_cluster));
}

PlantedOutcome judge(const PlantedResponse& r, const std::vector<int64_t>& quotas) {
  PlantedOutcome o;
  o.share_useful = r.group_share(quotas, PlantedGroup::kUseful);
  o.share_harmful = r.group_share(quotas, PlantedGroup::kHarmful);
  const double best = r.expected(r.oracle()), chance = r.expected(r.random());
  o.regret = (best - r.expected(quotas)) / (best - chance);
  o.passed = o.share_useful >= 0.6 && o.share_harmful <= 0.05 && o.regret <= 0.3;
  return o;
}

}  // namespace autoscale::mixture
