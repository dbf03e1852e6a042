#include "autoscale/scene/split.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "autoscale/core/error.h"

namespace autoscale::scene {

const char* split_name(Split s) {
  switch (s) {
    case Split::kTrain: return "train";
    case Split::kVal: return "val";
    case Split::kTest: return "test";
  }
  return "?";
}

Split parse_split(const std::string& name) {
  if (name == "train") return Split::kTrain;
  if (name == "val") return Split::kVal;
  if (name == "test") return Split::kTest;
  AUTOSCALE_THROW("unknown split {} (train | val | test)", quote(name));
}

void SplitOptions::visit(ConfigVisitor& v) {
  v.field("val_fraction", val_fraction, "share of the real logs held out for validation", in_range(0.0, 0.9));
  v.field("test_fraction", test_fraction, "share of the real logs held out for the final test", in_range(0.0, 0.9));
  v.field("val_logs", val_logs, "explicit validation logs (override the fraction)");
  v.field("test_logs", test_logs, "explicit test logs (override the fraction)");
  v.field("folds", folds, "cross-fitting: deal the real logs into this many folds stratified by source (0 = off)",
          at_least(0));
  v.field("fold", fold, "cross-fitting: the fold whose logs are the test split", at_least(0));
  v.field("val_logs_per_fold", val_logs_per_fold, "cross-fitting: validation logs taken from the next fold",
          at_least(0));
}

namespace {

// FNV-1a over the seed and the name, then a final avalanche: stable across platforms and runs.
uint64_t log_hash(const std::string& log, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ (seed * 0x9E3779B97F4A7C15ull);
  for (unsigned char c : log) h = (h ^ c) * 1099511628211ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::vector<std::vector<std::string>> fold_logs(const std::vector<std::string>& logs, int64_t folds, uint64_t seed,
                                                const std::map<std::string, std::string>& sources) {
  const std::set<std::string> distinct(logs.begin(), logs.end());
  AUTOSCALE_CHECK(folds >= 2, "data.split.folds: {} folds; cross-fitting needs at least 2", folds);
  AUTOSCALE_CHECK(static_cast<size_t>(folds) <= distinct.size(), "data.split.folds: {} folds for {} real logs", folds,
                  distinct.size());
  std::map<std::string, std::vector<std::pair<uint64_t, std::string>>> by_source;
  for (const auto& l : distinct) {
    const auto it = sources.find(l);
    by_source[it == sources.end() ? "" : it->second].push_back({log_hash(l, seed), l});
  }
  std::vector<std::vector<std::string>> out(static_cast<size_t>(folds));
  size_t next = 0;
  for (auto& [source, ranked] : by_source) {
    std::sort(ranked.begin(), ranked.end());
    for (const auto& [h, l] : ranked) out[next++ % out.size()].push_back(l);
  }
  return out;
}

std::map<std::string, Split> split_logs(const std::vector<std::string>& logs, const SplitOptions& o, uint64_t seed,
                                        const std::map<std::string, std::string>& sources) {
  if (o.folds > 0) {
    AUTOSCALE_CHECK(o.val_logs.empty() && o.test_logs.empty(),
                    "data.split.folds: {} folds cannot be combined with data.split.val_logs/test_logs", o.folds);
    AUTOSCALE_CHECK(o.fold < o.folds, "data.split.fold: {} is not a fold of {} (0..{})", o.fold, o.folds, o.folds - 1);
    const auto folds = fold_logs(logs, o.folds, seed, sources);
    std::map<std::string, Split> out;
    for (const auto& l : logs) out[l] = Split::kTrain;
    for (const auto& l : folds[static_cast<size_t>(o.fold)]) out[l] = Split::kTest;
    const auto& next = folds[static_cast<size_t>((o.fold + 1) % o.folds)];
    AUTOSCALE_CHECK(static_cast<size_t>(o.val_logs_per_fold) <= next.size(),
                    "data.split.val_logs_per_fold: {} of the {} logs of fold {}", o.val_logs_per_fold, next.size(),
                    (o.fold + 1) % o.folds);
    for (size_t i = 0; i < next.size() && i < static_cast<size_t>(o.val_logs_per_fold); ++i) out[next[i]] = Split::kVal;
    size_t train = 0;
    for (const auto& [l, s] : out) train += s == Split::kTrain;
    AUTOSCALE_CHECK(train > 0, "data.split: fold {} of {} leaves no training logs (val_logs_per_fold {})", o.fold,
                    o.folds, o.val_logs_per_fold);
    return out;
  }
  AUTOSCALE_CHECK(o.val_fraction + o.test_fraction < 1.0, "split: val_fraction {} + test_fraction {} leave no training logs",
                  o.val_fraction, o.test_fraction);
  const std::set<std::string> distinct(logs.begin(), logs.end());
  std::map<std::string, Split> out;
  for (const auto& l : distinct) out[l] = Split::kTrain;
  const std::set<std::string> val(o.val_logs.begin(), o.val_logs.end()), test(o.test_logs.begin(), o.test_logs.end());
  for (const auto& l : val) {
    AUTOSCALE_CHECK(!test.count(l), "split: log {} is listed in both val_logs and test_logs", quote(l));
  }
  const bool explicit_lists = !val.empty() || !test.empty();
  if (explicit_lists) {
    // Listed logs absent from the data are fine (a subset of the stores may be loaded).
    for (auto& [l, s] : out) s = test.count(l) ? Split::kTest : (val.count(l) ? Split::kVal : Split::kTrain);
    return out;
  }
  std::vector<std::pair<uint64_t, std::string>> ranked;
  for (const auto& l : distinct) ranked.push_back({log_hash(l, seed), l});
  std::sort(ranked.begin(), ranked.end());
  const size_t n = ranked.size();
  auto count = [&](double f) {
    size_t c = static_cast<size_t>(std::llround(f * static_cast<double>(n)));
    if (f > 0 && n >= 3) c = std::max<size_t>(c, 1);
    return c;
  };
  size_t n_test = count(o.test_fraction), n_val = count(o.val_fraction);
  while (n_test + n_val >= n && n > 0 && (n_test + n_val) > 0) (n_val >= n_test && n_val > 0 ? n_val : n_test)--;
  for (size_t i = 0; i < n; ++i) {
    out[ranked[i].second] = i < n_test ? Split::kTest : (i < n_test + n_val ? Split::kVal : Split::kTrain);
  }
  return out;
}

}  // namespace autoscale::scene
