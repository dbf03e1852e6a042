// Nearest-neighbour search over unit-norm embeddings (inner product = cosine) with FAISS:
// exact Flat for small pools, IVF or HNSW past a size threshold. Files are FAISS's own format,
// so faiss::read_index and FAISS's tools load them too.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autoscale/core/config.h"

namespace faiss {
struct Index;
}

namespace autoscale::mixture {

struct IndexParams {
  std::string kind = "auto";      // auto | flat | ivf | hnsw
  int64_t flat_max = 50000;       // auto: exact search up to this many vectors
  std::string large_kind = "hnsw";  // auto: ivf | hnsw beyond flat_max
  int64_t ivf_lists = 0;          // 0 = 4 sqrt(n)
  int64_t ivf_probe = 16;
  int64_t hnsw_m = 32;
  int64_t hnsw_ef_search = 128;

  void visit(ConfigVisitor& v);
};

class VectorIndex {
 public:
  VectorIndex();
  ~VectorIndex();
  VectorIndex(VectorIndex&&) noexcept;
  VectorIndex& operator=(VectorIndex&&) noexcept;

  // x: n x dim, rows already unit-norm. Ids are the row numbers.
  static VectorIndex build(const std::vector<float>& x, int dim, const IndexParams& params);
  static VectorIndex load(const std::string& path);
  void save(const std::string& path) const;  // atomic (temp file + rename)

  // k nearest rows of each query: ids (-1 where fewer exist) and inner products, nq x k.
  void search(const std::vector<float>& queries, int k, std::vector<int64_t>* ids, std::vector<float>* scores) const;

  std::string kind() const;  // "flat", "ivf" or "hnsw"
  int64_t size() const;
  int dim() const;

 private:
  std::unique_ptr<faiss::Index> index_;
  std::string kind_;
};

}  // namespace autoscale::mixture
