// Embeddings of every scene of a set of stores, by the configured method: the Graph-RAE (trained
// on these scenes, or loaded) or the hand-made descriptor baseline. Rows follow the stores'
// order, with each scene's token, log, source log and domain.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "autoscale/encode/graph.h"
#include "autoscale/encode/graph_rae.h"
#include "autoscale/mixture/embeddings.h"
#include "autoscale/store/store.h"

namespace autoscale::encode {

struct EmbedRequest {
  std::string method = "graph_rae";  // graph_rae | descriptor
  GraphOptions graph;
  GraphRaeOptions graph_rae;
  uint64_t seed = 0;
  std::string load;  // graph_rae: embed with this trained model instead of training one
  std::string save;  // graph_rae: save the trained model here ("" = not saved)
  bool fit_only = false;  // graph_rae: train and save the model, embed nothing (z stays empty)
  // graph_rae: fit on at most this many scenes, a uniform sample drawn from `seed` (0 = every
  // scene). When it is fewer than the scenes, the graphs are built twice (the sample's for the fit,
  // then every scene's in a streamed pass) so memory holds the sample's graphs and the N x dim
  // embedding, not N graphs.
  size_t fit_scenes = 0;
  bool verbose = true;
  // graph_rae: scenes of these logs (or derived from them) are embedded but not trained on,
  // so a cross-fitted fold's test logs never shape the embedding it is clustered in.
  std::set<std::string> fit_exclude_logs;
  // Part `shard` of `shards`: only the scenes whose embedding batch (rows over all stores, in
  // order, in blocks of GraphRae::kEmbedBatch) is shard mod shards, so every scene is embedded
  // in the same batch as in one process (same bits on any BLAS kernel). Needs a loaded model (the Graph-RAE trains on every scene once); the
  // parts merge with merge_embeddings into what one process makes.
  size_t shard = 0, shards = 1;
};

mixture::Embeddings embed_stores(const std::vector<const scene::SceneStore*>& stores, const EmbedRequest& request);

// The parts of a sharded embedding, rows in the stores' order. Error for different methods or
// dimensions, a scene in two parts, a scene not in the stores, or a scene of the stores missing.
mixture::Embeddings merge_embeddings(const std::vector<const scene::SceneStore*>& stores,
                                     const std::vector<mixture::Embeddings>& parts, const std::vector<std::string>& names);

}  // namespace autoscale::encode
