// Testbed T0 (mixture-review §4): update rules on a planted response with a known answer.
#include "autoscale/mixture/planted_response.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "autoscale/core/error.h"
#include "autoscale/mixture/allocation.h"
#include "autoscale/mixture/cluster_ga.h"
#include "autoscale/mixture/evidence.h"

namespace autoscale::mixture {
namespace {

constexpr int kRuns = 200;
constexpr int kIterations = 4;

std::vector<int64_t> pools(const PlantedResponse& r) {
  return std::vector<int64_t>(static_cast<size_t>(r.clusters()), r.options().pool_per_cluster);
}

// Today's Cluster-GA (v1) with its default options, T iterations of proxy feedback, averaged.
std::vector<int64_t> run_cluster_ga_v1(const PlantedResponse& r, std::mt19937_64& rng) {
  const ClusterGaOptions options;
  auto state = cluster_ga_init(options, r.val_counts());
  for (int t = 0; t < kIterations; ++t) {
    const auto quotas = allocate(r.options().budget, state.weights, pools(r));
    cluster_ga_step(options, state, {r.val_pdms_sums(quotas, rng), r.val_counts(), r.measured_alignment(rng)});
  }
  return allocate(r.options().budget, cluster_ga_average(state), pools(r));
}

// A plain evidence rule: average the T alignment measurements, spread the budget over the K/4
// clusters that measure best. It shows the testbed can be passed from its noisy signals.
std::vector<int64_t> run_top_alignment(const PlantedResponse& r, std::mt19937_64& rng) {
  std::vector<double> mean(static_cast<size_t>(r.clusters()), 0.0);
  for (int t = 0; t < kIterations; ++t) {
    const auto a = r.measured_alignment(rng);
    for (size_t k = 0; k < mean.size(); ++k) mean[k] += a[k] / kIterations;
  }
  std::vector<double> sorted = mean;
  std::sort(sorted.rbegin(), sorted.rend());
  const double cut = sorted[static_cast<size_t>(r.clusters() / 4 - 1)];
  std::vector<double> w(mean.size());
  for (size_t k = 0; k < mean.size(); ++k) w[k] = mean[k] >= cut ? 1.0 : 0.0;
  return allocate(r.options().budget, w, pools(r));
}

// AutoScale v2's step rule on T0, as the loop runs it (loop.v2 defaults: 3 rounds, the first
// rejected step ends the search, an accepted one grows the next step's trust region): from an
// uninformative prior (real-likeness carries no signal here), each round proposes the tilt toward
// the K/4 clusters whose averaged alignment is best and takes it only if the paired proxy gain
// clears z standard errors. The target signal stands in for v2's failure target; the evidence
// gate and the step sizes are v2's own.
constexpr int kV2Rounds = 3;  // loop.v2.rounds

std::vector<int64_t> run_evidence_v2(const PlantedResponse& r, std::mt19937_64& rng, const EvidenceOptions& ev) {
  const size_t K = static_cast<size_t>(r.clusters());
  std::vector<double> w(K, 1.0 / static_cast<double>(K)), mean(K, 0.0);
  double trust = ev.trust;
  for (int t = 0; t < kV2Rounds; ++t) {
    const auto a = r.measured_alignment(rng);
    for (size_t k = 0; k < K; ++k) mean[k] += (a[k] - mean[k]) / (t + 1);
    std::vector<double> sorted = mean;
    std::sort(sorted.rbegin(), sorted.rend());
    std::vector<double> target(K);
    for (size_t k = 0; k < K; ++k) target[k] = mean[k] >= sorted[K / 4 - 1] ? 1.0 : 0.0;
    const auto candidate = tilt(w, target, trust);
    const auto q_prior = allocate(r.options().budget, w, pools(r));
    const auto q_candidate = allocate(r.options().budget, candidate, pools(r));
    const double gain = r.observe_paired(q_candidate, q_prior, rng);
    if (gain - ev.z * r.options().paired_noise_sd <= 0) break;
    w = candidate;
    trust = grown_trust(trust, ev);
  }
  return allocate(r.options().budget, w, pools(r));
}

template <typename Method>
double pass_rate(const PlantedResponse& r, Method method, const char* name) {
  int passed = 0;
  double share_u = 0, share_h = 0, regret = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(1000 + run);
    const auto o = judge(r, method(r, rng));
    passed += o.passed, share_u += o.share_useful / kRuns, share_h += o.share_harmful / kRuns, regret += o.regret / kRuns;
  }
  std::printf("T0 %-14s val in %-7s: passed %3d/%d, mean share U %.3f, share H %.3f, regret %.2f\n", name,
              r.options().val_group == PlantedGroup::kUseful ? "useful" : "neutral", passed, kRuns, share_u, share_h,
              regret);
  return static_cast<double>(passed) / kRuns;
}

TEST(PlantedResponse, ReferenceMixturesHaveTheKnownAnswer) {
  const PlantedResponse r({});
  EXPECT_NEAR(r.expected(std::vector<int64_t>(16, 0)), 0.80, 1e-12);
  const double oracle = r.expected(r.oracle()), chance = r.expected(r.random()), anti = r.expected(r.anti_oracle());
  std::printf("T0 expected PDMS: oracle %.4f, random %.4f, anti-oracle %.4f\n", oracle, chance, anti);
  EXPECT_GE(oracle - chance, 0.03);  // the planted gaps, wide enough to rank update rules
  EXPECT_GE(chance - anti, 0.02);
  EXPECT_NEAR(r.group_share(r.oracle(), PlantedGroup::kUseful), 0.8, 1e-12);
  EXPECT_NEAR(r.group_share(r.oracle(), PlantedGroup::kHarmful), 0.0, 1e-12);
  EXPECT_NEAR(r.group_share(r.random(), PlantedGroup::kUseful), 0.25, 1e-12);
  EXPECT_TRUE(judge(r, r.oracle()).passed);
  EXPECT_FALSE(judge(r, r.random()).passed);
  EXPECT_NEAR(judge(r, r.random()).regret, 1.0, 1e-12);
  // Usefulness ranks the groups U > N > S > H.
  const auto u = r.usefulness();
  EXPECT_GT(u[0], u[1]);
  EXPECT_GT(u[1], u[2]);
  EXPECT_GT(u[2], u[3]);
  PlantedResponseOptions bad;
  bad.clusters = 10;
  EXPECT_THROW(PlantedResponse{bad}, Error);
}

TEST(PlantedResponse, SameSeedSameMeasurements) {
  const PlantedResponse r({});
  std::mt19937_64 a(3), b(3);
  EXPECT_EQ(r.measured_alignment(a), r.measured_alignment(b));
  EXPECT_EQ(r.val_pdms_sums(r.random(), a), r.val_pdms_sums(r.random(), b));
}

TEST(PlantedResponse, AnEvidenceRulePassesWhereValidationMisleads) {
  PlantedResponseOptions o;
  o.val_group = PlantedGroup::kNeutral;
  const PlantedResponse r(o);
  EXPECT_GE(pass_rate(r, run_top_alignment, "top-alignment"), 0.8);
}

// v2's rule uses cross-fitted feedback, not a val log, so what validation covers does not matter.
// With a fixed trust region (expand 1) it passes in under half of the 200 runs: after one or two
// accepted steps the next half-step gains less than two paired SEs and is refused, so the U share
// stalls under the pass line of 0.6. Growing the region after each accepted step (the default,
// expand 2: τ 0.5 then 1) passes in 89%. Where its target signal is pure noise the evidence gate
// refuses the steps that do not pay: no loss against its prior.
TEST(PlantedResponse, EvidenceGatedV2PassesAndHoldsOnNoise) {
  PlantedResponseOptions o;
  o.val_group = PlantedGroup::kNeutral;
  const PlantedResponse r(o);
  const EvidenceOptions defaults;
  EXPECT_GE(pass_rate(r, [&](const auto& x, auto& rng) { return run_evidence_v2(x, rng, defaults); }, "evidence-v2"),
            0.8);
  EvidenceOptions fixed;
  fixed.expand = 1;
  EXPECT_LT(pass_rate(r, [&](const auto& x, auto& rng) { return run_evidence_v2(x, rng, fixed); }, "v2 fixed 0.5"),
            0.5);
  o.alignment_sd = 1e6;  // the target points anywhere
  const PlantedResponse noise(o);
  double pdms = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::mt19937_64 rng(5000 + run);
    pdms += noise.expected(run_evidence_v2(noise, rng, defaults)) / kRuns;
  }
  std::printf("T0 evidence-v2 on a noise target: mean expected PDMS %.4f (random %.4f, anti-oracle %.4f)\n", pdms,
              noise.expected(noise.random()), noise.expected(noise.anti_oracle()));
  EXPECT_GE(pdms, noise.expected(noise.random()) - 0.003);
}

// The guard the testbed exists for: Cluster-GA v1 follows its validation-proportional prior.
// Where validation sees scene types synthetic data cannot help (the parking-lot val log of
// compare-real), it puts the budget there and fails T0; where validation happens to sit on the
// useful types it passes. An update rule that replaces v1 must pass both (issue 16).
TEST(PlantedResponse, ClusterGaV1FailsWhenValidationMisleads) {
  PlantedResponseOptions o;
  o.val_group = PlantedGroup::kNeutral;
  EXPECT_LT(pass_rate(PlantedResponse(o), run_cluster_ga_v1, "cluster-ga-v1"), 0.2);
  o.val_group = PlantedGroup::kUseful;
  EXPECT_GE(pass_rate(PlantedResponse(o), run_cluster_ga_v1, "cluster-ga-v1"), 0.8);
}

}  // namespace
}  // namespace autoscale::mixture
