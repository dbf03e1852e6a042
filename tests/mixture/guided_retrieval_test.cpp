#include "autoscale/mixture/guided_retrieval.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "autoscale/core/error.h"
#include "error_of.h"

namespace autoscale::mixture {
namespace {

using testing::error_of;

// 2-D unit vectors at the given angles [degrees], one row each.
std::vector<float> at_angles(const std::vector<double>& degrees, double length = 1.0) {
  std::vector<float> z;
  for (double d : degrees) {
    z.push_back(static_cast<float>(length * std::cos(d * M_PI / 180)));
    z.push_back(static_cast<float>(length * std::sin(d * M_PI / 180)));
  }
  return z;
}

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> r;
  for (int64_t i = from; i < to; ++i) r.push_back(i);
  return r;
}

// Rows 0 and 1: real validation scenes at 0° (PDMS 0.1, a failure) and 90° (PDMS 0.9).
// Rows 2..6: synthetic candidates at 5°, 10°, 45°, 80°, 85°. Two queries, quota 2: k' = 3 each.
//   r(5°)  = 0.9 cos 5° = 0.8966     r(10°) = 0.9 cos 10° = 0.8863 (but cos(5°, 10°) > 0.98)
//   r(45°) = 0.9 cos 45° = 0.6364    r(80°) = 0.1563    r(85°) = 0.1 cos 5° = 0.0996
// First pick 5°; 10° is then a near-duplicate; MMR: 45°: 0.7·0.6364 − 0.3 cos 40° = 0.2157 beats
// 80°: 0.0318 and 85°: 0.0176.
const std::vector<float> kZ = at_angles({0, 90, 5, 10, 45, 80, 85});
const ClusterQueries kQueries{{0, 1}, {0.1, 0.9}, {}, 0};

TEST(GuidedRetrieval, FailuresDriveRelevanceAndNearDuplicatesAreSkipped) {
  const GuidedRetrievalOptions o;
  const auto s = guided_retrieve(o, kZ, 2, kQueries, range(2, 7), 2, 0);
  EXPECT_EQ(s.rows, (std::vector<int64_t>{2, 4}));
  ASSERT_EQ(s.relevance.size(), 2u);
  EXPECT_NEAR(s.relevance[0], 0.9 * std::cos(5 * M_PI / 180), 1e-6);
  EXPECT_NEAR(s.relevance[1], 0.9 * std::cos(45 * M_PI / 180), 1e-6);
  EXPECT_EQ(s.queries, 2);
  EXPECT_EQ(s.candidates, 5);  // {5°, 10°, 45°} ∪ {85°, 80°, 45°}
  EXPECT_EQ(s.filled_randomly, 0);
}

TEST(GuidedRetrieval, MmrTakesOneOfSeveralNearCopies) {
  // One query at 0°; three near-copies of it, and two distinct scenes further away.
  const auto z = at_angles({0, 0.2, 0.5, 1.0, 30, 60});
  const GuidedRetrievalOptions o;
  const auto s = guided_retrieve(o, z, 2, {{0}, {0.0}, {}, 0}, range(1, 6), 3, 0);
  EXPECT_EQ(s.rows, (std::vector<int64_t>{1, 4, 5}));
  // Without the duplicate rule and with relevance only, the copies win.
  GuidedRetrievalOptions greedy;
  greedy.mmr_lambda = 1;
  greedy.duplicate_cos = 1;
  EXPECT_EQ(guided_retrieve(greedy, z, 2, {{0}, {0.0}, {}, 0}, range(1, 6), 3, 0).rows,
            (std::vector<int64_t>{1, 2, 3}));
}

TEST(GuidedRetrieval, FillsRandomlyOnceCandidatesRunOut) {
  // Every candidate is a near-copy of every other: MMR can take only one.
  const auto z = at_angles({0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6});
  const GuidedRetrievalOptions o;
  const ClusterQueries q{{0}, {0.5}, {}, 0};
  const auto a = guided_retrieve(o, z, 2, q, range(1, 7), 3, 11);
  ASSERT_EQ(a.rows.size(), 3u);
  EXPECT_EQ(a.rows[0], 1);
  EXPECT_EQ(a.filled_randomly, 2);
  EXPECT_EQ(std::set<int64_t>(a.rows.begin(), a.rows.end()).size(), 3u);
  EXPECT_EQ(a.rows, guided_retrieve(o, z, 2, q, range(1, 7), 3, 11).rows);  // seeded
  std::set<std::vector<int64_t>> fills;
  for (uint64_t seed = 0; seed < 10; ++seed) fills.insert(guided_retrieve(o, z, 2, q, range(1, 7), 3, seed).rows);
  EXPECT_GT(fills.size(), 1u);

  // Few candidates retrieved: k' = ⌈0.5 · 2 / 1⌉ = 1, so one by MMR and one at random.
  GuidedRetrievalOptions narrow;
  narrow.candidate_factor = 0.5;
  const auto b = guided_retrieve(narrow, kZ, 2, {{0}, {0.1}, {}, 0}, range(2, 7), 2, 3);
  EXPECT_EQ(b.candidates, 1);
  EXPECT_EQ(b.rows[0], 2);
  EXPECT_EQ(b.filled_randomly, 1);
}

TEST(GuidedRetrieval, CentroidQueryWeighsOneMinusClusterPdms) {
  const GuidedRetrievalOptions o;
  // t = 0: no scores, the centroid (at 80°, not unit length) is the only query.
  const auto s = guided_retrieve(o, kZ, 2, {{}, {}, {0.0f, 3.0f}, 0}, range(2, 7), 1, 0);
  EXPECT_EQ(s.queries, 1);
  EXPECT_EQ(s.rows, std::vector<int64_t>{6});  // 85°, nearest to 90°
  // A solved validation scene (PDMS 1: weight 0) loses to a centroid of a weak cluster.
  const auto t = guided_retrieve(o, kZ, 2, {{0}, {1.0}, {0.0f, 1.0f}, 0.4}, range(2, 7), 1, 0);
  EXPECT_EQ(t.rows, std::vector<int64_t>{6});
  EXPECT_NEAR(t.relevance[0], 0.6 * std::cos(5 * M_PI / 180), 1e-6);
}

TEST(GuidedRetrieval, UsesTheHardestValidationScenesAsQueries) {
  GuidedRetrievalOptions o;
  o.max_queries = 1;
  // Row 1 (90°) is the harder scene now; with one query only it counts.
  const auto s = guided_retrieve(o, kZ, 2, {{0, 1}, {0.8, 0.3}, {}, 0}, range(2, 7), 1, 0);
  EXPECT_EQ(s.queries, 1);
  EXPECT_EQ(s.rows, std::vector<int64_t>{6});
  EXPECT_NEAR(s.relevance[0], 0.7 * std::cos(5 * M_PI / 180), 1e-6);
}

TEST(GuidedRetrieval, WholeClusterQuotaReturnsEveryCandidateByRelevance) {
  const GuidedRetrievalOptions o;
  const auto s = guided_retrieve(o, kZ, 2, kQueries, range(2, 7), 50, 0);
  EXPECT_EQ(s.rows, (std::vector<int64_t>{2, 3, 4, 5, 6}));
  EXPECT_TRUE(guided_retrieve(o, kZ, 2, kQueries, range(2, 7), 0, 0).rows.empty());
  EXPECT_TRUE(guided_retrieve(o, kZ, 2, kQueries, {}, 5, 0).rows.empty());
}

TEST(GuidedRetrieval, CumulativeModeKeepsTheMostRelevantPreviousScenes) {
  GuidedRetrievalOptions o;
  o.keep_fraction = 0.5;
  // Previous selection: 80°, 85° and a row that is no longer a candidate. One (= 0.5 · 2) is
  // kept, the more relevant 80°; MMR adds the best new scene.
  const auto s = guided_retrieve(o, kZ, 2, kQueries, range(2, 7), 2, 0, {6, 5, 0});
  EXPECT_EQ(s.kept, 1);
  EXPECT_EQ(s.rows, (std::vector<int64_t>{5, 2}));
  // Near-copies among the previous scenes are not kept twice: 10° duplicates 5°.
  o.keep_fraction = 1;
  const auto d = guided_retrieve(o, kZ, 2, kQueries, range(2, 7), 2, 0, {3, 2});
  EXPECT_EQ(d.kept, 1);
  EXPECT_EQ(d.rows, (std::vector<int64_t>{2, 4}));
  o.keep_fraction = 0;
  EXPECT_EQ(guided_retrieve(o, kZ, 2, kQueries, range(2, 7), 2, 0, {6, 5}).rows, (std::vector<int64_t>{2, 4}));
}

TEST(GuidedRetrieval, ScaleOfTheEmbeddingsDoesNotMatter) {
  const auto scaled = at_angles({0, 90, 5, 10, 45, 80, 85}, 7.5);
  const GuidedRetrievalOptions o;
  EXPECT_EQ(guided_retrieve(o, scaled, 2, kQueries, range(2, 7), 3, 4).rows,
            guided_retrieve(o, kZ, 2, kQueries, range(2, 7), 3, 4).rows);
}

TEST(GuidedRetrieval, BadInputsNameTheField) {
  const GuidedRetrievalOptions o;
  auto err = [&](const ClusterQueries& q, const std::vector<int64_t>& cand) {
    return error_of([&] { guided_retrieve(o, kZ, 2, q, cand, 2, 0); });
  };
  EXPECT_NE(err({{0}, {1.5}, {}, 0}, {2, 3}).find("val_pdms[0] = 1.5"), std::string::npos);
  EXPECT_NE(err({{0}, {}, {}, 0}, {2, 3}).find("0 val_pdms for 1 val_rows"), std::string::npos);
  EXPECT_NE(err({{0}, {0.5}, {}, 2}, {2, 3}).find("cluster_pdms = 2"), std::string::npos);
  EXPECT_NE(err({{0}, {0.5}, {}, 0}, {2, 99}).find("candidate_rows[1] = 99"), std::string::npos);
  EXPECT_NE(err({{0}, {0.5}, {}, 0}, {2, 3, 2}).find("candidate_rows[2] = 2 appears twice"), std::string::npos);
  EXPECT_NE(err({{42}, {0.5}, {}, 0}, {2, 3}).find("val_rows[0] = 42"), std::string::npos);
  EXPECT_NE(err({{0}, {0.5}, {1, 2, 3}, 0}, {2, 3}).find("centroid has 3 values for dim = 2"), std::string::npos);
  EXPECT_NE(err({{}, {}, {}, 0}, {2, 3}).find("no query"), std::string::npos);
  EXPECT_NE(error_of([&] { guided_retrieve(o, kZ, 3, kQueries, {2}, 1, 0); }).find("not rows of dim = 3"),
            std::string::npos);
  EXPECT_NE(error_of([&] { guided_retrieve(o, kZ, 2, kQueries, {2}, -1, 0); }).find("quota = -1"), std::string::npos);
  auto nan_z = kZ;
  nan_z[5] = NAN;
  EXPECT_NE(error_of([&] { guided_retrieve(o, nan_z, 2, kQueries, {2, 3}, 1, 0); }).find("z row 2 column 1 is nan"),
            std::string::npos);
  EXPECT_THROW(config_from_overrides<GuidedRetrievalOptions>({"mmr_lambda=2"}), Error);
  EXPECT_EQ(config_from_overrides<GuidedRetrievalOptions>({"max_queries=8"}).max_queries, 8);
}

}  // namespace
}  // namespace autoscale::mixture
