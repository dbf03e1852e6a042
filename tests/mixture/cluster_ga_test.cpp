#include "autoscale/mixture/cluster_ga.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "autoscale/core/error.h"
#include "error_of.h"

namespace autoscale::mixture {
namespace {

const double kNaN = std::nan("");

ClusterGaOptions no_shrinkage() {
  ClusterGaOptions o;
  o.shrinkage = 0;
  return o;
}

using testing::error_of;

// Three clusters, uniform start, no shrinkage, worked by hand:
//   P = (9/10, 8/10, 14/20) = (0.9, 0.8, 0.7);  |V| = 40
//   d = (0.1·10, 0.2·10, 0.3·20)/40 = (0.025, 0.05, 0.15); mean 0.075, std sqrt(0.00875/3) = 0.0540062
//   z(d) = (−0.9258201, −0.4629100, 1.3887301)
//   a = (0.5, NaN, −0.5): mean 0, std 0.5 over the measured two -> z(a) = (1, 0, −1)
//   ĝ = z(d) + z(a) = (0.0741799, −0.4629100, 0.3887301); no f at t = 0
//   softmax(log(1/3) + 0.5 ĝ) = exp(0.0370900, −0.2314550, 0.1943651)/3.0457… = (0.3407, 0.2605, 0.3988)
//   w¹ = 0.9 · softmax + 0.1/3 = (0.3399973, 0.2677752, 0.3922275)
TEST(ClusterGa, FirstStepMatchesHandComputation) {
  const auto o = no_shrinkage();
  auto state = cluster_ga_init(o, {10, 10, 20});
  state.weights = {1.0 / 3, 1.0 / 3, 1.0 / 3};
  state.history = {state.weights};
  const auto step = cluster_ga_step(o, state, {{9, 8, 14}, {10, 10, 20}, {0.5, kNaN, -0.5}});
  const std::vector<double> P{0.9, 0.8, 0.7}, d{0.025, 0.05, 0.15};
  const std::vector<double> g{0.07417990022744869, -0.46291004988627577, 0.38873014965882735};
  const std::vector<double> w{0.33999728493906134, 0.2677751763229103, 0.3922275387380284};
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(step.cluster_pdms[k], P[k], 1e-12);
    EXPECT_NEAR(step.deficit[k], d[k], 1e-12);
    EXPECT_NEAR(step.gradient[k], g[k], 1e-9);
    EXPECT_NEAR(step.weights[k], w[k], 1e-9);
    EXPECT_EQ(step.finite_difference[k], 0.0);  // t = 0: nothing to difference yet
  }
  EXPECT_TRUE(std::isnan(step.alignment[1]));
  EXPECT_EQ(state.iteration, 1);
  EXPECT_EQ(state.weights, step.weights);
  EXPECT_EQ(state.previous_cluster_pdms, step.cluster_pdms);
  EXPECT_EQ(state.history.size(), 2u);
}

// The second step adds the finite difference f_k = (P_k¹ − P_k⁰)(log w_k¹ − log w_k⁰):
//   P¹ = (0.95, 0.7, 0.7):  f = (0.05 · log(0.34/0.3333), −0.1 · log(0.2678/0.3333), 0) = (0.00098973, 0.0218995, 0)
//   (cluster 1 lost weight and got worse: f > 0 says "give it back")
//   d = (0.0125, 0.075, 0.15) -> z(d) = (−1.1859989, −0.0741249, 1.2601238)
//   z(f) = (−0.6575358, 1.4130810, −0.7555452);  ĝ = z(d) + 0.5 z(f) = (−1.5147668, 0.6324156, 0.8823512)
TEST(ClusterGa, SecondStepAddsFiniteDifference) {
  const auto o = no_shrinkage();
  auto state = cluster_ga_init(o, {1, 1, 1});
  cluster_ga_step(o, state, {{9, 8, 14}, {10, 10, 20}, {0.5, kNaN, -0.5}});
  const auto step = cluster_ga_step(o, state, {{9.5, 7, 14}, {10, 10, 20}, {}});
  const std::vector<double> f{0.0009897320895473336, 0.021899525618942036, 0.0};
  const std::vector<double> g{-1.51476682324028, 0.6324155932823211, 0.8823512299579589};
  const std::vector<double> w{0.15957837239572834, 0.3242468656202162, 0.5161747619840555};
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(step.finite_difference[k], f[k], 1e-12);
    EXPECT_NEAR(step.gradient[k], g[k], 1e-9);
    EXPECT_NEAR(step.weights[k], w[k], 1e-9);
  }
  EXPECT_EQ(state.iteration, 2);
  // DoReMi-style average of the two produced weight vectors (w⁰ is the prior, not averaged).
  const auto avg = cluster_ga_average(state);
  EXPECT_NEAR(avg[0], (0.33999728493906134 + w[0]) / 2, 1e-9);
  EXPECT_NEAR(avg[2], (0.3922275387380284 + w[2]) / 2, 1e-9);
}

