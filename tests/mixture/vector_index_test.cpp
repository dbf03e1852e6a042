#include "autoscale/mixture/vector_index.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/mixture/kmeans.h"

namespace autoscale::mixture {
namespace {

std::vector<float> random_unit(size_t n, int dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> x(n * dim);
  for (auto& v : x) v = g(rng);
  l2_normalize_rows(x, dim);
  return x;
}

// Exact k nearest rows by inner product.
std::vector<int64_t> brute_force(const std::vector<float>& x, const std::vector<float>& q, int dim, int k) {
  const size_t n = x.size() / dim, nq = q.size() / dim;
  std::vector<int64_t> out;
  for (size_t i = 0; i < nq; ++i) {
    std::vector<std::pair<float, int64_t>> s;
    for (size_t j = 0; j < n; ++j) {
      float dot = 0;
      for (int d = 0; d < dim; ++d) dot += x[j * dim + d] * q[i * dim + d];
      s.push_back({-dot, static_cast<int64_t>(j)});
    }
    std::partial_sort(s.begin(), s.begin() + k, s.end());
    for (int j = 0; j < k; ++j) out.push_back(s[j].second);
  }
  return out;
}

double recall(const std::vector<int64_t>& got, const std::vector<int64_t>& want, int k) {
  size_t hit = 0;
  for (size_t i = 0; i < want.size(); i += k) {
    const std::set<int64_t> truth(want.begin() + i, want.begin() + i + k);
    for (int j = 0; j < k; ++j) hit += truth.count(got[i + j]);
  }
  return double(hit) / want.size();
}

TEST(VectorIndex, FlatIsExactAndApproximateIndexesRecallWell) {
  const int dim = 32, k = 10;
  const auto x = random_unit(4000, dim, 1), q = random_unit(100, dim, 2);
  const auto truth = brute_force(x, q, dim, k);
  std::vector<int64_t> ids;
  std::vector<float> scores;
  for (const char* kind : {"flat", "ivf", "hnsw"}) {
    IndexParams p;
    p.kind = kind;
    p.ivf_probe = 64;  // uniform random vectors are IVF's worst case; real embeddings cluster
    const auto index = VectorIndex::build(x, dim, p);
    EXPECT_EQ(index.kind(), kind);
    EXPECT_EQ(index.size(), 4000);
    index.search(q, k, &ids, &scores);
    const double r = recall(ids, truth, k);
    if (std::string(kind) == "flat") {
      EXPECT_EQ(r, 1.0);
    } else {
      EXPECT_GE(r, 0.9) << kind;
    }
    for (size_t i = 0; i + 1 < scores.size(); ++i) {
      if ((i + 1) % k != 0) EXPECT_GE(scores[i], scores[i + 1]);  // best first
    }
  }
}

TEST(VectorIndex, AutoPicksBySizeAndSaveLoadRoundTrips) {
  const int dim = 16;
  const auto x = random_unit(3000, dim, 3), q = random_unit(20, dim, 4);
  IndexParams p;
  p.flat_max = 1000;
  const auto index = VectorIndex::build(x, dim, p);
  EXPECT_EQ(index.kind(), "hnsw");
  p.flat_max = 5000;
  EXPECT_EQ(VectorIndex::build(x, dim, p).kind(), "flat");
  const auto path = (std::filesystem::temp_directory_path() / ("autoscale-index-" + std::to_string(::getpid()) + ".faiss")).string();
  index.save(path);
  const auto loaded = VectorIndex::load(path);
  EXPECT_EQ(loaded.kind(), "hnsw");
  std::vector<int64_t> a, b;
  std::vector<float> sa, sb;
  index.search(q, 5, &a, &sa);
  loaded.search(q, 5, &b, &sb);
  EXPECT_EQ(a, b);
  write_file_atomic(path, "not an index");
  EXPECT_THROW(VectorIndex::load(path), Error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace autoscale::mixture
