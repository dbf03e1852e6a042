// Statistics of the comparison table: mean ± std over seeds and the paired bootstrap CI of the
// PDMS difference between two methods over the same test scenes (mixture-design 5.2).
#pragma once

#include <cstdint>
#include <vector>

namespace autoscale::loop {

double mean(const std::vector<double>& x);    // NaN when empty
double stddev(const std::vector<double>& x);  // sample std (n − 1); 0 for one value, NaN when empty

struct PairedDifference {
  double mean = 0;     // mean over scenes of a_i − b_i
  double lo = 0, hi = 0;  // 2.5% and 97.5% percentiles of the resampled means
  int64_t scenes = 0;
};

// Resamples the scenes (pairs kept together) `resamples` times with the seed. Error for
// different sizes, fewer than 2 scenes or non-finite values.
PairedDifference paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b, int64_t resamples,
                                  uint64_t seed);

}  // namespace autoscale::loop
