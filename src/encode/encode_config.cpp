#include "autoscale/encode/encode_config.h"

namespace autoscale::encode {

void EncodeConfig::visit(ConfigVisitor& v) {
  v.field("embedding", embedding, "scene embedding", Choices{"graph_rae", "descriptor"});
  v.section("graph", graph, "the scene graph the Graph-RAE reads");
  v.section("graph_rae", graph_rae, "the Graph-RAE model and its training");
}

}  // namespace autoscale::encode
