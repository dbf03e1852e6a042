// Comparison statistics: mean ± std over seeds, the scene bootstrap and the two-level (logs, seeds)
// bootstrap of a method's effect with its minimal detectable effect.
#include "autoscale/loop/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "autoscale/core/error.h"

namespace autoscale::loop {
namespace {

std::string fmt_token(int64_t fold, size_t window) {
  return "f" + std::to_string(fold) + "w" + std::to_string(window);
}

TEST(Statistics, MeanAndSampleStd) {
  EXPECT_DOUBLE_EQ(mean({1, 2, 3, 6}), 3.0);
  EXPECT_NEAR(stddev({1, 2, 3, 6}), std::sqrt(14.0 / 3.0), 1e-12);  // n − 1 in the denominator
  EXPECT_EQ(stddev({0.8}), 0.0);
  EXPECT_TRUE(std::isnan(mean({})));
  EXPECT_TRUE(std::isnan(stddev({})));
}

TEST(Statistics, ConstantDifferenceHasAPointInterval) {
  const std::vector<double> b = {0.2, 0.9, 0.5, 0.7};
  std::vector<double> a = b;
  for (auto& v : a) v += 0.1;
  const auto d = paired_bootstrap(a, b, 500, 1);
  EXPECT_NEAR(d.mean, 0.1, 1e-12);
  EXPECT_NEAR(d.lo, 0.1, 1e-12);
  EXPECT_NEAR(d.hi, 0.1, 1e-12);
  EXPECT_EQ(d.scenes, 4);
}

TEST(Statistics, IntervalCoversTheMeanAndShrinksWithMoreScenes) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.02, 0.2);
  auto draw = [&](size_t n) {
    std::vector<double> a(n), b(n, 0.5);
    for (auto& v : a) v = 0.5 + noise(rng);
    return std::pair{a, b};
  };
  const auto [a1, b1] = draw(100);
  const auto [a2, b2] = draw(2000);
  const auto small = paired_bootstrap(a1, b1, 2000, 7);
  const auto large = paired_bootstrap(a2, b2, 2000, 7);
  EXPECT_LT(small.lo, small.mean);
  EXPECT_GT(small.hi, small.mean);
  // The CI width is ~ 2·1.96·σ/√n: 0.078 for 100 scenes, 0.018 for 2000.
  EXPECT_NEAR(small.hi - small.lo, 2 * 1.96 * 0.2 / 10, 0.02);
  EXPECT_NEAR(large.hi - large.lo, 2 * 1.96 * 0.2 / std::sqrt(2000.0), 0.005);
  EXPECT_LT(large.lo, 0.02 + 0.001);
  EXPECT_GT(large.hi, 0.02 - 0.001);
  // Same seed, same interval.
  const auto again = paired_bootstrap(a1, b1, 2000, 7);
  EXPECT_EQ(again.lo, small.lo);
  EXPECT_EQ(again.hi, small.hi);
}

// A run of 4 logs × 10 windows whose window values are base[w] + offset.
ScoredRun run_of(int64_t fold, uint64_t seed, const std::vector<double>& base, double offset) {
  ScoredRun r;
  r.fold = fold, r.seed = seed;
  for (size_t w = 0; w < base.size(); ++w) {
    r.tokens.push_back(fmt_token(fold, w));
    r.logs.push_back("log" + std::to_string(fold) + "_" + std::to_string(w / 10));
    r.values.push_back(base[w] + offset);
  }
  return r;
}

std::vector<double> window_noise(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.02, 0.05);
  std::vector<double> v(n);
  for (auto& x : v) x = noise(rng);
  return v;
}

TEST(Statistics, TwoLevelIntervalWidensWhenSeedsDisagreeAtTheSameSceneMeans) {
  const auto base = window_noise(11, 40);
  std::vector<ScoredRun> agree, disagree;
  const std::vector<double> offsets = {0.06, -0.06, 0.03, -0.03};  // sum 0: per-scene means unchanged
  for (uint64_t s = 0; s < 4; ++s) {
    agree.push_back(run_of(0, s, base, 0.0));
    disagree.push_back(run_of(0, s, base, offsets[s]));
  }
  // The scene-level bootstrap of the per-scene means over seeds (what compare printed before)
  // cannot tell the two apart: its interval is identical.
  auto scene_means = [](const std::vector<ScoredRun>& runs) {
    std::vector<double> m(runs[0].values.size(), 0.0);
    for (const auto& r : runs) {
      for (size_t i = 0; i < m.size(); ++i) m[i] += r.values[i] / static_cast<double>(runs.size());
    }
    return m;
  };
  const std::vector<double> zero(40, 0.0);
  const auto old_a = paired_bootstrap(scene_means(agree), zero, 2000, 5);
  const auto old_d = paired_bootstrap(scene_means(disagree), zero, 2000, 5);
  EXPECT_NEAR(old_a.hi - old_a.lo, old_d.hi - old_d.lo, 1e-12);

  const auto a = two_level_bootstrap(agree, 4000, 5);
  const auto d = two_level_bootstrap(disagree, 4000, 5);
  EXPECT_NEAR(a.mean, d.mean, 1e-12);
  ASSERT_TRUE(a.has_ci && d.has_ci);
  EXPECT_GT(d.hi - d.lo, 1.5 * (a.hi - a.lo));
  EXPECT_GT(d.se, 1.5 * a.se);
  EXPECT_NEAR(d.mde, kMdeFactor * d.se, 1e-12);
  EXPECT_EQ(a.folds, 1);
  EXPECT_EQ(a.seeds, 4);
  EXPECT_EQ(a.logs, 4);
  EXPECT_EQ(a.windows, 40);
}

