// `autoscale run` (the closed loop), `autoscale compare` (every method side by side) and
// `autoscale report` (the HTML report of a run directory).
#include <CLI/CLI.hpp>

#include <memory>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"
#include "autoscale/loop/engine.h"
#include "autoscale/loop/run_report.h"
#include "command.h"
#include "commands.h"

namespace autoscale::cli {

namespace fs = std::filesystem;

loop::ExperimentConfig experiment_config(const Invocation& inv) {
  loop::ExperimentConfig e;
  static_cast<loop::ExperimentSections&>(e) = inv.config;  // the run's sections, as the user wrote them
  e.config_yaml = inv.config_yaml;
  e.command_line = inv.command_line;
  return e;
}

std::string default_run_dir(const std::string& config_path) {
  const std::time_t t = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&t));
  const std::string name = config_path.empty() ? "defaults" : fs::path(config_path).stem().string();
  return (fs::path("runs") / (name + "-" + stamp)).string();
}

int run_loop(const RunArgs& args, const Invocation& inv) {
  const auto cfg = experiment_config(inv);
  std::string dir = args.resume;
  loop::RunPlan plan;
  if (!args.resume.empty()) {
    plan = loop::read_run_plan(args.resume);
    std::printf("resuming %s (%s of %zu methods x %zu seeds)\n", dir.c_str(), plan.command.c_str(), plan.methods.size(),
                plan.seeds.size());
  } else {
    dir = args.out.empty() ? default_run_dir(inv.config_path) : args.out;
    AUTOSCALE_CHECK(!fs::exists(fs::path(dir) / "run.json"),
                    "{}: already holds a run; continue it with --resume {} or choose another -o", dir, dir);
    plan = args.compare ? loop::plan_for_compare(cfg) : loop::plan_for_run(cfg);
  }
  loop::RunSlice slice;
  slice.max_steps = args.max_steps;
  slice.job = args.job;
  const auto summary = loop::run_experiment(cfg, plan, dir, slice);
  if (!summary.complete) {
    std::printf("paused: %s has unfinished jobs (of %zu); continue with: autoscale %s --resume %s\n", dir.c_str(),
                summary.jobs_total, plan.command.c_str(), dir.c_str());
    return 0;
  }
  std::printf("\n%s\n", summary.table.c_str());
  if (args.report) {
    const std::string html = (fs::path(dir) / "report.html").string();
    loop::write_report(dir, html);
    std::printf("report: %s\n", html.c_str());
  }
  std::printf("run directory: %s\n", dir.c_str());
  return 0;
}

int run_report(const ReportArgs& args, const Invocation&) {
  const std::string out = args.out.empty() ? (fs::path(args.run) / "report.html").string() : args.out;
  loop::write_report(args.run, out);
  std::printf("report: %s\n", out.c_str());
  return 0;
}

int run_paired(const PairedArgs& args, const Invocation& inv) {
  const auto r = loop::compare_across_runs(args.run_a, args.method_a, args.run_b, args.method_b,
                                           inv.config.loop.compare.bootstrap,
                                           derive_seed(static_cast<uint64_t>(inv.config.run.seed), "bootstrap"));
  const auto& d = r.delta;
  std::printf("ΔPDMS %s (%s) − %s (%s): %+.4f", args.method_a.c_str(), args.run_a.c_str(), args.method_b.c_str(),
              args.run_b.c_str(), d.mean);
  if (d.has_ci) std::printf(" [%+.4f, %+.4f], SE %.4f, MDE %.4f", d.lo, d.hi, d.se, d.mde);
  std::printf("\n%zu paired runs: %lld folds x %lld seeds, %lld logs, %lld windows\n", r.pairs,
              static_cast<long long>(d.folds), static_cast<long long>(d.seeds), static_cast<long long>(d.logs),
              static_cast<long long>(d.windows));
  return 0;
}

Commands bind_run(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<RunArgs>();
  auto* run_cmd = app.add_subcommand("run", "the closed loop: search the synthetic mixture (loop.method), train, score");
  auto* compare_cmd = app.add_subcommand("compare", "every method of loop.compare side by side: same steps, seeds, scoring");
  for (auto* cmd : {run_cmd, compare_cmd}) {
    cmd->add_option("-o,--out", args->out, "run directory (default runs/<config name>-<time>)");
    cmd->add_option("--resume", global.resume, "continue this run directory from its last completed step");
    cmd->add_flag("--no-report", [args](int64_t) { args->report = false; }, "do not write RUN/report.html");
    cmd->add_option("--max-steps", args->max_steps,
                    "run at most this many steps (loop iterations, final trainings), then pause; 0 = only prepare the run")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--job", args->job, "only the plan's job with this index (0-based; a Slurm array task)")
        ->check(CLI::NonNegativeNumber);
  }
  auto run = [args, &global](bool compare) {
    return [args, &global, compare](const Invocation& inv) {
      RunArgs a = *args;
      a.compare = compare;
      a.resume = global.resume;
      return run_loop(a, inv);
    };
  };
  return {{run_cmd, run(false)}, {compare_cmd, run(true)}};
}

Commands bind_report(CLI::App& app, GlobalOptions&) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "write the self-contained HTML report of a run directory");
  cmd->add_option("run", args->run, "run directory")->required();
  cmd->add_option("-o,--out", args->out, "HTML file (default RUN/report.html)");
  return {{cmd, [args](const Invocation& inv) { return run_report(*args, inv); }}};
}

Commands bind_paired(CLI::App& app, GlobalOptions&) {
  auto args = std::make_shared<PairedArgs>();
  auto* cmd = app.add_subcommand(
      "paired", "ΔPDMS of a method in one run against a method in another, paired by fold, seed and test window");
  cmd->add_option("run_a", args->run_a, "run directory A")->required();
  cmd->add_option("method_a", args->method_a, "method of A (METHOD@N: at budget N)")->required();
  cmd->add_option("run_b", args->run_b, "run directory B (the reference)")->required();
  cmd->add_option("method_b", args->method_b, "method of B")->required();
  return {{cmd, [args](const Invocation& inv) { return run_paired(*args, inv); }}};
}

}  // namespace autoscale::cli
