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

std::map<std::string, Split> split_logs(const std::vector<std::string>& logs, const SplitOptions& o, uint64_t seed) {
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
