#include "autoscale/mixture/kmeans.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "autoscale/core/error.h"

namespace autoscale::mixture {
namespace {

// n points around each of `k` random unit directions in `dim` dimensions.
std::vector<float> blobs(int k, int per, int dim, double noise, uint64_t seed, std::vector<int>* truth) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<float> centers(k * dim);
  for (auto& c : centers) c = static_cast<float>(g(rng));
  l2_normalize_rows(centers, dim);
  std::vector<float> x;
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < per; ++j) {
      for (int d = 0; d < dim; ++d) x.push_back(static_cast<float>(centers[i * dim + d] + noise * g(rng)));
      truth->push_back(i);
    }
  }
  return x;
}

TEST(KMeans, AssignmentsMatchBruteForceAndRecoverBlobs) {
  std::vector<int> truth;
  const int dim = 16, k = 8;
  auto x = blobs(k, 200, dim, 0.05, 3, &truth);
  KMeansParams p;
  p.k = k;
  p.niter = 30;
  p.nredo = 3;
  p.seed = 11;
  const auto r = kmeans(x, dim, p);
  ASSERT_EQ(r.centroids.size(), static_cast<size_t>(k * dim));
  auto normalized = x;
  l2_normalize_rows(normalized, dim);
  EXPECT_EQ(r.assignment, assign_brute_force(normalized, dim, r.centroids, true));
  // True blobs map onto clusters (random initialisation can still merge two blobs and split
  // another in a run; nredo keeps the best of several).
  std::vector<std::vector<int>> counts(k, std::vector<int>(k, 0));
  for (size_t i = 0; i < truth.size(); ++i) counts[truth[i]][r.assignment[i]]++;
  int pure = 0;
  for (const auto& row : counts) pure += *std::max_element(row.begin(), row.end());
  EXPECT_GE(pure, static_cast<int>(truth.size() * 0.85));
  for (size_t c = 0; c < static_cast<size_t>(k); ++c) {  // spherical: unit-norm centroids
    double n = 0;
    for (int d = 0; d < dim; ++d) n += r.centroids[c * dim + d] * r.centroids[c * dim + d];
    EXPECT_NEAR(n, 1.0, 1e-4);
  }
}

TEST(KMeans, SameSeedSameClusters) {
  std::vector<int> truth;
  const auto x = blobs(5, 100, 8, 0.3, 5, &truth);
  KMeansParams p;
  p.k = 5;
  p.seed = 42;
  const auto a = kmeans(x, 8, p), b = kmeans(x, 8, p);
  EXPECT_EQ(a.assignment, b.assignment);
  EXPECT_EQ(a.centroids, b.centroids);
}

TEST(KMeans, BadInputIsRejected) {
  std::vector<float> x(10 * 4, 0.5f);
  KMeansParams p;
  p.k = 11;
  EXPECT_THROW(kmeans(x, 4, p), Error);
  p.k = 2;
  x[7] = NAN;
  try {
    kmeans(x, 4, p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 1 column 3 is nan"), std::string::npos) << e.what();
  }
  EXPECT_THROW(kmeans({}, 4, p), Error);
}

}  // namespace
}  // namespace autoscale::mixture
