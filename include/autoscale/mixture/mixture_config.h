// The `mixture` section of the configuration: scene types (k-means) and the embeddings' index.
#pragma once

#include "autoscale/core/config.h"
#include "autoscale/mixture/kmeans.h"
#include "autoscale/mixture/vector_index.h"

namespace autoscale::mixture {

struct MixtureConfig {
  KMeansParams kmeans;
  IndexParams index;
  void visit(ConfigVisitor& v);
};

}  // namespace autoscale::mixture