TEST(ClusterGa, ShrinksClusterPdmsTowardTheGlobalMean) {
  ClusterGaOptions o;  // m = 20
  auto state = cluster_ga_init(o, {10, 10, 20, 0});
  const auto step = cluster_ga_step(o, state, {{9, 8, 14, 0}, {10, 10, 20, 0}, {}});
  const double mean = 31.0 / 40;
  EXPECT_NEAR(step.cluster_pdms[0], (9 + 20 * mean) / 30, 1e-12);
  EXPECT_NEAR(step.cluster_pdms[2], (14 + 20 * mean) / 40, 1e-12);
  EXPECT_NEAR(step.cluster_pdms[3], mean, 1e-12);  // no scenes: the global mean
  EXPECT_EQ(step.deficit[3], 0.0);                 // and no real frequency to weigh
}

TEST(ClusterGa, WeightsStayOnTheSimplexAboveTheFloor) {
  ClusterGaOptions o;
  o.eta = 3;  // large steps push toward the corners
  const int K = 7;
  auto state = cluster_ga_init(o, {0, 5, 50, 1, 0, 200, 3});
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  for (int t = 0; t < 30; ++t) {
    ClusterFeedback f;
    for (int k = 0; k < K; ++k) {
      f.count.push_back(k * 7 % 5);
      f.pdms_sum.push_back(u(rng) * f.count.back());
      f.alignment.push_back(k == 3 ? kNaN : 2 * u(rng) - 1);
    }
    const auto step = cluster_ga_step(o, state, f);
    EXPECT_NEAR(std::accumulate(step.weights.begin(), step.weights.end(), 0.0), 1.0, 1e-12);
    for (double w : step.weights) EXPECT_GE(w, o.epsilon / K - 1e-15);
  }
  const auto avg = cluster_ga_average(state);
  EXPECT_NEAR(std::accumulate(avg.begin(), avg.end(), 0.0), 1.0, 1e-12);
}

TEST(ClusterGa, ClusterWithLargeDeficitGainsWeight) {
  ClusterGaOptions o;
  o.init = "uniform";
  auto state = cluster_ga_init(o, {100, 100, 100, 100});
  const auto before = state.weights;
  // Cluster 2 drives badly (PDMS 0.4) where the others score 0.9.
  const auto step = cluster_ga_step(o, state, {{90, 90, 40, 90}, {100, 100, 100, 100}, {}});
  EXPECT_GT(step.weights[2], before[2]);
  for (int k : {0, 1, 3}) EXPECT_LT(step.weights[k], before[k]);
}

