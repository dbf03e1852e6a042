#include "autoscale/encode/scene_embeddings.h"

#include <cstdio>

#include "autoscale/core/error.h"

namespace autoscale::encode {

mixture::Embeddings embed_stores(const std::vector<const scene::SceneStore*>& stores, const EmbedRequest& r) {
  AUTOSCALE_CHECK(r.method == "graph_rae" || r.method == "descriptor",
                  "encode.embedding: unknown method {} (graph_rae | descriptor)", quote(r.method));
  if (r.method == "descriptor") return mixture::descriptor_embeddings(stores);
  // The descriptor pass gives the row metadata and the standardised descriptors the Graph-RAE
  // reconstructs; the graphs are built in the same store order.
  std::vector<std::vector<float>> descriptors;
  mixture::Embeddings e = mixture::descriptor_embeddings(stores, &descriptors);
  std::vector<SceneGraph> graphs;
  graphs.reserve(e.size());
  for (const auto* store : stores) {
    store->for_each([&](const scene::Scene& s) { graphs.push_back(build_graph(s, *store->map(s.map_id), r.graph)); });
  }
  GraphRae model(r.graph, r.graph_rae, r.seed);
  if (!r.load.empty()) {
    model.load(r.load);
  } else {
    const auto stats = model.train(graphs, descriptors);
    if (r.verbose) {
      std::printf("trained the Graph-RAE on %zu scenes (%s): loss %.3f -> %.3f over %zu epochs in %.1f s\n",
                  graphs.size(), stats.device.c_str(), stats.epoch_loss.front(), stats.epoch_loss.back(),
                  stats.epoch_loss.size(), stats.seconds);
    }
    if (!r.save.empty()) model.save(r.save);
  }
  e.method = "graph_rae";
  e.dim = static_cast<int>(model.dim());
  e.z = model.embed(graphs);
  return e;
}

}  // namespace autoscale::encode
