#include <CLI/CLI.hpp>

#include <memory>
#include <cstdio>

#include "autoscale/core/error.h"
#include "autoscale/store/features.h"
#include "autoscale/store/inspect.h"
#include "command.h"
#include "commands.h"

namespace autoscale::cli {

int run_inspect(const InspectArgs& args, const Invocation& inv) {
  const auto store = scene::SceneStore::open(args.store);
  std::vector<scene::SceneStore> others;
  for (const auto& path : args.compare) others.push_back(scene::SceneStore::open(path));
  if (args.by_source) {
    std::vector<const scene::SceneStore*> all{&store};
    for (const auto& o : others) all.push_back(&o);
    std::fputs(scene::domain_gap_by_source(all).c_str(), stdout);
    return 0;
  }
  if (!others.empty()) {
    for (const auto& o : others) std::fputs(scene::compare_stores(store, o).c_str(), stdout);
    return 0;
  }
  const auto summary = scene::summarize_store(store, !args.json);
  const std::string text = args.json ? scene::summary_json(summary) + "\n"
                                     : scene::format_summary(summary, args.max_problems);
  std::fputs(text.c_str(), stdout);
  // A store with invalid scenes or maps is not fit to train or score on: scripts must see it
  // (issue 23), so problems exit 3 whether or not --strict was given.
  if (summary.problems.empty()) return 0;
  std::fprintf(stderr, "error: scene store %s: %zu problem(s) found (listed in the report)\n",
               quote(args.store).c_str(), summary.problems.size());
  return 3;
}

Commands bind_inspect(CLI::App& app, GlobalOptions&) {
  auto args = std::make_shared<InspectArgs>();
  auto* cmd = app.add_subcommand("inspect", "summarise and validate a scene store");
  cmd->add_option("store", args->store, "scene store directory")->required();
  cmd->add_flag("--json", args->json, "print JSON instead of the report");
  cmd->add_flag("--strict", args->strict, "accepted for older scripts: any invalid scene or map always exits with code 3");
  cmd->add_option("--max-problems", args->max_problems, "problems listed in the report");
  cmd->add_option("--compare", args->compare,
                  "other stores: per-feature distributions of the store and each, and their KS distance");
  cmd->add_flag("--by-source", args->by_source,
                "the domain-gap table by source (data set or generator) over the store and the --compare stores: "
                "KS distances against the real scenes of every other source");
  return {{cmd, [args](const Invocation& inv) { return run_inspect(*args, inv); }}};
}

}  // namespace autoscale::cli
