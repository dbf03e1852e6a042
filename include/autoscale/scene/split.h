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

  void visit(ConfigVisitor& v);
};

// Assigns every distinct log of `logs`. Logs are ranked by a seeded hash of their name, so the
// assignment depends only on (seed, the set of logs), not on their order; explicit lists win.
// With fractions > 0 and at least 3 logs, the val and test splits get at least one log each and
// the train split keeps at least one.
std::map<std::string, Split> split_logs(const std::vector<std::string>& logs, const SplitOptions& options,
                                        uint64_t seed);

}  // namespace autoscale::scene
