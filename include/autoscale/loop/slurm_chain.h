// The closed loop as a chain of Slurm batch jobs, as data: the job scripts and the sbatch
// submissions with their dependencies. `autoscale slurm submit` writes the scripts and submits in
// order; this part decides what, so it is tested without a cluster.
//
// One submission is one loop step (an iteration, or a job's final training and scoring) plus a
// small "continue" job that depends on it (afterok) and submits the next step, until the run is
// complete. A new run starts with a "prepare" job (data, embeddings, plan); with
// slurm.encode_shards > 1 that is preceded by fit (the Graph-RAE, once) -> embed (a job array) ->
// merge + cluster. Step jobs are requeueable: on preemption the training checkpoints on SIGTERM
// and the requeued job resumes it. A failed step ends the chain (--kill-on-invalid-dep).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autoscale/core/config.h"

namespace autoscale::loop {

// slurm.*: how the loop's batch jobs are submitted.
struct SlurmOptions {
  std::string sbatch = "sbatch";  // the submit command (a path, or searched on PATH)
  std::string partition;          // "" = the cluster's default
  std::string account;
  std::string time;               // --time of a loop step job ("" = the partition's default)
  int64_t cpus_per_task = 0;      // 0 = the cluster's default
  int64_t gpus = 0;               // GPUs per step job (--gpus)
  std::string mem;                // --mem ("" = default)
  bool parallel_jobs = false;     // each step: a job array with one task per plan job
  int64_t encode_shards = 0;      // > 1: fit the Graph-RAE once, embed in a job array of this many tasks
  std::vector<std::string> extra; // more sbatch options, verbatim (e.g. --qos=high)
  void visit(ConfigVisitor& v);
};

// Where the chain stands and what it runs.
struct SlurmChainInput {
  SlurmOptions slurm;
  std::string binary;       // the autoscale executable the jobs run
  std::string cwd;          // the jobs' working directory (store paths in the config are relative to it)
  std::string run;          // the run directory (absolute)
  std::string command;      // run | compare
  size_t jobs = 1;          // jobs in the plan (array tasks when slurm.parallel_jobs)
  bool prepared = false;    // RUN/run.json exists: no prepare job
  bool fan_out_encode = false;  // fit / embed / merge before prepare
  bool model_fitted = false;    // RUN/slurm/graph_rae.pt exists: a resubmission skips the fit job
  std::vector<std::string> scenes;  // loop.real then loop.synthetic (fan-out encode)
};

struct SlurmScript {
  std::string file;  // under RUN/slurm/
  std::string text;
};

struct SlurmSubmission {
  std::string script;         // file under RUN/slurm/
  std::vector<int> after;     // indices of earlier submissions it depends on (afterok)
  int64_t array_tasks = 0;    // > 0: --array=0-(n-1)
};

struct SlurmChain {
  std::vector<SlurmScript> scripts;
  std::vector<SlurmSubmission> submissions;  // in submission order
};

// The scripts (prepare, step, continue; fit, embed, merge when fanning out) and the submissions
// from where the run stands. Paths are single-quoted for bash.
SlurmChain plan_slurm_chain(const SlurmChainInput& in);

// sbatch options of a submission, given the job ids of the earlier ones.
std::vector<std::string> sbatch_options(const SlurmSubmission& s, const std::vector<std::string>& job_ids);

// Single-quoted for bash, so paths with spaces or quotes stay one word.
std::string shell_quote(const std::string& s);

}  // namespace autoscale::loop
