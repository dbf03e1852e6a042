// Spherical k-means on embeddings (FAISS), the scene types of the mixture (mixture-design 4.3).
#pragma once

#include <cstdint>
#include <vector>

#include "autoscale/core/config.h"

namespace autoscale::mixture {

struct KMeansParams {
  int k = 64;
  int niter = 50;
  int nredo = 3;
  bool spherical = true;  // unit-norm centroids, inner-product assignment
  uint64_t seed = 0;
  // FAISS subsamples to max_points_per_centroid * k points unless told otherwise; 0 means
  // "every point" (the default here, as the design asks for no subsampling).
  int max_points_per_centroid = 0;

  void visit(ConfigVisitor& v);
};

struct KMeansResult {
  int k = 0, dim = 0;
  std::vector<float> centroids;      // k x dim
  std::vector<int64_t> assignment;   // n: index of the nearest centroid
  std::vector<float> similarity;     // n: inner product (spherical) or -squared distance to it
  double objective = 0;              // FAISS's final objective of the best run
};

// x is n x dim, row-major. With spherical = true the rows are L2-normalised first (a copy).
// Throws Error for k > n, empty input or non-finite values.
KMeansResult kmeans(const std::vector<float>& x, int dim, const KMeansParams& params);

// Nearest centroid of each row by brute force (the reference the tests compare FAISS with).
std::vector<int64_t> assign_brute_force(const std::vector<float>& x, int dim, const std::vector<float>& centroids,
                                        bool inner_product);

void l2_normalize_rows(std::vector<float>& x, int dim);

}  // namespace autoscale::mixture
