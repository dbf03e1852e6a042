#include "autoscale/mixture/mixture_config.h"

namespace autoscale::mixture {

void MixtureConfig::visit(ConfigVisitor& v) {
  v.section("kmeans", kmeans, "scene types: spherical k-means on the embeddings");
  v.section("index", index, "nearest-neighbour index of the embeddings");
}

}  // namespace autoscale::mixture
