#include "autoscale/eval/eval_config.h"

namespace autoscale::eval {

void EvalConfig::visit(ConfigVisitor& v) {
  v.renamed("version", "pdms_version");  // before issue 18
  v.field("pdms_version", pdms_version, "PDM Score version", Choices{"v1", "v2"});
  v.field("human_filter", human_filter, "v2: ignore metrics the logged human fails too");
  v.field("ego_size", ego_size, "simulated ego footprint: NAVSIM's Pacifica, or the recorded expert vehicle's size",
          Choices{"pacifica", "recorded"});
}

EvalOptions EvalConfig::options() const {
  EvalOptions o;
  o.version = parse_version(pdms_version);
  o.human_filter = human_filter;
  o.recorded_ego_size = ego_size == "recorded";
  return o;
}

}  // namespace autoscale::eval
