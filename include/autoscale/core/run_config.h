// The `run` section of every configuration: the seed every random choice derives from, and the
// worker threads.
#pragma once

#include <cstdint>

#include "autoscale/core/config.h"

namespace autoscale {

struct RunConfig {
  int64_t seed = 0;     // every random choice derives from it
  int64_t threads = 0;  // 0 = all online cores
  void visit(ConfigVisitor& v);
};

}  // namespace autoscale
