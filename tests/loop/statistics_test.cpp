// Comparison statistics: mean ± std over seeds and the paired bootstrap CI of ΔPDMS.
#include "autoscale/loop/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "autoscale/core/error.h"

namespace autoscale::loop {
namespace {

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

TEST(Statistics, BootstrapRejectsBadInput) {
  EXPECT_THROW(paired_bootstrap({0.1, 0.2}, {0.1}, 100, 0), Error);
  EXPECT_THROW(paired_bootstrap({0.1}, {0.1}, 100, 0), Error);
  EXPECT_THROW(paired_bootstrap({0.1, NAN}, {0.1, 0.2}, 100, 0), Error);
}

}  // namespace
}  // namespace autoscale::loop
