// One method at one synthetic budget and seed (a "job"): select the synthetic scenes (searching
// with proxy trainings for the iterative methods), train the final planner with the run's step
// budget, and score it on the validation and test logs. Everything a job writes goes into its
// directory atomically, step by step, so a killed job resumes from its last completed step:
//
//   JOB/iter<t>/selection.json   the synthetic scenes of iteration t (tokens per cluster)
//   JOB/iter<t>/train/           the proxy training (offline) or the stage (online)
//   JOB/iter<t>/val_scores.csv   per-scene validation scores
//   JOB/iter<t>/iteration.json   weights, quotas, signals, timings of the iteration (its end marker)
//   JOB/final/selection.json, JOB/final/train/, JOB/final/{val,test}_scores.csv
//   JOB/result.json              the job's summary (its end marker)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "autoscale/loop/experiment.h"

namespace autoscale::loop {

struct JobSpec {
  std::string method;
  int64_t budget = 0;  // N_syn
  uint64_t seed = 0;
  int64_t fold = -1;   // cross-fitted fold (data.split.fold), -1 = the run's single split
  std::string planner;  // train.planner.kind for this job; "" = the configured one
  // "<method>_n<budget>_s<seed>", prefixed "f<fold>_" in a fold, suffixed "_<planner>" when set.
  std::string name() const;
};

struct JobResult {
  JobSpec spec;
  std::string planner;            // the planner kind it trained ("" in runs before it was recorded)
  int64_t n_syn = 0, n_real = 0;  // scenes in the final training mixture
  double real_share = 1;          // share of training samples drawn from real scenes
  int64_t steps = 0;
  double search_seconds = 0, train_seconds = 0;
  eval::SubScores test, val;      // means over the valid scenes
  int64_t test_scenes = 0, val_scenes = 0;
  std::vector<std::string> test_tokens;  // the valid test scenes, their logs and PDMS (paired tests)
  std::vector<std::string> test_logs;
  std::vector<double> test_pdms;
  std::vector<double> weights;    // final cluster weights (methods that weight clusters)
  std::vector<int64_t> quotas;    // final per-cluster quotas
  // The final selection's scenes per generator (planted testbeds read their groups' shares
  // here); empty for runs before it was recorded.
  std::map<std::string, int64_t> selection_sources;
};

// How many steps (an iteration; a job's final training and scoring) one process may still run:
// a Slurm batch job runs one step and submits the next (loop/slurm.h). -1 = no limit.
class StepBudget {
 public:
  explicit StepBudget(int64_t steps = -1) : left_(steps) {}
  bool exhausted() const { return left_ == 0; }
  bool take() {  // before a step that is not done yet: whether to run it
    if (left_ == 0) return false;
    if (left_ > 0) --left_;
    return true;
  }

 private:
  int64_t left_;
};

// Runs the job in `job_dir`, resuming from what is there; a finished job is read back. Returns
// nothing when `budget` ran out before the job finished (what is done so far is saved).
std::optional<JobResult> run_job(const ExperimentConfig& config, const ExperimentData& data, const JobSpec& spec,
                                 const std::string& job_dir, StepBudget& budget);

// JOB/result.json; Error names the file and field.
JobResult read_job_result(const std::string& job_dir);

}  // namespace autoscale::loop
