// A planner of the user's own, trained by a command (train.external.command) in place of the
// built-in planner's final training. The loop writes the job's training mixture and the scenes
// to plan, runs the command through /bin/sh with these placeholders replaced (shell-quoted):
//   {real}          CSV store,token,weight: the real training scenes
//   {selection}     CSV store,token,weight: the synthetic scenes the method selected
//   {predict}       CSV store,token,split: the validation and test scenes to plan
//   {trajectories}  the file the command must write: plans by token (eval/trajectory_file.h)
//   {out}           a directory of its own for anything else (checkpoints, logs)
//   {steps} {batch} {seed}   the training budget and seed every method gets
// `weight` is the scene's sampling probability (all weights sum to 1; real and synthetic in the
// mixture's shares, data.synthetic_share). Scenes are read with scripts/autoscale_store.py. The
// plans are scored with the same PDM Score code as every other planner; a scene to plan that
// the file lacks is an error. A finished command (done.json) is not run again on resume.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "autoscale/eval/agents.h"
#include "job_context.h"

namespace autoscale::loop {

struct ExternalTraining {
  std::unordered_map<std::string, eval::Plan> plans;  // the command's plans, by token
  double seconds = 0;                                 // the command's wall time
};

// Error naming the command, its exit code and log, or the trajectory file and what is wrong.
ExternalTraining train_external(const JobContext& ctx, const std::filesystem::path& dir, const Selection& selection,
                                const std::vector<int64_t>& predict_rows, int64_t steps, uint64_t seed);

}  // namespace autoscale::loop
