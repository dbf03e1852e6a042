// A 2-D map of embeddings for reports: the first two principal components (linear, so distances
// along the axes mean what they say, unlike t-SNE; and deterministic).
#pragma once

#include <cstdint>
#include <vector>

namespace autoscale::mixture {

struct Projection2d {
  std::vector<float> xy;             // 2 values per projected row, in row order
  double explained[2] = {0, 0};      // share of the total variance along each axis
};

// Projects the given rows of z (row-major, dim values per row) on the two leading principal
// axes of those rows. Error for rows out of range or fewer than 2 rows.
Projection2d pca_2d(const std::vector<float>& z, int dim, const std::vector<int64_t>& rows);

}  // namespace autoscale::mixture
