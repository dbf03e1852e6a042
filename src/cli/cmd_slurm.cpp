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

// One job script: the #SBATCH header from slurm.*, then `exec COMMAND`.
std::string job_script(const SlurmConfig& s, const std::string& name, const fs::path& logs, bool step, bool array,
                       const std::string& command) {
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
  o << "set -eu\nexec " << command << "\n";
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
  fs::create_directories(dir / "logs");
  const loop::RunPlan plan = prepared ? loop::read_run_plan(run)
                             : args.compare ? loop::plan_for_compare(experiment_config(inv))
                                            : loop::plan_for_run(experiment_config(inv));
  const size_t jobs = loop::plan_jobs(plan, 0).size();
  const std::string bin = shell_quote(this_binary());
  const auto& s = inv.config.slurm;
  const bool array = s.parallel_jobs && jobs > 1;

  if (!resume) write_file_atomic((dir / "config.yaml").string(), "# " + inv.command_line + "\n" + inv.config_yaml);
  write_file_atomic((dir / "prepare.sbatch").string(),
                    job_script(s, "autoscale-prepare", dir / "logs", /*step=*/true, false,
                               bin + " " + plan.command + " --config " + shell_quote((dir / "config.yaml").string()) +
                                   " -o " + shell_quote(run) + " --max-steps 0 --no-report"));
  write_file_atomic((dir / "step.sbatch").string(),
                    job_script(s, "autoscale-step", dir / "logs", /*step=*/true, array,
                               bin + " " + plan.command + " --resume " + shell_quote(run) + " --max-steps 1 --no-report" +
                                   (array ? " --job \"$SLURM_ARRAY_TASK_ID\"" : "")));
  write_file_atomic((dir / "continue.sbatch").string(),
                    job_script(s, "autoscale-continue", dir / "logs", /*step=*/false, false,
                               bin + " slurm submit --resume " + shell_quote(run)));

  Submitter submitter{s, dir, args.dry_run};
  std::vector<std::string> after;
  if (!prepared) {
    after = {"--dependency=afterok:" + submitter.submit("prepare.sbatch", {}), "--kill-on-invalid-dep=yes"};
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
