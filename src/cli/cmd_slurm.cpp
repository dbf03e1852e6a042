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
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/subprocess.h"
#include "autoscale/loop/engine.h"
#include "autoscale/loop/run_report.h"
#include "commands.h"

namespace autoscale::cli {

namespace fs = std::filesystem;

namespace {

// Single-quoted for bash, so paths with spaces or quotes stay one word.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string this_binary() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  AUTOSCALE_CHECK(!ec, "slurm: cannot find this program's path (/proc/self/exe): {}", ec.message());
  return exe.string();
}

// One job script: the #SBATCH header from slurm.*, then `body` (its last command exec'd).
std::string job_script(const SlurmConfig& s, const std::string& name, const fs::path& logs, bool step, bool array,
                       const std::string& body) {
  std::ostringstream o;
  o << "#!/bin/bash\n# Written by `autoscale slurm submit`; see RUN/slurm/submissions.jsonl for how it was submitted.\n";
  o << "#SBATCH --job-name=" << name << "\n";
  o << "#SBATCH --output=" << (logs / (array ? "%x-%A_%a.out" : "%x-%j.out")).string() << "\n";
  o << "#SBATCH --open-mode=append\n";  // a requeued job appends to its log
  o << "#SBATCH --chdir=" << fs::current_path().string() << "\n";  // store paths in the config are relative to it
  if (!s.partition.empty()) o << "#SBATCH --partition=" << s.partition << "\n";
  if (!s.account.empty()) o << "#SBATCH --account=" << s.account << "\n";
  if (step) {
    o << "#SBATCH --requeue\n";
    if (!s.time.empty()) o << "#SBATCH --time=" << s.time << "\n";
    if (s.cpus_per_task > 0) o << "#SBATCH --cpus-per-task=" << s.cpus_per_task << "\n";
    if (s.gpus > 0) o << "#SBATCH --gpus=" << s.gpus << "\n";
    if (!s.mem.empty()) o << "#SBATCH --mem=" << s.mem << "\n";
    for (const auto& e : s.extra) o << "#SBATCH " << e << "\n";
  } else {
    o << "#SBATCH --cpus-per-task=1\n";
  }
  o << "set -eu\n" << body << "\n";
  return o.str();
}

struct Submitter {
  const SlurmConfig& slurm;
  fs::path dir;  // RUN/slurm
  bool dry_run;