TEST(ClusterGa, SwitchingASignalOffRemovesItsEffect) {
  ClusterGaOptions o;
  o.use_alignment = false;
  const ClusterFeedback a{{8, 9, 7}, {10, 10, 10}, {0.9, -0.9, 0.1}};
  const ClusterFeedback b{{8, 9, 7}, {10, 10, 10}, {-0.5, 0.7, kNaN}};
  const ClusterFeedback none{{8, 9, 7}, {10, 10, 10}, {}};
  auto s1 = cluster_ga_init(o, {10, 10, 10}), s2 = s1, s3 = s1;
  const auto w1 = cluster_ga_step(o, s1, a).weights, w2 = cluster_ga_step(o, s2, b).weights,
             w3 = cluster_ga_step(o, s3, none).weights;
  EXPECT_EQ(w1, w2);
  EXPECT_EQ(w1, w3);

  // With the deficit off too, only alignment moves the weights: the best-aligned cluster gains.
  o.use_alignment = true;
  o.use_deficit = false;
  auto s4 = cluster_ga_init(o, {10, 10, 10});
  const auto w4 = cluster_ga_step(o, s4, a).weights;
  EXPECT_GT(w4[0], w4[2]);
  EXPECT_GT(w4[2], w4[1]);

  // Finite difference off: the second step equals one with gamma_f = 0.
  ClusterGaOptions off, zero;
  off.use_finite_difference = false;
  zero.gamma_finite_difference = 0;
  auto s5 = cluster_ga_init(off, {10, 10, 10}), s6 = s5;
  cluster_ga_step(off, s5, a);
  cluster_ga_step(zero, s6, a);
  const ClusterFeedback next{{9, 6, 8}, {10, 10, 10}, {0.2, 0.1, 0.3}};
  EXPECT_EQ(cluster_ga_step(off, s5, next).weights, cluster_ga_step(zero, s6, next).weights);
}

TEST(ClusterGa, ConstantSignalsContributeZeroNotNan) {
  ClusterGaOptions o;
  o.init = "uniform";
  auto state = cluster_ga_init(o, {5, 5, 5});
  // Equal deficits, equal alignment: nothing to prefer; uniform stays uniform.
  const auto step = cluster_ga_step(o, state, {{4, 4, 4}, {5, 5, 5}, {0.3, 0.3, 0.3}});
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(step.gradient[k], 0.0);
    EXPECT_NEAR(step.weights[k], 1.0 / 3, 1e-15);
  }
  // Every alignment NaN: no information, no NaN in the weights.
  const auto step2 = cluster_ga_step(o, state, {{4, 3, 4}, {5, 5, 5}, {kNaN, kNaN, kNaN}});
  for (double w : step2.weights) EXPECT_TRUE(std::isfinite(w));
}

TEST(ClusterGa, ClipLimitsTheStep) {
  ClusterGaOptions o;
  o.init = "uniform";
  o.clip = 1;
  o.use_alignment = false;
  const int K = 20;
  auto state = cluster_ga_init(o, std::vector<int64_t>(K, 10));
  ClusterFeedback f{std::vector<double>(K, 9.0), std::vector<int64_t>(K, 10), {}};
  f.pdms_sum[4] = 1;  // one outlier: z = sqrt(19) = 4.36 before clipping, the others −1/sqrt(19)
  const auto step = cluster_ga_step(o, state, f);
  EXPECT_NEAR(step.gradient[4], std::sqrt(19.0), 1e-9);
  const double floor = o.epsilon / K;
  EXPECT_NEAR((step.weights[4] - floor) / (step.weights[0] - floor), std::exp(o.eta * (1 + 1 / std::sqrt(19.0))),
              1e-9);
}

