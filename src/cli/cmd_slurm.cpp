// `autoscale slurm submit`: the closed loop as a chain of Slurm batch jobs. One submission is one
// loop step (an iteration, or a job's final training and scoring) plus a small "continue" job
// that depends on it (afterok) and submits the next step, until the run is complete; then it
// writes the report. The first submission starts with a "prepare" job (data, embeddings, plan).
// Step jobs are requeueable: on preemption the training checkpoints on SIGTERM and the requeued
// job resumes it. A failed step ends the chain (--kill-on-invalid-dep); fix the cause, then
// `autoscale slurm submit --resume RUN` picks it up where it stopped.
//
//   RUN/slurm/config.yaml         the resolved config the prepare job starts from
//   RUN/slurm/{prepare,step,continue}.sbatch   the job scripts (readable, re-submittable)
//   RUN/slurm/{fit,embed,merge}.sbatch, graph_rae.pt, parts/   with slurm.encode_shards > 1: the
//                                 Graph-RAE fitted once, the scenes embedded by a job array
//   RUN/slurm/logs/               the jobs' output
//   RUN/slurm/submissions.jsonl   every sbatch call and the job id it returned
#include <CLI/CLI.hpp>

#include <memory>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/subprocess.h"
#include "autoscale/loop/engine.h"
#include "autoscale/loop/run_report.h"
#include "autoscale/loop/slurm_chain.h"
#include "command.h"
#include "commands.h"

namespace autoscale::cli {

namespace fs = std::filesystem;

namespace {

std::string this_binary() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  AUTOSCALE_CHECK(!ec, "slurm: cannot find this program's path (/proc/self/exe): {}", ec.message());
  return exe.string();
}

// sbatch --parsable [options] SCRIPT -> the job id ("DRY<n>" in a dry run); every call is logged
// to RUN/slurm/submissions.jsonl.
std::string submit(const loop::SlurmOptions& slurm, const fs::path& dir, const std::string& script,
                   const std::vector<std::string>& options, bool dry_run, int& dry_ids) {
  std::vector<std::string> argv = {slurm.sbatch, "--parsable"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back((dir / script).string());
  std::string line;
  for (const auto& a : argv) line += (line.empty() ? "" : " ") + loop::shell_quote(a);
  std::string id;
  if (dry_run) {
    id = "DRY" + std::to_string(++dry_ids);
  } else {
    const std::string out = (dir / ".sbatch-output").string();
    const int rc = run_process(argv, out);
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(out);
    AUTOSCALE_CHECK(rc == 0, "slurm: {} exited with {}: {}", line, rc, text);
    id = text.substr(0, text.find_first_of(";\n"));  // --parsable: "id" or "id;cluster"
    AUTOSCALE_CHECK(!id.empty() && id.find_first_not_of("0123456789") == std::string::npos,
                    "slurm: {} printed no job id: {}", line, quote(text));
  }
  std::printf("%s %s\n", dry_run ? "would submit:" : ("submitted " + id + ":").c_str(), line.c_str());
  std::ofstream log(dir / "submissions.jsonl", std::ios::app);
  log << nlohmann::json({{"job", id}, {"script", script}, {"argv", argv}, {"dry_run", dry_run}}).dump() << "\n";
  return id;
}

// Where the run stands: the chain's input. Refuses a new run over an existing one.
loop::SlurmChainInput chain_input(const SlurmSubmitArgs& args, const Invocation& inv, const std::string& run) {
  const auto& cfg = inv.config;
  const fs::path dir = fs::path(run) / "slurm";
  loop::SlurmChainInput in;
  in.slurm = cfg.slurm;
  in.binary = this_binary();
  in.cwd = fs::current_path().string();
  in.run = run;
  in.prepared = fs::exists(fs::path(run) / "run.json");
  if (args.resume.empty()) {
    AUTOSCALE_CHECK(!in.prepared && !fs::exists(dir),
                    "{}: already holds a run; continue it with `autoscale slurm submit --resume {}`", run, run);
  }
  in.fan_out_encode = !in.prepared && cfg.slurm.encode_shards > 1 && cfg.loop.embeddings.empty() &&
                      !fs::exists(fs::path(run) / "embeddings.h5");
  AUTOSCALE_CHECK(!in.fan_out_encode || cfg.encode.embedding == "graph_rae",
                  "slurm.encode_shards: needs encode.embedding=graph_rae, not {}", cfg.encode.embedding);
  in.model_fitted = fs::exists(dir / "graph_rae.pt");
  in.scenes = cfg.loop.real;
  in.scenes.insert(in.scenes.end(), cfg.loop.synthetic.begin(), cfg.loop.synthetic.end());
  const loop::RunPlan plan = in.prepared    ? loop::read_run_plan(run)
                             : args.compare ? loop::plan_for_compare(experiment_config(inv))
                                            : loop::plan_for_run(experiment_config(inv));
  in.command = plan.command;
  in.jobs = loop::plan_jobs(plan, 0).size();
  return in;
}

}  // namespace

int run_slurm_submit(const SlurmSubmitArgs& args, const Invocation& inv) {
  const bool resume = !args.resume.empty();
  const std::string run = fs::absolute(resume ? args.resume : args.out.empty() ? default_run_dir(inv.config_path) : args.out)
                              .lexically_normal()
                              .string();
  if (resume && loop::run_complete(run)) {
    const std::string html = (fs::path(run) / "report.html").string();
    loop::write_report(run, html);
    std::printf("%s is complete; report: %s\n", run.c_str(), html.c_str());
    return 0;
  }
  const loop::SlurmChainInput in = chain_input(args, inv, run);
  const fs::path dir = fs::path(run) / "slurm";
  fs::create_directories(dir / "logs");
  if (in.fan_out_encode) fs::create_directories(dir / "parts");
  if (!resume) write_file_atomic((dir / "config.yaml").string(), "# " + inv.command_line + "\n" + inv.config_yaml);
  const loop::SlurmChain chain = loop::plan_slurm_chain(in);
  for (const auto& script : chain.scripts) write_file_atomic((dir / script.file).string(), script.text);
  std::vector<std::string> ids;
  int dry_ids = 0;
  for (const auto& s : chain.submissions) {
    ids.push_back(submit(in.slurm, dir, s.script, loop::sbatch_options(s, ids), args.dry_run, dry_ids));
  }
  const bool array = in.slurm.parallel_jobs && in.jobs > 1;
  std::printf("%s: %s of %zu job(s), one loop step per batch job%s; logs in %s\n", run.c_str(), in.command.c_str(),
              in.jobs, array ? " (an array task per job)" : "", (dir / "logs").c_str());
  return 0;
}

Commands bind_slurm(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<SlurmSubmitArgs>();
  auto* slurm = app.add_subcommand("slurm", "run the closed loop as Slurm batch jobs");
  slurm->require_subcommand(1);
  auto* cmd = slurm->add_subcommand(
      "submit", "submit the next loop step (and a job that chains the one after it, afterok) to Slurm (slurm.*)");
  cmd->add_option("-o,--out", args->out, "run directory of a new run (default runs/<config name>-<time>)");
  cmd->add_option("--resume", global.resume, "submit the next step of this run (complete: write its report)");
  cmd->add_flag("--compare", args->compare, "plan loop.compare (every method) instead of loop.method");
  cmd->add_flag("--dry-run", args->dry_run, "write the job scripts, print the sbatch lines, submit nothing");
  return {{cmd, [args, &global](const Invocation& inv) {
             SlurmSubmitArgs a = *args;
             a.resume = global.resume;
             return run_slurm_submit(a, inv);
           }}};
}

}  // namespace autoscale::cli
