#include "autoscale/mixture/report.h"

#include <gtest/gtest.h>

#include <random>

#include "autoscale/mixture/kmeans.h"

namespace autoscale::mixture {
namespace {

// Four logs, each a tight blob around its own direction (or pure noise when `structured` is false).
Embeddings logs_as_blobs(bool structured) {
  Embeddings e;
  e.method = "test";
  e.dim = 6;
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g;
  for (int i = 0; i < 400; ++i) {
    const int log = i % 4;
    e.tokens.push_back("t" + std::to_string(i));
    e.logs.push_back("log" + std::to_string(log));
    e.source_logs.push_back("");
    e.domains.push_back(0);
    for (int d = 0; d < e.dim; ++d) e.z.push_back((structured && d == log ? 5.f : 0.f) + g(rng));
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

TEST(EmbeddingReport, SeparatesStructureFromNoise) {
  const auto good = embedding_report(logs_as_blobs(true));
  const auto noise = embedding_report(logs_as_blobs(false));
  EXPECT_GT(good.same_log_recall, 0.95);
  EXPECT_LT(noise.same_log_recall, 0.45);  // chance is 0.25
  EXPECT_GT(good.silhouette, 0.5);
  EXPECT_GT(good.silhouette, noise.silhouette);
  EXPECT_EQ(good.k, 10);
  EXPECT_NE(good.text.find("exemplars"), std::string::npos);
}

}  // namespace
}  // namespace autoscale::mixture
