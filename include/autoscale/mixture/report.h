// Representation quality of an embedding (mixture-design 4.2 sanity gates): do neighbours come
// from the same recording, are the clusters separated, what is in each cluster.
#pragma once

#include <string>

#include "autoscale/mixture/embeddings.h"

namespace autoscale::mixture {

struct EmbeddingReport {
  double same_log_recall = 0;  // share of the k nearest neighbours (self excluded) from the same log
  int k = 10;
  double silhouette = 0;       // mean cosine silhouette of the clusters (on a seeded sample)
  size_t silhouette_sample = 0;
  std::string text;            // the printed report
};

// `max_sample` bounds the O(n^2) silhouette; rows are sampled with `seed`.
EmbeddingReport embedding_report(const Embeddings& e, int k = 10, size_t max_sample = 3000, uint64_t seed = 0);

}  // namespace autoscale::mixture
