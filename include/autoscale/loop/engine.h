// The closed-loop engine: runs a plan of jobs (methods × synthetic budgets × seeds) on one set
// of run data and writes the run directory. Every job resumes from its last completed step, so
// a run killed at any point continues with `--resume` and ends as an uninterrupted run would.
//
//   RUN/config.yaml          the resolved configuration (what --resume reads back)
//   RUN/run.json             the plan (written first, so a run stopped while preparing resumes),
//                            then the data counts and the split sizes
//   RUN/.lock                held by the process running RUN (loop/run_dir.h): no second one runs it
//   RUN/split.json           real logs per split
//   RUN/embeddings.h5        when the run encoded and clustered the scenes itself
//   RUN/fold<k>/{data.json,split.json,embeddings.h5}   instead, per fold of a cross-fitted plan
//   RUN/embedding_map.json   2-D principal-component map of the embeddings, for the report
//   RUN/jobs/<job>/...       one directory per job (loop/job.h)
//   RUN/metrics.jsonl        one line per completed iteration and job (validation/test scores, timings)
//   RUN/compare.json, RUN/summary.md   the comparison table, ΔPDMS CIs, PDMS-vs-N_syn
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autoscale/loop/experiment.h"
#include "autoscale/loop/job.h"
#include "autoscale/loop/statistics.h"

namespace autoscale::loop {

struct RunPlan {
  std::string command = "run";      // run | compare
  std::vector<std::string> methods;
  std::vector<uint64_t> seeds;
  int64_t budget = 0;               // N_syn of the main table
  std::vector<int64_t> curve_budgets;  // extra N_syn for vanilla_random, autoscale, autoscale_v2
  int64_t folds = 0;                   // cross-fitted folds 0..folds-1 (data.split.folds); 0 = one split
  std::vector<std::string> planners;   // planner kinds side by side (loop.compare.planners); empty = configured
};

RunPlan plan_for_run(const ExperimentConfig& config);      // loop.method, one seed
RunPlan plan_for_compare(const ExperimentConfig& config);  // loop.compare
RunPlan read_run_plan(const std::string& run_dir);         // from RUN/run.json (resume)

// The jobs of a plan, fold by fold, then seed by seed (real_only gets N_syn 0, vanilla_all the
// whole pool of `pool_size` synthetic scenes). Their number and order do not depend on the pool.
std::vector<JobSpec> plan_jobs(const RunPlan& plan, int64_t pool_size);
// The jobs of one fold (-1 without folds).
std::vector<JobSpec> fold_jobs(const RunPlan& plan, int64_t fold, int64_t pool_size);

// The part of a run one process does (a Slurm batch job runs one step, an array task one job).
struct RunSlice {
  int64_t max_steps = -1;  // iterations / final trainings to run before pausing; -1 = all, 0 = only prepare the run
  int64_t job = -1;        // only the plan's job with this index; -1 = every job
};

struct RunSummary {
  std::vector<JobResult> results;  // the jobs finished so far (in plan order)
  std::string table;               // summary.md, once every job is finished
  bool complete = false;           // every job finished: compare.json, summary.md written
  size_t jobs_total = 0;
};

// Runs or resumes the jobs of the plan in run_dir (created when missing), within `slice`, holding
// the run's lock (alone, or shared for a one-job slice). A run whose first preparation fails with
// an error leaves no run.json behind: it was never started.
RunSummary run_experiment(const ExperimentConfig& config, const RunPlan& plan, const std::string& run_dir,
                          const RunSlice& slice = {});

// Whether the run in run_dir has finished every job (its compare.json exists).
bool run_complete(const std::string& run_dir);

// ΔPDMS of one method of one run against one method of another (the same folds, seeds and test
// windows, e.g. a planted pool against the clean one): runs are paired by fold and seed, windows
// by token, and the two-level bootstrap gives the CI. A method is taken at its run's main budget
// (its first planner), or written "method@N" at budget N. Error when nothing pairs.
struct CrossRunDelta {
  Effect delta;
  size_t pairs = 0;  // (fold, seed) runs found in both
};
CrossRunDelta compare_across_runs(const std::string& run_a, const std::string& method_a, const std::string& run_b,
                                  const std::string& method_b, int64_t resamples, uint64_t seed);

// compare.json and summary.md from finished jobs: per method, the test PDMS and its ΔPDMS
// against the reference method at the main budget, paired by fold and seed, each with a
// two-level bootstrap CI (test logs within folds, then seeds) and its minimal detectable effect;
// sub-scores as means over runs (± std with two or more seeds); the PDMS-vs-N_syn curve.
std::string write_comparison(const ExperimentConfig& config, const RunPlan& plan, const std::vector<JobResult>& results,
                             const std::string& run_dir);

}  // namespace autoscale::loop
