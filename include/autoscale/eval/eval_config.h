// The `eval` section of the configuration: which PDM Score and how the ego is simulated. The
// scorer takes EvalOptions; options() makes them.
#pragma once

#include <string>

#include "autoscale/core/config.h"
#include "autoscale/eval/metric_cache.h"

namespace autoscale::eval {

struct EvalConfig {
  std::string pdms_version = "v1";    // v1 = PDMS (NAVSIM v1.1 leaderboard), v2 = EPDMS one-stage
  bool human_filter = true;           // v2: metrics the logged human fails are not held against the agent
  std::string ego_size = "pacifica";  // pacifica (NAVSIM) | recorded (the expert vehicle's own size)

  void visit(ConfigVisitor& v);
  EvalOptions options() const;
};

}  // namespace autoscale::eval
