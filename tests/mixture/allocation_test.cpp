#include "autoscale/mixture/allocation.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "autoscale/core/error.h"
#include "error_of.h"

namespace autoscale::mixture {
namespace {

using V = std::vector<int64_t>;
const V kLarge(3, 1000000);

int64_t sum(const V& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

using testing::error_of;

TEST(Allocate, ExactSharesWhenTheyAreWhole) {
  EXPECT_EQ(allocate(100, {0.5, 0.3, 0.2}, kLarge), (V{50, 30, 20}));
  EXPECT_EQ(allocate(10, {5, 3, 2}, kLarge), (V{5, 3, 2}));  // weights need not sum to 1
}

TEST(Allocate, LargestRemainderWithTiesToTheLowerIndex) {
  // 10/3 each: floors 3, 3, 3; the one left goes to cluster 0 (equal remainders).
  EXPECT_EQ(allocate(10, {1, 1, 1}, kLarge), (V{4, 3, 3}));
  // 2.25, 2.25, 0.5: floors 2, 2, 0; the last unit to the largest remainder, cluster 2.
  EXPECT_EQ(allocate(5, {0.45, 0.45, 0.1}, kLarge), (V{2, 2, 1}));
  // 1.6, 1.6, 0.8 -> floors 1, 1, 0 and two units left: 0.8 first, then cluster 0 of the tied 0.6s.
  EXPECT_EQ(allocate(4, {0.4, 0.4, 0.2}, kLarge), (V{2, 1, 1}));
}

TEST(Allocate, OverflowOfCappedClustersIsRedistributedByWeight) {
  // Cluster 0 wants 50 but holds 10; its 40 go to the others 1:1.
  EXPECT_EQ(allocate(100, {0.5, 0.25, 0.25}, {10, 1000, 1000}), (V{10, 45, 45}));
  // Redistribution can cap another cluster: 0 wants 60 (holds 10), 1 wants 30 -> 30 + 25 > 40.
  EXPECT_EQ(allocate(100, {0.6, 0.3, 0.1}, {10, 40, 1000}), (V{10, 40, 50}));
}

TEST(Allocate, BudgetBeyondThePoolTakesEverything) {
  EXPECT_EQ(allocate(1000, {0.2, 0.3, 0.5}, {5, 7, 11}), (V{5, 7, 11}));
  EXPECT_EQ(allocate(0, {0.2, 0.3, 0.5}, {5, 7, 11}), (V{0, 0, 0}));
  EXPECT_EQ(allocate(10, {0.2, 0.3, 0.5}, {0, 0, 0}), (V{0, 0, 0}));
}

TEST(Allocate, ZeroWeightClustersOnlyTakeWhatNoWeightedClusterCan) {
  EXPECT_EQ(allocate(10, {1, 0, 1}, kLarge), (V{5, 0, 5}));
  // The weighted clusters hold 6 together; the rest is spread evenly over the unweighted ones.
  EXPECT_EQ(allocate(12, {1, 0, 1, 0}, {3, 100, 3, 100}), (V{3, 3, 3, 3}));
}

TEST(Allocate, SumAndCapsHoldOnRandomInputs) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 500; ++trial) {
    const int K = 1 + static_cast<int>(rng() % 12);
    std::vector<double> w(K);
    V pool(K);
    for (int k = 0; k < K; ++k) {
      w[k] = (rng() % 4 == 0) ? 0.0 : static_cast<double>(rng() % 1000) / 7.0 + 1e-3;
      pool[k] = static_cast<int64_t>(rng() % 50);
    }
    if (std::accumulate(w.begin(), w.end(), 0.0) == 0) w[0] = 1;
    const int64_t budget = static_cast<int64_t>(rng() % 400);
    const auto n = allocate(budget, w, pool);
    ASSERT_EQ(sum(n), std::min(budget, sum(pool))) << "trial " << trial;
    for (int k = 0; k < K; ++k) {
      EXPECT_GE(n[k], 0);
      EXPECT_LE(n[k], pool[k]);
    }
    EXPECT_EQ(n, allocate(budget, w, pool));  // deterministic
  }
}

TEST(Allocate, BadInputsNameTheField) {
  EXPECT_NE(error_of([] { allocate(-1, {1}, {1}); }).find("budget = -1"), std::string::npos);
  EXPECT_NE(error_of([] { allocate(1, {1, 1}, {1}); }).find("2 weights for 1 pool_sizes"), std::string::npos);
  EXPECT_NE(error_of([] { allocate(1, {1, -0.5}, {1, 1}); }).find("weights[1] = -0.5"), std::string::npos);
  EXPECT_NE(error_of([] { allocate(1, {1, NAN}, {1, 1}); }).find("weights[1] = nan"), std::string::npos);
  EXPECT_NE(error_of([] { allocate(1, {1, 1}, {1, -3}); }).find("pool_sizes[1] = -3"), std::string::npos);
  EXPECT_NE(error_of([] { allocate(1, {0, 0}, {1, 1}); }).find("all 0"), std::string::npos);
}

}  // namespace
}  // namespace autoscale::mixture
