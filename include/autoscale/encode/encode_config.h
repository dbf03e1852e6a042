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
  // The Graph-RAE is fitted on at most this many scenes (a seeded uniform sample; 0 = all), then
  // embeds every scene in a streamed pass: at navtrain scale a fit on every scene costs hours per
  // epoch and holds every scene graph in memory.
  int64_t fit_scenes = 50000;
  void visit(ConfigVisitor& v);
};

}  // namespace autoscale::encode
