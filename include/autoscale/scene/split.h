// Log-disjoint train / validation / test splits. A log (one recording) lands in exactly one
// split, so no scene of a held-out log, and no synthetic scene derived from one, is trained on.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "autoscale/core/config.h"

namespace autoscale::scene {

enum class Split : uint8_t { kTrain = 0, kVal = 1, kTest = 2 };
const char* split_name(Split s);
Split parse_split(const std::string& name);  // train | val | test; Error otherwise

struct SplitOptions {
  double val_fraction = 0.15;   // share of the real logs held out for validation (Cluster-GA feedback)
  double test_fraction = 0.15;  // share held out for the final test
  std::vector<std::string> val_logs;   // explicit logs; they override the fractions
  std::vector<std::string> test_logs;
  // Cross-fitting (mixture-review §5): the logs are dealt into `folds` folds, stratified by
  // source; fold `fold` is the test split, the first `val_logs_per_fold` logs of the next fold
  // validate, the rest train. 0 folds = the fractions or explicit lists above.
  int64_t folds = 0;
  int64_t fold = 0;
  int64_t val_logs_per_fold = 1;

  void visit(ConfigVisitor& v);
};

// Assigns every distinct log of `logs`. Logs are ranked by a seeded hash of their name, so the
// assignment depends only on (seed, the set of logs), not on their order; explicit lists win.
// With fractions > 0 and at least 3 logs, the val and test splits get at least one log each and
// the train split keeps at least one. With options.folds, `sources` (log -> data source, e.g.
// its importer) stratifies the folds; a log without a source counts as source "".
std::map<std::string, Split> split_logs(const std::vector<std::string>& logs, const SplitOptions& options,
                                        uint64_t seed, const std::map<std::string, std::string>& sources = {});

// The test logs of every fold (cross-fitting), in dealing order: each source's logs ranked by
// a seeded hash, sources in name order, dealt round-robin so folds differ by at most one log
// and every source spreads over the folds. Error for fewer logs than folds or folds < 2.
std::vector<std::vector<std::string>> fold_logs(const std::vector<std::string>& logs, int64_t folds, uint64_t seed,
                                                const std::map<std::string, std::string>& sources);

}  // namespace autoscale::scene
