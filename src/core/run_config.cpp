#include "autoscale/core/run_config.h"

namespace autoscale {

void RunConfig::visit(ConfigVisitor& v) {
  v.field("seed", seed, "seed of every random choice (same seed, same result on CPU)", at_least(0));
  v.field("threads", threads, "worker threads for OpenMP/BLAS/torch; 0 = every core this process may use (its CPU affinity)", at_least(0));
}

}  // namespace autoscale
