#include "autoscale/mixture/baselines.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "autoscale/core/error.h"
#include "error_of.h"

namespace autoscale::mixture {
namespace {

using testing::error_of;

// n 2-D points around (cx, cy) with Gaussian noise of `sd`, appended to `out`.
void blob(std::vector<float>& out, int n, double cx, double cy, double sd, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, sd);
  for (int i = 0; i < n; ++i) {
    out.push_back(static_cast<float>(cx + g(rng)));
    out.push_back(static_cast<float>(cy + g(rng)));
  }
}

TEST(RandomSubset, DistinctDeterministicAndSeeded) {
  std::vector<int64_t> pool(100);
  std::iota(pool.begin(), pool.end(), 1000);
  const auto a = random_subset(pool, 30, 5), b = random_subset(pool, 30, 5), c = random_subset(pool, 30, 6);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 30u);
  const std::set<int64_t> unique(a.begin(), a.end());
  EXPECT_EQ(unique.size(), 30u);
  for (int64_t r : a) EXPECT_TRUE(r >= 1000 && r < 1100);
  // Asking for more than the pool returns all of it, shuffled.
  auto all = random_subset(pool, 1000, 5);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, pool);
  EXPECT_TRUE(random_subset(pool, 0, 5).empty());
  EXPECT_NE(error_of([&] { random_subset(pool, -1, 5); }).find("n = -1"), std::string::npos);
}

TEST(RandomSubset, IsRoughlyUniform) {
  std::vector<int64_t> pool(10);
  std::iota(pool.begin(), pool.end(), 0);
  std::vector<int> hits(10, 0);
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    for (int64_t r : random_subset(pool, 3, seed)) hits[r]++;
  }
  for (int h : hits) EXPECT_NEAR(h, 600, 90);  // 2000 · 3/10, ±~4.5 sd
}

TEST(StratifiedWeights, Uniform) {
  EXPECT_EQ(stratified_weights(4), std::vector<double>(4, 0.25));
  EXPECT_NE(error_of([] { stratified_weights(0); }).find("clusters = 0"), std::string::npos);
}

// Real data sits around the origin. Of the synthetic pool, 20 points share that region and 80
// crowd a region with no real data at all; DSIR should take the first 20.
TEST(ImportanceResample, PicksSyntheticPointsInRealDenseRegions) {
  std::vector<float> real, syn;
  blob(real, 60, 0, 0, 0.5, 1);
  blob(syn, 20, 0, 0, 0.5, 2);
  blob(syn, 80, 4, 4, 0.3, 3);
  const auto w = importance_log_weights(real, syn, 2);
  ASSERT_EQ(w.size(), 100u);
  const double near = *std::min_element(w.begin(), w.begin() + 20), far = *std::max_element(w.begin() + 20, w.end());
  EXPECT_GT(near, far);
  for (uint64_t seed : {1, 2, 3}) {
    const auto picked = importance_resample(real, syn, 2, 20, seed);
    ASSERT_EQ(picked.size(), 20u);
    const auto in_real_region = std::count_if(picked.begin(), picked.end(), [](int64_t i) { return i < 20; });
    EXPECT_GE(in_real_region, 19) << "seed " << seed;
    EXPECT_EQ(std::set<int64_t>(picked.begin(), picked.end()).size(), 20u);
  }
}

TEST(ImportanceResample, DeterministicPerSeedAndRandomAcrossSeeds) {
  std::vector<float> real, syn;
  blob(real, 200, 0, 0, 1, 4);
  blob(syn, 200, 0, 0, 1, 5);  // same distribution: weights near 1, the draw is mostly luck
  const auto a = importance_resample(real, syn, 2, 50, 9), b = importance_resample(real, syn, 2, 50, 9),
             c = importance_resample(real, syn, 2, 50, 10);
  EXPECT_EQ(a, b);
  EXPECT_NE(std::set<int64_t>(a.begin(), a.end()), std::set<int64_t>(c.begin(), c.end()));
  EXPECT_EQ(importance_resample(real, syn, 2, 500, 9).size(), 200u);  // at most the pool
}

