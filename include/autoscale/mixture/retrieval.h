// Retrieval of synthetic scenes near given embeddings: one FAISS index over every synthetic
// scene and one per cluster, filtered by excluded source logs (the leakage guard).
//
//   DIR/global.faiss, DIR/cluster-NNNN.faiss   FAISS's own files
//   DIR/rows.h5                                /global, /cluster/NNNN: embedding rows of each index
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "autoscale/mixture/embeddings.h"
#include "autoscale/mixture/vector_index.h"

namespace autoscale::mixture {

struct Hit {
  int64_t row;       // into the embeddings
  float similarity;  // cosine
};

class RetrievalIndex {
 public:
  // Indexes the synthetic rows of `e` (per cluster too when e is clustered) and saves to dir.
  static void build(const Embeddings& e, const IndexParams& params, const std::string& dir);
  static RetrievalIndex load(const std::string& dir);

  // k best synthetic rows for `query` (unit vector), within `cluster` (-1: all) and whose
  // source log is not excluded. Fewer when fewer remain.
  std::vector<Hit> search(const std::vector<float>& query, int k, int cluster, const std::set<std::string>& excluded_logs,
                          const Embeddings& e) const;

  int clusters() const { return static_cast<int>(cluster_.size()); }
  std::string kind() const { return global_.kind(); }

 private:
  VectorIndex global_;
  std::vector<int64_t> global_rows_;
  std::vector<VectorIndex> cluster_;
  std::vector<std::vector<int64_t>> cluster_rows_;
};

}  // namespace autoscale::mixture
