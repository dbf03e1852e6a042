#include "autoscale/loop/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <unordered_map>

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

namespace {

// Linear interpolation between the order statistics of a sorted, non-empty sample.
double percentile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto i = static_cast<size_t>(std::floor(pos));
  const size_t j = std::min(i + 1, sorted.size() - 1);
  return sorted[i] + (pos - static_cast<double>(i)) * (sorted[j] - sorted[i]);
}

}  // namespace

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
  r.lo = percentile(means, 0.025);
  r.hi = percentile(means, 0.975);
  return r;
}

std::vector<ScoredRun> pair_runs(const std::vector<ScoredRun>& a, const std::vector<ScoredRun>& b) {
  std::vector<ScoredRun> out;
  for (const auto& x : a) {
    const auto partner = std::find_if(b.begin(), b.end(), [&](const ScoredRun& y) {
      return y.fold == x.fold && y.seed == x.seed;
    });
    if (partner == b.end()) continue;
    std::unordered_map<std::string, double> theirs;
    for (size_t i = 0; i < partner->tokens.size(); ++i) theirs.emplace(partner->tokens[i], partner->values.at(i));
    ScoredRun d{x.fold, x.seed, {}, {}, {}};
    for (size_t i = 0; i < x.tokens.size(); ++i) {
      const auto it = theirs.find(x.tokens[i]);
      if (it == theirs.end()) continue;
      d.tokens.push_back(x.tokens[i]), d.logs.push_back(x.logs.at(i)), d.values.push_back(x.values.at(i) - it->second);
    }
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// Per fold: its test logs, and per seed the sum and count of the window values of each log.
struct FoldData {
  std::vector<std::vector<double>> sum, count;  // [seed][log]
  double windows = 0;                            // weight of the fold in the overall mean
};

// A fold's estimate from the chosen seeds and logs (indices, repeats allowed): the mean over
// seeds of the window-weighted mean over logs.
double fold_estimate(const FoldData& f, const std::vector<size_t>& seeds, const std::vector<size_t>& logs) {
  double total = 0;
  for (size_t s : seeds) {
    double sum = 0, count = 0;
    for (size_t l : logs) sum += f.sum[s][l], count += f.count[s][l];
    total += count > 0 ? sum / count : 0;
  }
  return total / static_cast<double>(seeds.size());
}

}  // namespace

Effect two_level_bootstrap(const std::vector<ScoredRun>& runs, int64_t resamples, uint64_t seed) {
  AUTOSCALE_CHECK(!runs.empty(), "two_level_bootstrap: no runs");
  AUTOSCALE_CHECK(resamples >= 1, "two_level_bootstrap: {} resamples", resamples);
  // Index folds, their logs and seeds in sorted order, so the result does not depend on the
  // order of `runs`.
  std::map<int64_t, std::map<std::string, size_t>> fold_logs;
  std::map<int64_t, std::map<uint64_t, size_t>> fold_seeds;
  for (const auto& r : runs) {
    AUTOSCALE_CHECK(r.logs.size() == r.values.size(), "two_level_bootstrap: fold {} seed {}: {} logs for {} values",
                    r.fold, r.seed, r.logs.size(), r.values.size());
    fold_seeds[r.fold][r.seed] = 0;
    for (size_t i = 0; i < r.values.size(); ++i) {
      AUTOSCALE_CHECK(std::isfinite(r.values[i]), "two_level_bootstrap: fold {} seed {}: window {} of log {} is {}",
                      r.fold, r.seed, i, r.logs[i], r.values[i]);
      fold_logs[r.fold][r.logs[i]] = 0;
    }
  }
  Effect e;
  std::vector<FoldData> folds;
  std::map<int64_t, size_t> fold_index;
  e.seeds = std::numeric_limits<int64_t>::max();
  for (auto& [fold, logs] : fold_logs) {
    size_t i = 0;
    for (auto& [log, index] : logs) index = i++;
    i = 0;
    auto& seeds = fold_seeds[fold];
    for (auto& [s, index] : seeds) index = i++;
    fold_index[fold] = folds.size();
    folds.push_back({std::vector<std::vector<double>>(seeds.size(), std::vector<double>(logs.size(), 0.0)),
                     std::vector<std::vector<double>>(seeds.size(), std::vector<double>(logs.size(), 0.0)), 0});
    e.seeds = std::min<int64_t>(e.seeds, static_cast<int64_t>(seeds.size()));
    e.logs += static_cast<int64_t>(logs.size());
  }
  for (const auto& r : runs) {
    auto& f = folds[fold_index.at(r.fold)];
    const size_t s = fold_seeds[r.fold].at(r.seed);
    for (size_t i = 0; i < r.values.size(); ++i) {
      const size_t l = fold_logs[r.fold].at(r.logs[i]);
      f.sum[s][l] += r.values[i], f.count[s][l] += 1;
    }
  }
  for (auto& f : folds) {  // a fold weighs by its windows per seed
    double c = 0;
    for (const auto& per_seed : f.count) {
      for (double v : per_seed) c += v;
    }
    f.windows = c / static_cast<double>(f.count.size());
    e.windows += static_cast<int64_t>(std::llround(f.windows));
  }
  AUTOSCALE_CHECK(e.windows > 0, "two_level_bootstrap: no windows in {} runs", runs.size());
  e.folds = static_cast<int64_t>(folds.size());
  double weight = 0;
  for (const auto& f : folds) weight += f.windows;
  auto estimate = [&](const std::vector<std::vector<size_t>>& seeds, const std::vector<std::vector<size_t>>& logs) {
    double total = 0;
    for (size_t k = 0; k < folds.size(); ++k) total += folds[k].windows * fold_estimate(folds[k], seeds[k], logs[k]);
    return total / weight;
  };
  auto iota = [](size_t n) {
    std::vector<size_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = i;
    return v;
  };
  std::vector<std::vector<size_t>> all_seeds, all_logs;
  for (const auto& f : folds) all_seeds.push_back(iota(f.sum.size())), all_logs.push_back(iota(f.sum[0].size()));
  e.mean = estimate(all_seeds, all_logs);

  e.has_ci = e.seeds >= 2;
  if (!e.has_ci) {  // one seed says nothing about seed noise: no interval rather than a narrow one
    e.lo = e.hi = e.se = e.mde = std::numeric_limits<double>::quiet_NaN();
    return e;
  }
  std::mt19937_64 rng(seed);
  auto draw = [&](size_t n) {
    std::vector<size_t> v(n);
    for (auto& x : v) x = static_cast<size_t>(rng() % n);  // modulo bias ~n/2^64: negligible
    return v;
  };
  std::vector<double> estimates(static_cast<size_t>(resamples));
  std::vector<std::vector<size_t>> seeds(folds.size()), logs(folds.size());
  for (auto& est : estimates) {
    for (size_t k = 0; k < folds.size(); ++k) {
      logs[k] = draw(folds[k].sum[0].size());
      seeds[k] = draw(folds[k].sum.size());
    }
    est = estimate(seeds, logs);
  }
  e.se = stddev(estimates);
  e.mde = kMdeFactor * e.se;
  std::sort(estimates.begin(), estimates.end());
  e.lo = percentile(estimates, 0.025);
  e.hi = percentile(estimates, 0.975);
  return e;
}

}  // namespace autoscale::loop
