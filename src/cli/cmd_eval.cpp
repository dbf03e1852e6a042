// `autoscale score` (case files) and `autoscale eval` (a store with an agent).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/threads.h"
#include "autoscale/eval/case_file.h"
#include "autoscale/eval/evaluate.h"
#include "commands.h"

namespace autoscale::cli {

eval::EvalOptions eval_options(const AppConfig& config) {
  eval::EvalOptions o;
  o.version = eval::parse_version(config.eval.version);
  o.human_filter = config.eval.human_filter;
  o.recorded_ego_size = config.eval.ego_size == "recorded";
  return o;
}

int run_score(const ScoreArgs& args, const Invocation& inv) {
  const auto options = eval_options(inv.config);
  const auto cases = eval::read_cases(args.cases);
  std::vector<std::string> lines(cases.size());
  std::vector<std::string> errors(cases.size());
  // Cases are independent: score them in parallel, print in input order.
  parallel_for(cases.size(), [&](size_t i) {
    try {
      const auto cache = eval::MetricCache::build(cases[i].inputs, options);
      lines[i] = eval::score_json(cases[i].inputs.token, cache.score(cases[i].trajectory).scores, options.version);
    } catch (const Error& e) {
      errors[i] = fmt::format("{}: {}", args.cases, e.what());
    }
  });
  int rc = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (!errors[i].empty()) {
      std::fprintf(stderr, "error: %s\n", errors[i].c_str());
      rc = 1;
    } else {
      std::printf("%s\n", lines[i].c_str());
    }
  }
  return rc;
}

int run_eval(const EvalArgs& args, const Invocation& inv) {
  const auto options = eval_options(inv.config);
  const auto store = scene::SceneStore::open(args.scenes);
  std::vector<size_t> rows;
  if (args.split.empty()) {
    for (size_t i = 0; i < store.size(); ++i) rows.push_back(i);
  } else {  // the real scenes of one log-disjoint split, as `autoscale train` splits them
    const scene::Split wanted = with_context("--split", [&] { return scene::parse_split(args.split); });
    const auto splits = real_log_splits({&store}, inv.config);
    for (size_t i = 0; i < store.size(); ++i) {
      const auto& e = store.index()[i];
      if (e.domain == scene::Domain::kReal && splits.at(e.log) == wanted) rows.push_back(i);
    }
    std::printf("split %s: %zu of %zu scenes\n", args.split.c_str(), rows.size(), store.size());
  }
  if (args.limit && rows.size() > args.limit) rows.resize(args.limit);
  const bool learned = std::filesystem::is_regular_file(args.agent);
  const auto agent = learned ? learned_agent(args.agent, store, rows, inv.config) : eval::make_agent(args.agent);
  const auto report = eval::evaluate_store(store, *agent, options, rows);
  if (!args.out.empty()) {
    write_file_atomic(args.out, eval::report_csv(report));
    write_file_atomic(args.out + ".config.yaml", "# " + inv.command_line + "\n" + inv.config_yaml);
    spdlog::info("per-token scores written to {}", args.out);
  }
  std::fputs(eval::report_table(report).c_str(), stdout);
  return report.valid() == 0 && !report.scenes.empty() ? 1 : 0;
}

}  // namespace autoscale::cli
