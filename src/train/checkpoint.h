// A training checkpoint (OUT/checkpoint.pt): a planner file plus the optimiser, the sampler's
// position, the loop's counters and the random generators' states, so that a resumed training
// ends bit-identical to an uninterrupted one. Private to train.
#pragma once

#include <torch/optim/adamw.h>
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "autoscale/train/distributed.h"
#include "autoscale/train/planner.h"

namespace autoscale::train {

struct TrainState {
  int64_t step = 0;
  std::string sampler;
  double last_loss = 0;
  int64_t best_step = -1;
  double best_val_l2 = 0;
};

// A collective call with a data-parallel group: every rank hands its generator state to rank 0,
// which writes the file.
void save_checkpoint(const Planner& planner, torch::optim::AdamW& optimizer, const TrainState& state,
                     const std::string& path, ProcessGroup* group);
// Loads the weights into `planner` (whose parameters `optimizer` holds), the optimiser and this
// rank's generator; Error naming the file when it does not fit the configured planner or world.
TrainState load_checkpoint(Planner& planner, torch::optim::AdamW& optimizer, const std::string& path, int rank,
                           int world);

// Metric lines past the checkpoint were written by the killed run after its last checkpoint; the
// resumed run writes them again, so they are dropped first.
void truncate_metrics(const std::string& path, int64_t step);

}  // namespace autoscale::train