  // sbatch --parsable [options] SCRIPT -> the job id ("DRY<n>" in a dry run).
  std::string submit(const std::string& script, const std::vector<std::string>& options) {
    std::vector<std::string> argv = {slurm.sbatch, "--parsable"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back((dir / script).string());
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + shell_quote(a);
    std::string id;
    if (dry_run) {
      id = "DRY" + std::to_string(++dry_ids_);
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

  int dry_ids_ = 0;
};

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
  const fs::path dir = fs::path(run) / "slurm";
  const bool prepared = fs::exists(fs::path(run) / "run.json");
  if (!resume) {
    AUTOSCALE_CHECK(!prepared && !fs::exists(dir), "{}: already holds a run; continue it with `autoscale slurm submit --resume {}`",
                    run, run);
  } else {
    AUTOSCALE_CHECK(fs::exists(fs::path(run) / "config.yaml") || fs::exists(dir / "config.yaml"),
                    "--resume {}: not a run directory (no config.yaml)", run);
  }
  const auto& cfg = inv.config;
  const bool fan_out_encode = !prepared && cfg.slurm.encode_shards > 1 && cfg.loop.embeddings.empty() &&
                              !fs::exists(fs::path(run) / "embeddings.h5");
  AUTOSCALE_CHECK(!fan_out_encode || cfg.encode.embedding == "graph_rae",
                  "slurm.encode_shards: needs encode.embedding=graph_rae, not {}", cfg.encode.embedding);
  fs::create_directories(dir / "logs");
  const loop::RunPlan plan = prepared ? loop::read_run_plan(run)
                             : args.compare ? loop::plan_for_compare(experiment_config(inv))
                                            : loop::plan_for_run(experiment_config(inv));
  const size_t jobs = loop::plan_jobs(plan, 0).size();
  const std::string bin = shell_quote(this_binary());
  const auto& s = inv.config.slurm;
  const bool array = s.parallel_jobs && jobs > 1;

  if (!resume) write_file_atomic((dir / "config.yaml").string(), "# " + inv.command_line + "\n" + inv.config_yaml);
  const std::string config = shell_quote((dir / "config.yaml").string());
  write_file_atomic((dir / "prepare.sbatch").string(),
                    job_script(s, "autoscale-prepare", dir / "logs", /*step=*/true, false,
                               "exec " + bin + " " + plan.command + " --config " + config + " -o " + shell_quote(run) +
                                   " --max-steps 0 --no-report"));
  write_file_atomic((dir / "step.sbatch").string(),
                    job_script(s, "autoscale-step", dir / "logs", /*step=*/true, array,
                               "exec " + bin + " " + plan.command + " --resume " + shell_quote(run) +
                                   " --max-steps 1 --no-report" + (array ? " --job \"$SLURM_ARRAY_TASK_ID\"" : "")));
  write_file_atomic((dir / "continue.sbatch").string(),
                    job_script(s, "autoscale-continue", dir / "logs", /*step=*/false, false,
                               "exec " + bin + " slurm submit --resume " + shell_quote(run)));

  Submitter submitter{s, dir, args.dry_run};
  std::vector<std::string> after;
  if (fan_out_encode) {
    // fit (one job) -> embed (array) -> merge + cluster (one job) -> RUN/embeddings.h5, which
    // the prepare job then reads instead of encoding: the same file one process makes.
    std::string scenes;
    for (const auto& store : cfg.loop.real) scenes += " " + shell_quote(store);
    for (const auto& store : cfg.loop.synthetic) scenes += " " + shell_quote(store);
    const fs::path parts = dir / "parts";
    fs::create_directories(parts);
    const std::string model = shell_quote((dir / "graph_rae.pt").string());
    const std::string merged = shell_quote((dir / "embeddings.h5").string());
    write_file_atomic((dir / "fit.sbatch").string(),
                      job_script(s, "autoscale-fit", dir / "logs", true, false,
                                 "exec " + bin + " encode --config " + config + " --scenes" + scenes +
                                     " --fit-only --checkpoint " + model));
    write_file_atomic((dir / "embed.sbatch").string(),
                      job_script(s, "autoscale-embed", dir / "logs", true, true,
                                 "exec " + bin + " encode --config " + config + " --scenes" + scenes + " --load " + model +
                                     " --shard slurm -o " + shell_quote(parts.string()) + "/emb-\"$SLURM_ARRAY_TASK_ID\".h5"));
    std::string part_files;
    for (int64_t i = 0; i < s.encode_shards; ++i) {
      part_files += " " + shell_quote((parts / ("emb-" + std::to_string(i) + ".h5")).string());
    }
    write_file_atomic((dir / "merge.sbatch").string(),
                      job_script(s, "autoscale-merge", dir / "logs", true, false,
                                 bin + " merge embeddings --config " + config + " --scenes" + scenes + " --parts" +
                                     part_files + " -o " + merged + "\n" + bin + " cluster --config " + config +
                                     " --embeddings " + merged + "\nexec mv -f " + merged + " " +
                                     shell_quote((fs::path(run) / "embeddings.h5").string())));
    std::vector<std::string> fit_after;
    if (!fs::exists(dir / "graph_rae.pt")) {  // a resubmission reuses a model already fitted
      fit_after = {"--dependency=afterok:" + submitter.submit("fit.sbatch", {}), "--kill-on-invalid-dep=yes"};
    }
    auto embed_options = fit_after;
    embed_options.push_back("--array=0-" + std::to_string(s.encode_shards - 1));
    const std::string embed = submitter.submit("embed.sbatch", embed_options);
    after = {"--dependency=afterok:" + submitter.submit("merge.sbatch", {"--dependency=afterok:" + embed,
                                                                         "--kill-on-invalid-dep=yes"}),
             "--kill-on-invalid-dep=yes"};
  }
  if (!prepared) {
    after = {"--dependency=afterok:" + submitter.submit("prepare.sbatch", after), "--kill-on-invalid-dep=yes"};
  }
  std::vector<std::string> step_options = after;
  if (array) step_options.push_back("--array=0-" + std::to_string(jobs - 1));
  const std::string step = submitter.submit("step.sbatch", step_options);
  submitter.submit("continue.sbatch", {"--dependency=afterok:" + step, "--kill-on-invalid-dep=yes"});
  std::printf("%s: %s of %zu job(s), one loop step per batch job%s; logs in %s\n", run.c_str(), plan.command.c_str(), jobs,
              array ? " (an array task per job)" : "", (dir / "logs").c_str());
  return 0;
}

}  // namespace autoscale::cli
