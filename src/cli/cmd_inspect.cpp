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
  if (!args.compare.empty()) {
    std::fputs(scene::compare_stores(store, scene::SceneStore::open(args.compare)).c_str(), stdout);
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
  cmd->add_option("--compare", args->compare, "another store: per-feature distributions of both and their KS distance");
  return {{cmd, [args](const Invocation& inv) { return run_inspect(*args, inv); }}};
}

}  // namespace autoscale::cli
