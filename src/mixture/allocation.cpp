#include "autoscale/mixture/allocation.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "autoscale/core/error.h"

namespace autoscale::mixture {
namespace {

// Adds `amount` to `n` over the clusters in `open` in proportion to `w` (largest remainder),
// each capped at its pool. Returns how much was placed.
int64_t place(int64_t amount, const std::vector<double>& w, const std::vector<size_t>& open,
              const std::vector<int64_t>& pool, std::vector<int64_t>& n) {
  double total = 0;
  for (size_t k : open) total += w[k];
  std::vector<int64_t> share(open.size());
  std::vector<double> frac(open.size());
  int64_t given = 0;
  for (size_t i = 0; i < open.size(); ++i) {
    const double exact = static_cast<double>(amount) * (w[open[i]] / total);
    share[i] = static_cast<int64_t>(std::floor(exact));
    frac[i] = exact - static_cast<double>(share[i]);
    given += share[i];
  }
  // Rounding leaves fewer than |open| units; they go to the largest fractional parts. The
  // clamp guards against a floor that rounding pushed one past the exact share.
  int64_t left = std::max<int64_t>(0, amount - given);
  std::vector<size_t> order(open.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return frac[a] > frac[b]; });
  for (size_t j = 0; left > 0; j = (j + 1) % order.size(), --left) share[order[j]] += 1;
  int64_t placed = 0;
  for (size_t i = 0; i < open.size(); ++i) {
    const size_t k = open[i];
    const int64_t take = std::min(std::min(share[i], pool[k] - n[k]), amount - placed);
    n[k] += take;
    placed += take;
  }
  return placed;
}

}  // namespace

std::vector<int64_t> allocate(int64_t budget, const std::vector<double>& weights, const std::vector<int64_t>& pool) {
  AUTOSCALE_CHECK(budget >= 0, "allocate: budget = {}: expected a count >= 0", budget);
  AUTOSCALE_CHECK(weights.size() == pool.size(), "allocate: {} weights for {} pool_sizes", weights.size(), pool.size());
  const size_t K = weights.size();
  double weight_sum = 0;
  int64_t pool_sum = 0;
  for (size_t k = 0; k < K; ++k) {
    AUTOSCALE_CHECK(std::isfinite(weights[k]) && weights[k] >= 0, "allocate: weights[{}] = {}: expected a number >= 0",
                    k, weights[k]);
    AUTOSCALE_CHECK(pool[k] >= 0, "allocate: pool_sizes[{}] = {}: expected a count >= 0", k, pool[k]);
    weight_sum += weights[k];
    pool_sum += pool[k];
  }
  std::vector<int64_t> n(K, 0);
  if (budget == 0 || pool_sum == 0) return n;
  AUTOSCALE_CHECK(weight_sum > 0, "allocate: the weights of {} clusters are all 0", K);

  int64_t left = std::min(budget, pool_sum);
  // Each round either places everything or fills at least one cluster, which then leaves the
  // open set: at most K rounds with weights, then at most K without.
  for (bool weighted : {true, false}) {
    while (left > 0) {
      std::vector<size_t> open;
      for (size_t k = 0; k < K; ++k) {
        if (n[k] < pool[k] && (weights[k] > 0) == weighted) open.push_back(k);
      }
      if (open.empty()) break;
      const std::vector<double> w = weighted ? weights : std::vector<double>(K, 1.0);
      left -= place(left, w, open, pool, n);
    }
  }
  return n;
}

}  // namespace autoscale::mixture
