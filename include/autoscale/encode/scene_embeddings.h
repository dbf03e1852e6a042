// Embeddings of every scene of a set of stores, by the configured method: the Graph-RAE (trained
// on these scenes, or loaded) or the hand-made descriptor baseline. Rows follow the stores'
// order, with each scene's token, log, source log and domain.
#pragma once

#include <string>
#include <vector>

#include "autoscale/encode/graph.h"
#include "autoscale/encode/graph_rae.h"
#include "autoscale/mixture/embeddings.h"
#include "autoscale/scene/store.h"

namespace autoscale::encode {

struct EmbedRequest {
  std::string method = "graph_rae";  // graph_rae | descriptor
  GraphOptions graph;
  GraphRaeOptions graph_rae;
  uint64_t seed = 0;
  std::string load;  // graph_rae: embed with this trained model instead of training one
  std::string save;  // graph_rae: save the trained model here ("" = not saved)
  bool verbose = true;
};

mixture::Embeddings embed_stores(const std::vector<const scene::SceneStore*>& stores, const EmbedRequest& request);

}  // namespace autoscale::encode