TEST(ImportanceResample, HandlesTinySetsAndDuplicates) {
  // One real point, two synthetic points, one of them a copy of the real one: k shrinks to what
  // exists and the copy (distance 0) gets the larger, still finite, weight.
  const std::vector<float> real{0, 0}, syn{0, 0, 3, 3};
  const auto w = importance_log_weights(real, syn, 2);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_TRUE(std::isfinite(w[0]) && std::isfinite(w[1]));
  EXPECT_GT(w[0], w[1]);
  EXPECT_EQ(importance_resample(real, syn, 2, 1, 0), std::vector<int64_t>{0});
}

TEST(MostRealLike, RanksTheSyntheticClusterNearRealDataFirst) {
  std::vector<float> real, syn;
  blob(real, 100, 1, 0, 0.2, 6);
  blob(syn, 30, -1, 0, 0.2, 7);   // far from real
  blob(syn, 25, 0.9, 0.1, 0.2, 8);  // rows 30..54: real-like
  blob(syn, 30, 0, 1.5, 0.2, 9);  // far from real
  const auto p = domain_classifier_scores(real, syn, 2);
  ASSERT_EQ(p.size(), 85u);
  for (double v : p) EXPECT_TRUE(v >= 0 && v <= 1);
  const auto top = most_real_like(real, syn, 2, 25, 1);
  ASSERT_EQ(top.size(), 25u);
  for (int64_t i : top) EXPECT_TRUE(i >= 30 && i < 55) << i;
  for (size_t j = 1; j < top.size(); ++j) EXPECT_GE(p[top[j - 1]], p[top[j]]);
  EXPECT_EQ(top, most_real_like(real, syn, 2, 25, 1));
}

TEST(MostRealLike, WorksInHigherDimensions) {
  // 16-D: real and synthetic differ only along dimension 3; the synthetic rows whose value
  // there looks real come first.
  const int dim = 16;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g(0, 1);
  std::vector<float> real, syn;
  for (int i = 0; i < 300; ++i) {
    for (int j = 0; j < dim; ++j) real.push_back(static_cast<float>(g(rng) + (j == 3 ? 2.0 : 0.0)));
  }
  for (int i = 0; i < 300; ++i) {
    for (int j = 0; j < dim; ++j) syn.push_back(static_cast<float>(g(rng) + (j == 3 ? (i < 50 ? 2.0 : -2.0) : 0.0)));
  }
  const auto top = most_real_like(real, syn, dim, 50, 3);
  const auto shifted = std::count_if(top.begin(), top.end(), [](int64_t i) { return i < 50; });
  EXPECT_GE(shifted, 45);
}

TEST(Baselines, BadEmbeddingsNameTheField) {
  const std::vector<float> ok{0, 0, 1, 1}, ragged{0, 0, 1};
  EXPECT_NE(error_of([&] { importance_resample(ragged, ok, 2, 1, 0); }).find("real_z has 3 values"), std::string::npos);
  EXPECT_NE(error_of([&] { most_real_like(ok, ragged, 2, 1, 0); }).find("syn_z has 3 values"), std::string::npos);
  EXPECT_NE(error_of([&] { most_real_like(ok, {0, NAN}, 2, 1, 0); }).find("syn_z row 0 column 1 is nan"),
            std::string::npos);
  EXPECT_NE(error_of([&] { importance_resample(ok, ok, 0, 1, 0); }).find("dim = 0"), std::string::npos);
  EXPECT_NE(error_of([&] { importance_resample({}, ok, 2, 1, 0); }).find("real_z has no rows"), std::string::npos);
  EXPECT_NE(error_of([&] { importance_resample(ok, ok, 2, -2, 0); }).find("n = -2"), std::string::npos);
}

// Worked by hand with ε = 0: α = (1/2, 1/2), λ = (1, 0) -> α ∝ (e/2, 1/2) = (e, 1)/(1 + e);
// then λ = (0, 2) -> α ∝ (e, e²) = (1, e)/(1 + e). The average of the two is (1/2, 1/2).
TEST(Doremi, StepMatchesHandComputation) {
  DoremiOptions o;
  o.epsilon = 0;
  auto s = doremi_init({3, 3});
  const double e = std::exp(1.0);
  auto w = doremi_step(o, s, {1, 0});
  EXPECT_NEAR(w[0], e / (1 + e), 1e-12);
  EXPECT_NEAR(s.average[0], e / (1 + e), 1e-12);  // the first update replaces the initial weights
  w = doremi_step(o, s, {0, 2});
  EXPECT_NEAR(w[0], 1 / (1 + e), 1e-12);
  EXPECT_NEAR(s.average[0], 0.5, 1e-12);
  EXPECT_NEAR(s.average[1], 0.5, 1e-12);
  EXPECT_EQ(s.steps, 2);
}

