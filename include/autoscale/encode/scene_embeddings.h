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
  bool fit_only = false;  // graph_rae: train and save the model, embed nothing (z stays empty)
  bool verbose = true;
  // Part `shard` of `shards`: only the scenes whose row (over all stores, in order) is
  // shard mod shards. Needs a loaded model (the Graph-RAE trains on every scene once); the
  // parts merge with merge_embeddings into what one process makes.
  size_t shard = 0, shards = 1;
};

mixture::Embeddings embed_stores(const std::vector<const scene::SceneStore*>& stores, const EmbedRequest& request);

// The parts of a sharded embedding, rows in the stores' order. Error for different methods or
// dimensions, a scene in two parts, a scene not in the stores, or a scene of the stores missing.
mixture::Embeddings merge_embeddings(const std::vector<const scene::SceneStore*>& stores,
                                     const std::vector<mixture::Embeddings>& parts, const std::vector<std::string>& names);

}  // namespace autoscale::encode