TEST(ClusterGa, InitialisationFollowsValidationCountsWithAFloor) {
  ClusterGaOptions o;
  const auto s = cluster_ga_init(o, {0, 10, 30});
  // (1 − ε) n/Σn + ε/K: the empty cluster keeps ε/K, so it can still grow.
  EXPECT_NEAR(s.weights[0], 0.1 / 3, 1e-15);
  EXPECT_NEAR(s.weights[1], 0.9 * 0.25 + 0.1 / 3, 1e-15);
  EXPECT_NEAR(s.weights[2], 0.9 * 0.75 + 0.1 / 3, 1e-15);
  EXPECT_EQ(s.iteration, 0);
  ASSERT_EQ(s.history.size(), 1u);
  EXPECT_EQ(cluster_ga_average(s), s.weights);  // before any step: w⁰

  o.epsilon = 0;  // the floor stays positive even without smoothing
  EXPECT_GT(cluster_ga_init(o, {0, 10}).weights[0], 0.0);

  o.init = "uniform";
  EXPECT_EQ(cluster_ga_init(o, {0, 10, 30}).weights, std::vector<double>(3, 1.0 / 3));
}

TEST(ClusterGa, OptionsAreConfigurable) {
  const auto o = config_from_overrides<ClusterGaOptions>({"eta=0.25", "init=uniform", "use_alignment=false"});
  EXPECT_EQ(o.eta, 0.25);
  EXPECT_EQ(o.init, "uniform");
  EXPECT_FALSE(o.use_alignment);
  EXPECT_THROW(config_from_overrides<ClusterGaOptions>({"init=random"}), Error);
  EXPECT_THROW(config_from_overrides<ClusterGaOptions>({"epsilon=1.5"}), Error);
  ClusterGaOptions d;
  const auto yaml = config_to_yaml(d);
  for (const char* key : {"eta", "epsilon", "gamma_alignment", "gamma_finite_difference", "shrinkage", "clip",
                          "use_deficit", "use_alignment", "use_finite_difference", "init"}) {
    EXPECT_NE(yaml.find(key), std::string::npos) << key;
  }
}

TEST(ClusterGa, BadInputsNameTheField) {
  ClusterGaOptions o;
  auto state = cluster_ga_init(o, {10, 10, 10});
  auto err = [&](const ClusterFeedback& f) {
    auto s = state;
    return error_of([&] { cluster_ga_step(o, s, f); });
  };
  EXPECT_NE(err({{1, 2}, {10, 10, 10}, {}}).find("feedback.pdms_sum has 2 entries for 3 clusters"), std::string::npos);
  EXPECT_NE(err({{1, 2, 3}, {10, 10}, {}}).find("feedback.count has 2"), std::string::npos);
  EXPECT_NE(err({{1, 2, 3}, {10, 10, 10}, {0.1}}).find("feedback.alignment has 1"), std::string::npos);
  EXPECT_NE(err({{1, 2, 3}, {10, -1, 10}, {}}).find("feedback.count[1] = -1"), std::string::npos);
  EXPECT_NE(err({{1, kNaN, 3}, {10, 10, 10}, {}}).find("feedback.pdms_sum[1] = nan"), std::string::npos);
  EXPECT_NE(err({{1, 12, 3}, {10, 10, 10}, {}}).find("feedback.pdms_sum[1] = 12"), std::string::npos);
  EXPECT_NE(err({{1, 2, 3}, {10, 10, 10}, {0, INFINITY, 0}}).find("feedback.alignment[1] = inf"), std::string::npos);
  EXPECT_NE(err({{0, 0, 0}, {0, 0, 0}, {}}).find("feedback.count is 0"), std::string::npos);

  EXPECT_NE(error_of([&] { cluster_ga_init(o, {1, -2}); }).find("val_count_per_cluster[1] = -2"), std::string::npos);
  EXPECT_NE(error_of([&] { cluster_ga_init(o, {}); }).find("no clusters"), std::string::npos);
  auto bad = o;
  bad.init = "random";
  EXPECT_NE(error_of([&] { cluster_ga_init(bad, {1}); }).find("init = \"random\""), std::string::npos);
  auto s = state;
  s.weights = {0.5, 0.5, 0.0};
  EXPECT_NE(error_of([&] { cluster_ga_step(o, s, {{1, 2, 3}, {10, 10, 10}, {}}); }).find("state.weights[2] = 0"),
            std::string::npos);
}

}  // namespace
}  // namespace autoscale::mixture