TEST(Doremi, NegativeExcessIsClippedAndSmoothingKeepsAFloor) {
  DoremiOptions o;  // ε = 1e-4
  auto s = doremi_init({1, 1, 2});
  EXPECT_NEAR(s.weights[2], 0.5, 1e-15);
  const auto before = s.weights;
  doremi_step(o, s, {-1, -5, 0});  // no cluster is worse than the reference: only smoothing acts
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(s.weights[k], (1 - 1e-4) * before[k] + 1e-4 / 3, 1e-15);
  o.eta = 50;
  for (int i = 0; i < 10; ++i) doremi_step(o, s, {0, 0, 1});
  EXPECT_GE(s.weights[0], o.epsilon / 3 - 1e-15);
  EXPECT_NEAR(std::accumulate(s.weights.begin(), s.weights.end(), 0.0), 1.0, 1e-12);
  EXPECT_NE(error_of([&] { doremi_step(o, s, {0, 1}); }).find("excess_loss has 2 entries for 3 clusters"),
            std::string::npos);
  EXPECT_NE(error_of([] { doremi_init({1, 0}); }).find("initial[1] = 0"), std::string::npos);
}

// Worked by hand, K = 2: ε_1 = min(1/2, sqrt(ln2/2)) = 1/2, ε_2 = sqrt(ln2/4) = 0.4162773.
// Update 1: loss 5 on cluster 0 at π = (½, ½): R̂ = (1, 0); π = (1 − 2ε_1)(…) + ε_1 = (½, ½).
// Update 2: loss 10 on cluster 0: R̂ = (1 + 1/0.5·1, 0) = (3, 0);
//   softmax(ε_1 R̂) = (e^1.5, 1)/(e^1.5 + 1) = (0.8175745, 0.1824255)
//   π = (1 − 2 · 0.4162773) · that + 0.4162773 = (0.5531764, 0.4468236)
TEST(Exp3, UpdateMatchesHandComputation) {
  Exp3 bandit(2);
  EXPECT_EQ(bandit.probabilities, (std::vector<double>{0.5, 0.5}));
  bandit.update(0, 5);
  EXPECT_NEAR(bandit.cumulative_reward[0], 1.0, 1e-15);
  EXPECT_NEAR(bandit.probabilities[0], 0.5, 1e-15);
  bandit.update(0, 10);
  EXPECT_NEAR(bandit.cumulative_reward[0], 3.0, 1e-15);
  EXPECT_NEAR(Exp3::exploration(2, 2), 0.41627730557884884, 1e-15);
  EXPECT_NEAR(bandit.probabilities[0], 0.5531763816526352, 1e-12);
  EXPECT_NEAR(bandit.probabilities[1], 0.44682361834736484, 1e-12);
  EXPECT_EQ(bandit.steps, 2);
  EXPECT_EQ(bandit.sample(0.0), 0);
  EXPECT_EQ(bandit.sample(0.55), 0);
  EXPECT_EQ(bandit.sample(0.56), 1);
}

TEST(Exp3, FavoursTheClusterWithTheHighestLossButKeepsExploring) {
  const int K = 4;
  Exp3 bandit(K);
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0, 1);
  const std::vector<double> loss{1.0, 1.0, 3.0, 1.0};  // cluster 2 has the most left to learn
  for (int t = 0; t < 2000; ++t) {
    const auto k = bandit.sample(u(rng));
    bandit.update(k, loss[k]);
    EXPECT_NEAR(std::accumulate(bandit.probabilities.begin(), bandit.probabilities.end(), 0.0), 1.0, 1e-9);
  }
  const auto& p = bandit.probabilities;
  EXPECT_EQ(std::max_element(p.begin(), p.end()) - p.begin(), 2);
  for (double v : p) EXPECT_GE(v, Exp3::exploration(K, bandit.steps) - 1e-12);
  EXPECT_NE(error_of([&] { bandit.update(4, 1); }).find("cluster = 4"), std::string::npos);
  EXPECT_NE(error_of([&] { bandit.update(0, NAN); }).find("loss = nan"), std::string::npos);
  EXPECT_NE(error_of([] { Exp3 bad(0); }).find("clusters = 0"), std::string::npos);
}

}  // namespace
}  // namespace autoscale::mixture
