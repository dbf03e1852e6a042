#include "autoscale/mixture/retrieval.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "autoscale/core/error.h"
#include "autoscale/mixture/kmeans.h"

namespace fs = std::filesystem;

namespace autoscale::mixture {
namespace {

// 600 random unit rows; every third real, the rest synthetic from logs "L0".."L4".
Embeddings make_embeddings() {
  Embeddings e;
  e.method = "test";
  e.dim = 8;
  std::mt19937_64 rng(7);
  std::normal_distribution<float> g;
  for (int i = 0; i < 600; ++i) {
    e.tokens.push_back("t" + std::to_string(i));
    e.logs.push_back("log" + std::to_string(i % 7));
    e.source_logs.push_back(i % 3 == 0 ? "" : "L" + std::to_string(i % 5));
    e.domains.push_back(i % 3 == 0 ? 0 : 1);
    for (int d = 0; d < e.dim; ++d) e.z.push_back(g(rng));
  }
  l2_normalize_rows(e.z, e.dim);
  KMeansParams p;
  p.k = 4;
  const auto r = kmeans(e.z, e.dim, p);
  e.assignment = r.assignment;
  e.similarity = r.similarity;
  e.centroids = r.centroids;
  return e;
}

// Brute force: best synthetic rows (optionally of one cluster) not from excluded source logs.
std::vector<int64_t> brute(const Embeddings& e, size_t q, int k, int cluster, const std::set<std::string>& excluded) {
  std::vector<std::pair<float, int64_t>> all;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e.domains[i] != 1 || excluded.count(e.source_logs[i])) continue;
    if (cluster >= 0 && e.assignment[i] != cluster) continue;
    float dot = 0;
    for (int d = 0; d < e.dim; ++d) dot += e.z[i * e.dim + d] * e.z[q * e.dim + d];
    all.push_back({-dot, static_cast<int64_t>(i)});
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> out;
  for (int j = 0; j < k && j < static_cast<int>(all.size()); ++j) out.push_back(all[j].second);
  return out;
}

TEST(Retrieval, MatchesBruteForceWithClusterAndLogFilters) {
  const auto e = make_embeddings();
  const auto dir = fs::temp_directory_path() / ("autoscale-retrieval-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  IndexParams p;  // auto: flat at this size, so results are exact
  RetrievalIndex::build(e, p, dir.string());
  const auto index = RetrievalIndex::load(dir.string());
  EXPECT_EQ(index.clusters(), 4);
  const std::set<std::string> none, excluded{"L1", "L3"};
  for (size_t q : {0, 5, 17, 300}) {
    const std::vector<float> query(e.z.begin() + q * e.dim, e.z.begin() + (q + 1) * e.dim);
    for (int cluster : {-1, 0, 3}) {
      for (const auto* ex : {&none, &excluded}) {
        const auto hits = index.search(query, 10, cluster, *ex, e);
        std::vector<int64_t> rows;
        for (const auto& h : hits) {
          rows.push_back(h.row);
          EXPECT_EQ(e.domains[h.row], 1);
          EXPECT_FALSE(ex->count(e.source_logs[h.row]));
        }
        EXPECT_EQ(rows, brute(e, q, 10, cluster, *ex)) << "query " << q << " cluster " << cluster;
      }
    }
  }
  EXPECT_THROW(index.search(std::vector<float>(8, 0.f), 3, 9, none, e), Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace autoscale::mixture
