// Quota allocation (mixture-design 4.4): how many synthetic scenes of each cluster a budget
// buys under mixture weights, when clusters hold only so many scenes.
#pragma once

#include <cstdint>
#include <vector>

namespace autoscale::mixture {

// n_k = min(pool_k, share_k) with the shares N w_k / Σw rounded by largest remainder (ties go to
// the lower cluster index). What a capped cluster cannot take is shared again among the clusters
// with room, in proportion to their weights, until the budget or every pool is spent. Clusters
// of weight 0 get scenes only once every weighted cluster is full (then evenly): the promise is
//   Σ n_k = min(budget, Σ pool_k),   0 ≤ n_k ≤ pool_k.
// Throws Error for a negative budget or pool size, mismatched sizes, weights that are negative,
// not finite or all 0.
std::vector<int64_t> allocate(int64_t budget, const std::vector<double>& weights, const std::vector<int64_t>& pool_sizes);

}  // namespace autoscale::mixture
