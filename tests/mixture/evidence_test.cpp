// AutoScale v2's step rule: the prior survives τ = 0 and weak evidence; a clear paired gain moves.
#include "autoscale/mixture/evidence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "autoscale/core/error.h"

namespace autoscale::mixture {
namespace {

TEST(Evidence, HistogramIsTheShareOfRowsPerCluster) {
  const auto h = cluster_histogram({0, 2, 2, 3}, 4);
  EXPECT_EQ(h, (std::vector<double>{0.25, 0, 0.5, 0.25}));
  EXPECT_EQ(cluster_histogram({}, 2), (std::vector<double>{0, 0}));
  EXPECT_THROW(cluster_histogram({4}, 4), Error);
}

TEST(Evidence, ZeroTrustIsExactlyThePrior) {
  const std::vector<double> prior{0.5, 0.3, 0.2, 0}, target{0, 0, 0, 1};
  EXPECT_EQ(tilt(prior, target, 0.0), prior);
  const auto w = tilt(prior, target, 0.5);
  EXPECT_DOUBLE_EQ(w[0], 0.25);
  EXPECT_DOUBLE_EQ(w[3], 0.5);
  double sum = 0;
  for (double x : w) sum += x;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_THROW(tilt(prior, {0, 0, 0, 0}, 0.5), Error);   // nowhere to go
  EXPECT_THROW(tilt(prior, target, 1.5), Error);
  EXPECT_THROW(tilt({0.5, NAN, 0, 0}, target, 0.5), Error);
}

TEST(Evidence, AnAcceptedStepGrowsTheTrustRegionUpToTheWholeBudget) {
  EvidenceOptions o;  // expand 2
  EXPECT_DOUBLE_EQ(grown_trust(0.3, o), 0.6);
  EXPECT_DOUBLE_EQ(grown_trust(0.5, o), 1.0);
  EXPECT_DOUBLE_EQ(grown_trust(0.8, o), 1.0);  // capped: never past the target
  EXPECT_DOUBLE_EQ(grown_trust(0.0, o), 0.0);  // a zero step stays the prior
  o.expand = 1;
  EXPECT_DOUBLE_EQ(grown_trust(0.5, o), 0.5);
  o.expand = 0.5;
  EXPECT_THROW(grown_trust(0.5, o), Error);
  EXPECT_THROW(grown_trust(1.5, EvidenceOptions{}), Error);
}

TEST(Evidence, FailureTargetCountsOnlySolvableFailuresByHeadroom) {
  EvidenceOptions o;  // solvable: human >= 0.9; failure: planner < 0.8
  const std::vector<WindowOutcome> w = {
      {0, 0.5, 1.0},   // solvable failure, headroom 0.5
      {1, 0.2, 0.95},  // solvable failure, headroom 0.75
      {2, 0.1, 0.5},   // unsolvable: the logged plan fails too
      {2, 0.85, 1.0},  // not a failure
      {1, NAN, 1.0},   // unscored
  };
  const auto t = failure_target(w, 3, o);
  EXPECT_NEAR(t[0], 0.5 / 1.25, 1e-12);
  EXPECT_NEAR(t[1], 0.75 / 1.25, 1e-12);
  EXPECT_EQ(t[2], 0.0);
  EXPECT_EQ(failure_target({{0, 0.9, 1.0}}, 2, o), (std::vector<double>{0, 0}));
}

TEST(Evidence, PairedEvidenceIsLogRobust) {
  // 3 logs agreeing on +0.02 per window: accepted.
  auto e = paired_evidence({0.2, 0.4, 0.1}, {10, 20, 5}, 2.0);
  EXPECT_NEAR(e.mean, 0.02, 1e-12);
  EXPECT_NEAR(e.se, 0.0, 1e-12);
  e = paired_evidence({0.2, 0.5, 0.1}, {10, 20, 5}, 2.0);
  EXPECT_TRUE(e.accept);
  EXPECT_GT(e.lower, 0);
  // The same mean gain carried by one log among disagreeing ones: not accepted.
  e = paired_evidence({2.0, -0.9, -0.8}, {10, 10, 10}, 2.0);
  EXPECT_NEAR(e.mean, 0.3 / 30, 1e-12);
  EXPECT_FALSE(e.accept);
  // One log is no evidence at all.
  e = paired_evidence({5.0}, {10}, 2.0);
  EXPECT_TRUE(std::isnan(e.se));
  EXPECT_FALSE(e.accept);
  EXPECT_THROW(paired_evidence({1.0}, {1, 2}, 2.0), Error);
}

TEST(Evidence, PureNoiseIsRarelyAccepted) {
  // Paired gains of mean 0 over 12 logs: the z = 2 rule moves in about 2.3% of draws, not half.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.05);
  int accepted = 0;
  for (int run = 0; run < 2000; ++run) {
    std::vector<double> sums;
    std::vector<int64_t> counts;
    for (int log = 0; log < 12; ++log) sums.push_back(20 * noise(rng)), counts.push_back(20);
    accepted += paired_evidence(sums, counts, 2.0).accept;
  }
  EXPECT_LT(accepted, 2000 * 0.06);
}

TEST(Evidence, BlendedRankKeepsRealLikenessAtZeroBeta) {
  const std::vector<double> like{0.9, 0.1, 0.5}, rel{0.0, 1.0, 0.2};
  EXPECT_EQ(blended_rank(like, rel, 0.0), like);
  const auto key = blended_rank(like, rel, 1.0);  // ranks: like (1, 0, 0.5), rel (0, 1, 0.5)
  EXPECT_DOUBLE_EQ(key[0], 1.0);
  EXPECT_DOUBLE_EQ(key[1], 1.0);
  EXPECT_DOUBLE_EQ(key[2], 1.0);
  const auto key2 = blended_rank(like, rel, 2.0);
  EXPECT_GT(key2[1], key2[0]);
}

}  // namespace
}  // namespace autoscale::mixture
