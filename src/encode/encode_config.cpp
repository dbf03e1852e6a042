#include "autoscale/encode/encode_config.h"

namespace autoscale::encode {

void EncodeConfig::visit(ConfigVisitor& v) {
  v.field("embedding", embedding, "scene embedding", Choices{"graph_rae", "descriptor"});
  v.section("graph", graph, "the scene graph the Graph-RAE reads");
  v.section("graph_rae", graph_rae, "the Graph-RAE model and its training");
  v.field("fit_scenes", fit_scenes,
          "graph_rae: fit on at most this many scenes (a seeded sample; 0 = all), then embed every scene in a "
          "streamed pass [scenes]",
          at_least(0));
}

}  // namespace autoscale::encode