TEST(Statistics, TwoLevelIntervalCountsLogsNotWindows) {
  // Windows of one log that move together are one unit: 4 logs each at its own level give the
  // width of 4 values, not of 40.
  std::vector<double> base(40);
  const double level[4] = {-0.05, 0.0, 0.05, 0.10};
  for (size_t w = 0; w < 40; ++w) base[w] = level[w / 10];
  std::vector<ScoredRun> runs;
  for (uint64_t s = 0; s < 3; ++s) runs.push_back(run_of(0, s, base, 0.0));
  const auto e = two_level_bootstrap(runs, 4000, 9);
  EXPECT_NEAR(e.mean, 0.025, 1e-12);
  // The bootstrap SE of a mean of 4 values: σ_pop/√4 with σ_pop = 0.0559.
  EXPECT_NEAR(e.se, 0.0559 / 2, 0.004);
  const auto windows = paired_bootstrap(base, std::vector<double>(40, 0.0), 4000, 9);
  EXPECT_GT(e.hi - e.lo, 2.5 * (windows.hi - windows.lo));
}

TEST(Statistics, TwoLevelWeighsFoldsByWindowsAndIsDeterministic) {
  std::vector<ScoredRun> runs;
  for (uint64_t s = 0; s < 2; ++s) {
    runs.push_back(run_of(0, s, std::vector<double>(40, 0.1), 0.0));  // 40 windows at 0.1
    runs.push_back(run_of(1, s, std::vector<double>(20, 0.4), 0.0));  // 20 windows at 0.4
  }
  const auto e = two_level_bootstrap(runs, 500, 3);
  EXPECT_NEAR(e.mean, (40 * 0.1 + 20 * 0.4) / 60.0, 1e-12);
  EXPECT_NEAR(e.lo, e.mean, 1e-12);  // no variation anywhere: a point interval
  EXPECT_NEAR(e.hi, e.mean, 1e-12);
  EXPECT_EQ(e.folds, 2);
  EXPECT_EQ(e.windows, 60);
  std::vector<ScoredRun> reversed(runs.rbegin(), runs.rend());
  const auto again = two_level_bootstrap(reversed, 500, 3);
  EXPECT_EQ(again.lo, e.lo);
  EXPECT_EQ(again.hi, e.hi);
}

TEST(Statistics, OneSeedHasNoInterval) {
  const auto e = two_level_bootstrap({run_of(0, 7, window_noise(2, 40), 0.0)}, 500, 1);
  EXPECT_FALSE(e.has_ci);
  EXPECT_TRUE(std::isnan(e.lo) && std::isnan(e.hi) && std::isnan(e.mde));
  EXPECT_TRUE(std::isfinite(e.mean));
  EXPECT_EQ(e.seeds, 1);
}

TEST(Statistics, PairRunsMatchesFoldSeedAndTokens) {
  auto a = run_of(0, 1, {0.9, 0.8, 0.7}, 0.0);
  auto b = run_of(0, 1, {0.5, 0.5, 0.5}, 0.0);
  b.tokens.erase(b.tokens.begin() + 1), b.logs.erase(b.logs.begin() + 1), b.values.erase(b.values.begin() + 1);
  const auto other_seed = run_of(0, 2, {0.0, 0.0, 0.0}, 0.0);
  const auto d = pair_runs({a, other_seed}, {b});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].seed, 1u);
  ASSERT_EQ(d[0].values.size(), 2u);  // the window b did not score is left out
  EXPECT_NEAR(d[0].values[0], 0.4, 1e-12);
  EXPECT_NEAR(d[0].values[1], 0.2, 1e-12);
}

TEST(Statistics, TwoLevelRejectsBadInput) {
  EXPECT_THROW(two_level_bootstrap({}, 100, 0), Error);
  auto r = run_of(0, 0, {0.1, NAN}, 0.0);
  EXPECT_THROW(two_level_bootstrap({r, run_of(0, 1, {0.1, 0.2}, 0.0)}, 100, 0), Error);
  r = run_of(0, 0, {0.1, 0.2}, 0.0);
  r.logs.pop_back();
  EXPECT_THROW(two_level_bootstrap({r}, 100, 0), Error);
}

TEST(Statistics, BootstrapRejectsBadInput) {
  EXPECT_THROW(paired_bootstrap({0.1, 0.2}, {0.1}, 100, 0), Error);
  EXPECT_THROW(paired_bootstrap({0.1}, {0.1}, 100, 0), Error);
  EXPECT_THROW(paired_bootstrap({0.1, NAN}, {0.1, 0.2}, 100, 0), Error);
}

}  // namespace
}  // namespace autoscale::loop
