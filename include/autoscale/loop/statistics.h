// Statistics of the comparison table (mixture-review §2b, §5): mean ± std over seeds, and the
// effect of a method against a reference with a two-level bootstrap that keeps the two sources
// of noise a method comparison has: which test logs were drawn (windows of one log are nearly
// duplicates, so the log is the unit) and which seed trained the model.
#pragma once

#include <cstdint>
#include <string>
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
// different sizes, fewer than 2 scenes or non-finite values. Scene-level only: it knows no
// seeds or logs, so it is too narrow for a method comparison (use two_level_bootstrap).
PairedDifference paired_bootstrap(const std::vector<double>& a, const std::vector<double>& b, int64_t resamples,
                                  uint64_t seed);

// One trained model's test windows (a fold and seed of one method), each with its log and
// score, or with the difference of two methods' scores on the same window (a paired run: the
// two models share the seed, so initialisation and data order are common random numbers).
struct ScoredRun {
  int64_t fold = 0;
  uint64_t seed = 0;
  std::vector<std::string> tokens;  // per window
  std::vector<std::string> logs;    // per window
  std::vector<double> values;       // per window: a PDMS, or a difference of two
};

// Pairs two methods' runs of the same (fold, seed) on the windows both scored: values a − b.
// Runs of `a` without a partner in `b` are left out.
std::vector<ScoredRun> pair_runs(const std::vector<ScoredRun>& a, const std::vector<ScoredRun>& b);

struct Effect {
  double mean = 0;        // folds weighted by their windows; within a fold, seeds equally
  double lo = 0, hi = 0;  // 95% percentile interval (NaN without one: see has_ci)
  double se = 0;          // bootstrap standard error (NaN without an interval)
  double mde = 0;         // minimal detectable effect at 5% two-sided and 80% power: 2.80 · se
  bool has_ci = false;    // every fold has ≥ 2 seeds: with one seed, seed noise is unmeasured
  int64_t folds = 0, seeds = 0, logs = 0, windows = 0;  // seeds: the fewest of any fold
};

// The estimate and its two-level bootstrap: each replicate draws, inside every fold, its test
// logs with replacement (all of a log's windows together) and its seeds with replacement;
// folds are kept (they partition the logs). Deterministic in `seed`. Error for no runs, no
// windows, non-finite values, or mismatched logs/values.
Effect two_level_bootstrap(const std::vector<ScoredRun>& runs, int64_t resamples, uint64_t seed);

// The z-score sum of the MDE: z_{0.975} + z_{0.80}.
inline constexpr double kMdeFactor = 1.959963984540054 + 0.8416212335729143;

}  // namespace autoscale::loop
