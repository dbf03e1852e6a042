#include "autoscale/loop/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "autoscale/core/error.h"

namespace autoscale::loop {

double mean(const std::vector<double>& x) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

double stddev(const std::vector<double>& x) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (x.size() == 1) return 0;
  const double m = mean(x);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return std::sqrt(ss / static_cast<double>(x.size() - 1));
}

PairedDifference paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b, int64_t resamples,
                                  uint64_t seed) {
  AUTOSCALE_CHECK(a.size() == b.size(), "paired_bootstrap: {} and {} scenes", a.size(), b.size());
  AUTOSCALE_CHECK(a.size() >= 2, "paired_bootstrap: {} scenes; at least 2 are needed", a.size());
  AUTOSCALE_CHECK(resamples >= 1, "paired_bootstrap: {} resamples", resamples);
  std::vector<double> diff(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    AUTOSCALE_CHECK(std::isfinite(a[i]) && std::isfinite(b[i]), "paired_bootstrap: scene {} has a non-finite score ({}, {})",
                    i, a[i], b[i]);
    diff[i] = a[i] - b[i];
  }
  PairedDifference r;
  r.scenes = static_cast<int64_t>(diff.size());
  r.mean = mean(diff);
  std::mt19937_64 rng(seed);
  const uint64_t n = diff.size();
  std::vector<double> means(static_cast<size_t>(resamples));
  for (auto& m : means) {
    double s = 0;
    for (uint64_t i = 0; i < n; ++i) s += diff[rng() % n];  // modulo bias is ~n/2^64: negligible
    m = s / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  auto quantile = [&](double q) {  // linear interpolation between order statistics
    const double pos = q * static_cast<double>(means.size() - 1);
    const auto i = static_cast<size_t>(std::floor(pos));
    const size_t j = std::min(i + 1, means.size() - 1);
    return means[i] + (pos - static_cast<double>(i)) * (means[j] - means[i]);
  };
  r.lo = quantile(0.025);
  r.hi = quantile(0.975);
  return r;
}

}  // namespace autoscale::loop
