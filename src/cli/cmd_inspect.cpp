#include <cstdio>

#include "autoscale/scene/features.h"
#include "autoscale/scene/inspect.h"
#include "commands.h"

namespace autoscale::cli {

int run_inspect(const InspectArgs& args, const Invocation& inv) {
  const auto store = scene::SceneStore::open(args.store);
  if (!args.compare.empty()) {
    std::fputs(scene::compare_stores(store, scene::SceneStore::open(args.compare)).c_str(), stdout);
    return 0;
  }
  const auto summary = scene::summarize_store(store, !args.json);
  const std::string text = args.json ? scene::summary_json(summary) + "\n"
                                     : scene::format_summary(summary, args.max_problems);
  std::fputs(text.c_str(), stdout);
  return args.strict && !summary.problems.empty() ? 3 : 0;
}

}  // namespace autoscale::cli
