// Training a planner on a mixture: AdamW, linear warm-up then cosine decay, gradient clipping,
// bf16 autocast on CUDA, a background batch loader, and checkpoints (model, optimiser, schedule
// position, sampler state) written atomically, from which a killed run resumes bit-identically
// on CPU. A non-finite loss stops the run with the last good checkpoint intact.
//
// Data-parallel (TrainRun::group): every rank draws the same global batch stream and trains on its
// slice of each batch; gradients and the loss are averaged across ranks before clipping, so W
// ranks follow the single-process run with the same global batch (to float rounding). Rank 0
// writes the files; the checkpoint carries every rank's random-generator state.
//
//   OUT/checkpoint.pt   the latest checkpoint (also a planner file: `eval --agent` reads it)
//   OUT/planner.pt      the final model
//   OUT/best.pt         the model at the validation with the lowest mean L2 (with a validation set)
//   OUT/metrics.jsonl   one JSON object per logged step (loss, lr, throughput, data wait, val L2)
//   OUT/metrics.csv     the same as a table, when the training finishes (pandas.read_csv plots it)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/train/dataset.h"
#include "autoscale/train/planner.h"

namespace autoscale::train {

// Your own planner (PyTorch, a NAVSIM agent) in the loop: the final training of every job runs
// this shell command instead of training the built-in planner, then scores the trajectories it
// writes (src/loop/external_planner.h lists the placeholders and files). The mixture searches
// keep the built-in planner as their cheap proxy.
struct ExternalPlannerOptions {
  std::string command;  // "" = the built-in planner

  void visit(ConfigVisitor& v);
};

struct TrainOptions {
  PlannerOptions planner;
  ExternalPlannerOptions external;
  int64_t steps = 3000;           // optimiser steps (the budget every method gets)
  int64_t batch = 64;
  double lr = 5e-4;               // peak learning rate
  double min_lr_ratio = 0.05;     // the cosine ends at this share of the peak
  int64_t warmup_steps = 200;
  double weight_decay = 0.01;     // AdamW
  double clip_norm = 1.0;         // gradient L2 norm clip; 0 = off
  int64_t log_every = 50;
  int64_t eval_every = 500;       // validation L2 (when a validation set is given); 0 = only at the end
  int64_t checkpoint_every = 500;
  int64_t prefetch = 4;           // batches the loader thread prepares ahead
  bool bf16 = true;               // autocast to bf16 on CUDA (CPU stays fp32)
  double mirror = 0;              // probability of mirroring a training sample left-right
  std::string device = "auto";    // auto | cpu | cuda

  void visit(ConfigVisitor& v);
};

// Sampling groups (the real data, synthetic clusters) over the rows of the dataset.
struct MixtureSpec {
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> groups;
  std::vector<double> weights;
  static MixtureSpec uniform_over(size_t rows);  // one group holding every row
};

class ProcessGroup;

struct TrainRun {
  std::string out_dir;
  uint64_t seed = 0;
  bool resume = false;              // continue from OUT/checkpoint.pt when present
  const PlannerDataset* validation = nullptr;
  std::vector<int64_t> validation_rows;  // rows of `validation` to measure (empty: all)
  int64_t stop_after = -1;          // tests: stop after this step as if killed (no final model)
  // The learning-rate schedule this call is a segment of (online budget mode: one schedule over
  // several stages). total 0 = this call's own steps.
  int64_t schedule_offset = 0, schedule_total = 0;
  bool show_progress = true;
  std::shared_ptr<ProcessGroup> group;  // data-parallel ranks (null: a single process)
};

struct TrainReport {
  int64_t steps = 0;                // completed in this run (including resumed ones)
  double last_loss = 0;
  double samples_per_s = 0;
  double data_wait_share = 0;       // share of the wall time the optimiser waited for batches
  double seconds = 0;
  std::string device;
  int world = 1;                    // data-parallel ranks (samples_per_s counts all of them)
  std::vector<double> val_l2;       // at 1..4 s, empty without a validation set
  int64_t best_step = -1;           // the validation with the lowest mean L2 (OUT/best.pt)
  double best_val_l2 = 0;
  std::vector<int64_t> drawn;       // samples drawn per mixture group
};

TrainReport train_planner(Planner& planner, const PlannerDataset& data, const MixtureSpec& mixture,
                          const TrainOptions& options, const TrainRun& run);

// The learning rate at `step` (0-based) of `total`: linear warm-up, then cosine to min_lr_ratio.
double learning_rate(const TrainOptions& options, int64_t step, int64_t total);

}  // namespace autoscale::train
