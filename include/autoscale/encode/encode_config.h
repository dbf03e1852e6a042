// The `encode` section of the configuration: which scene embedding, and the Graph-RAE's graph and
// model options.
#pragma once

#include <string>

#include "autoscale/core/config.h"
#include "autoscale/encode/graph.h"
#include "autoscale/encode/graph_rae.h"

namespace autoscale::encode {

struct EncodeConfig {
  std::string embedding = "graph_rae";  // graph_rae | descriptor (the hand-made baseline)
  GraphOptions graph;
  GraphRaeOptions graph_rae;
  void visit(ConfigVisitor& v);
};

}  // namespace autoscale::encode
