#include "autoscale/loop/slurm_chain.h"

#include <filesystem>
#include <sstream>

#include "autoscale/core/error.h"

namespace autoscale::loop {

namespace fs = std::filesystem;

void SlurmOptions::visit(ConfigVisitor& v) {
  v.field("sbatch", sbatch, "the submit command (a path, or searched on PATH)");
  v.field("partition", partition, "partition of the step jobs (empty: the cluster's default)");
  v.field("account", account, "account to charge (empty: the user's default)");
  v.field("time", time, "time limit of one loop step job, e.g. 04:00:00 (empty: the partition's default)");
  v.field("cpus_per_task", cpus_per_task, "CPUs per step job; 0 = the cluster's default", at_least(0));
  v.field("gpus", gpus, "GPUs per step job", at_least(0));
  v.field("mem", mem, "memory per step job, e.g. 64G (empty: the cluster's default)");
  v.field("parallel_jobs", parallel_jobs, "run each step as a job array, one task per job of the plan (compare)");
  v.field("encode_shards", encode_shards,
          "> 1: before the prepare job, fit the Graph-RAE in one job, embed the scenes in a job array of this many "
          "tasks, then merge and cluster (graph_rae, loop.embeddings empty); 0 = encode inside the prepare job",
          at_least(0));
  v.field("extra", extra, "more sbatch options, passed verbatim");
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

enum class JobKind { kStep, kLight };  // step jobs carry the resources; light ones one CPU

// One job script: the #SBATCH header from slurm.*, then `body` (its last command exec'd).
SlurmScript job_script(const SlurmChainInput& in, const std::string& file, JobKind kind, bool array,
                       const std::string& body) {
  const auto& s = in.slurm;
  const fs::path logs = fs::path(in.run) / "slurm" / "logs";
  std::ostringstream o;
  o << "#!/bin/bash\n# Written by `autoscale slurm submit`; see RUN/slurm/submissions.jsonl for how it was submitted.\n";
  o << "#SBATCH --job-name=autoscale-" << fs::path(file).stem().string() << "\n";
  o << "#SBATCH --output=" << (logs / (array ? "%x-%A_%a.out" : "%x-%j.out")).string() << "\n";
  o << "#SBATCH --open-mode=append\n";  // a requeued job appends to its log
  o << "#SBATCH --chdir=" << in.cwd << "\n";
  if (!s.partition.empty()) o << "#SBATCH --partition=" << s.partition << "\n";
  if (!s.account.empty()) o << "#SBATCH --account=" << s.account << "\n";
  if (kind == JobKind::kStep) {
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
  return {file, o.str()};
}

// fit (one job) -> embed (array) -> merge + cluster (one job) -> RUN/embeddings.h5, which the
// prepare job then reads instead of encoding: the same file one process makes.
void add_encode_fan_out(const SlurmChainInput& in, SlurmChain& chain) {
  const fs::path dir = fs::path(in.run) / "slurm";
  const std::string bin = shell_quote(in.binary), config = shell_quote((dir / "config.yaml").string());
  std::string scenes;
  for (const auto& store : in.scenes) scenes += " " + shell_quote(store);
  const fs::path parts = dir / "parts";
  const std::string model = shell_quote((dir / "graph_rae.pt").string());
  const std::string merged = shell_quote((dir / "embeddings.h5").string());
  chain.scripts.push_back(job_script(in, "fit.sbatch", JobKind::kStep, false,
                                     "exec " + bin + " encode --config " + config + " --scenes" + scenes +
                                         " --fit-only --checkpoint " + model));
  chain.scripts.push_back(job_script(in, "embed.sbatch", JobKind::kStep, true,
                                     "exec " + bin + " encode --config " + config + " --scenes" + scenes + " --load " +
                                         model + " --shard slurm -o " + shell_quote(parts.string()) +
                                         "/emb-\"$SLURM_ARRAY_TASK_ID\".h5"));
  std::string part_files;
  for (int64_t i = 0; i < in.slurm.encode_shards; ++i) {
    part_files += " " + shell_quote((parts / ("emb-" + std::to_string(i) + ".h5")).string());
  }
  chain.scripts.push_back(job_script(in, "merge.sbatch", JobKind::kStep, false,
                                     bin + " merge embeddings --config " + config + " --scenes" + scenes + " --parts" +
                                         part_files + " -o " + merged + "\n" + bin + " cluster --config " + config +
                                         " --embeddings " + merged + "\nexec mv -f " + merged + " " +
                                         shell_quote((fs::path(in.run) / "embeddings.h5").string())));
  std::vector<int> embed_after;
  if (!in.model_fitted) {  // a resubmission reuses a model already fitted
    chain.submissions.push_back({"fit.sbatch", {}, 0});
    embed_after = {static_cast<int>(chain.submissions.size()) - 1};
  }
  chain.submissions.push_back({"embed.sbatch", embed_after, in.slurm.encode_shards});
  chain.submissions.push_back({"merge.sbatch", {static_cast<int>(chain.submissions.size()) - 1}, 0});
}

}  // namespace

SlurmChain plan_slurm_chain(const SlurmChainInput& in) {
  AUTOSCALE_CHECK(in.command == "run" || in.command == "compare", "slurm: the plan's command is {}, not run or compare",
                  quote(in.command));
  const fs::path dir = fs::path(in.run) / "slurm";
  const std::string bin = shell_quote(in.binary), run = shell_quote(in.run);
  const bool array = in.slurm.parallel_jobs && in.jobs > 1;
  SlurmChain chain;
  chain.scripts.push_back(job_script(in, "prepare.sbatch", JobKind::kStep, false,
                                     "exec " + bin + " " + in.command + " --config " +
                                         shell_quote((dir / "config.yaml").string()) + " -o " + run +
                                         " --max-steps 0 --no-report"));
  chain.scripts.push_back(job_script(in, "step.sbatch", JobKind::kStep, array,
                                     "exec " + bin + " " + in.command + " --resume " + run + " --max-steps 1 --no-report" +
                                         (array ? " --job \"$SLURM_ARRAY_TASK_ID\"" : "")));
  chain.scripts.push_back(
      job_script(in, "continue.sbatch", JobKind::kLight, false, "exec " + bin + " slurm submit --resume " + run));
  if (in.fan_out_encode) add_encode_fan_out(in, chain);
  std::vector<int> step_after;
  if (!chain.submissions.empty()) step_after = {static_cast<int>(chain.submissions.size()) - 1};
  if (!in.prepared) {
    chain.submissions.push_back({"prepare.sbatch", step_after, 0});
    step_after = {static_cast<int>(chain.submissions.size()) - 1};
  }
  chain.submissions.push_back({"step.sbatch", step_after, array ? static_cast<int64_t>(in.jobs) : 0});
  chain.submissions.push_back({"continue.sbatch", {static_cast<int>(chain.submissions.size()) - 1}, 0});
  return chain;
}

std::vector<std::string> sbatch_options(const SlurmSubmission& s, const std::vector<std::string>& job_ids) {
  std::vector<std::string> options;
  if (!s.after.empty()) {
    std::string ids;
    for (int i : s.after) {
      AUTOSCALE_CHECK(i >= 0 && static_cast<size_t>(i) < job_ids.size(), "slurm: {} depends on submission {}, not made yet",
                      s.script, i);
      ids += (ids.empty() ? "" : ":") + job_ids[static_cast<size_t>(i)];
    }
    options = {"--dependency=afterok:" + ids, "--kill-on-invalid-dep=yes"};
  }
  if (s.array_tasks > 0) options.push_back("--array=0-" + std::to_string(s.array_tasks - 1));
  return options;
}

}  // namespace autoscale::loop
