#include "autoscale/train/sampler.h"

#include <gtest/gtest.h>

#include <map>

#include "autoscale/core/error.h"

namespace autoscale::train {
namespace {

std::vector<std::vector<int64_t>> groups() {
  std::vector<std::vector<int64_t>> g(3);
  for (int64_t i = 0; i < 100; ++i) g[0].push_back(i);
  for (int64_t i = 100; i < 130; ++i) g[1].push_back(i);
  for (int64_t i = 130; i < 140; ++i) g[2].push_back(i);
  return g;
}

TEST(MixtureSampler, DrawsGroupsInProportionToTheWeights) {
  MixtureSampler s(groups(), {0.5, 0.3, 0.2}, 64, 7);
  std::map<int, int> per_group;
  for (int step = 0; step < 500; ++step) {
    for (int64_t row : s.next()) per_group[row < 100 ? 0 : (row < 130 ? 1 : 2)]++;
  }
  const double n = 500 * 64;
  EXPECT_NEAR(per_group[0] / n, 0.5, 0.01);
  EXPECT_NEAR(per_group[1] / n, 0.3, 0.01);
  EXPECT_NEAR(per_group[2] / n, 0.2, 0.01);
  EXPECT_EQ(s.drawn()[0], per_group[0]);
}

TEST(MixtureSampler, SeesEverySampleOfAGroupOncePerEpoch) {
  MixtureSampler s(groups(), {0, 1, 0}, 10, 3);  // only group 1 (30 samples): 3 batches = 1 epoch
  std::map<int64_t, int> seen;
  for (int i = 0; i < 3; ++i) {
    for (int64_t row : s.next()) seen[row]++;
  }
  ASSERT_EQ(seen.size(), 30u);
  for (const auto& [row, count] : seen) EXPECT_EQ(count, 1) << row;
}

TEST(MixtureSampler, SameSeedSameStreamOtherSeedOtherStream) {
  MixtureSampler a(groups(), {1, 1, 1}, 16, 11), b(groups(), {1, 1, 1}, 16, 11), c(groups(), {1, 1, 1}, 16, 12);
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    const auto x = a.next(), y = b.next(), z = c.next();
    EXPECT_EQ(x, y);
    differs |= x != z;
  }
  EXPECT_TRUE(differs);
}

TEST(MixtureSampler, RestoredStateContinuesTheSameStream) {
  MixtureSampler a(groups(), {0.6, 0.3, 0.1}, 32, 5);
  for (int i = 0; i < 17; ++i) a.next();
  const std::string state = a.state();
  MixtureSampler b(groups(), {0.6, 0.3, 0.1}, 32, 5);
  b.restore(state);
  EXPECT_EQ(b.step(), 17);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(a.next(), b.next()) << "batch " << i;
}

TEST(MixtureSampler, RejectsBadWeightsAndForeignStates) {
  EXPECT_THROW(MixtureSampler(groups(), {1, 1}, 8, 0), Error);
  EXPECT_THROW(MixtureSampler(groups(), {1, NAN, 1}, 8, 0), Error);
  EXPECT_THROW(MixtureSampler(groups(), {0, 0, 0}, 8, 0), Error);
  EXPECT_THROW(MixtureSampler({{}, {1}}, {1, 0}, 8, 0), Error);  // the only weighted group is empty
  MixtureSampler s(groups(), {1, 1, 1}, 8, 0);
  EXPECT_THROW(s.restore("garbage"), Error);
  auto g = groups();
  g[2].push_back(999);
  MixtureSampler other(g, {1, 1, 1}, 8, 0);
  EXPECT_THROW(s.restore(other.state()), Error);
}

}  // namespace
}  // namespace autoscale::train
