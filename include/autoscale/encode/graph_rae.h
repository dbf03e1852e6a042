// Graph-RAE (mixture-design 4.2): a graph-regularised deterministic autoencoder of scene graphs.
// Node encoders per type, attention message passing along the typed edges, an ego-query readout
// to z; trained with descriptor reconstruction, masked node completion, an in-batch graph
// Laplacian term on descriptor kNN, NT-Xent between augmented views and a behaviour-metric term
// on ego-future ADE. LibTorch stays behind this header (pimpl): callers pass plain vectors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/encode/graph.h"

namespace autoscale::encode {

struct GraphRaeOptions {
  int64_t dim = 128;         // embedding size
  int64_t hidden = 128;      // node state size
  int64_t rounds = 3;        // message-passing rounds
  int64_t heads = 4;
  int64_t epochs = 30;
  int64_t batch = 64;
  double lr = 1e-3;          // Adam, cosine decay over the epochs
  double lambda_graph = 0.1;
  double lambda_contrastive = 0.5;
  double lambda_metric = 0.5;
  double beta = 1e-4;        // RAE's penalty on ||z||^2
  double temperature = 0.1;  // NT-Xent
  double sigma_future_m = 2.0;
  double mask_ratio = 0.15;  // masked node completion
  int64_t knn = 10;          // descriptor neighbours of the Laplacian term

  void visit(ConfigVisitor& v);
};

struct TrainStats {
  std::vector<double> epoch_loss;  // mean total loss per epoch
  double seconds = 0;
  std::string device;              // "cpu" or "cuda"
};

class GraphRae {
 public:
  GraphRae(GraphOptions graph, GraphRaeOptions options, uint64_t seed);
  ~GraphRae();
  GraphRae(GraphRae&&) noexcept;
  GraphRae& operator=(GraphRae&&) noexcept;

  // descriptors: one standardised descriptor per graph (the reconstruction and Laplacian target).
  TrainStats train(const std::vector<SceneGraph>& graphs, const std::vector<std::vector<float>>& descriptors);
  // Unit-norm embeddings, n x dim; a scene's embedding does not depend on its batch-mates.
  // Scenes are embedded in consecutive batches of kEmbedBatch. A scene's bits may depend on
  // its place in the batch (BLAS picks tail kernels by shape on some CPUs), so a sharded
  // embedding hands out whole batches to reproduce one process bit for bit.
  static constexpr size_t kEmbedBatch = 64;
  std::vector<float> embed(const std::vector<SceneGraph>& graphs) const;

  void save(const std::string& path) const;  // atomic
  void load(const std::string& path);         // the same options must have built this model

  int64_t dim() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autoscale::encode
