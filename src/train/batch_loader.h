// A background thread that draws batches from the sampler and packs them into tensors, `depth`
// batches ahead of the optimiser. Each batch carries the sampler state right after it was drawn,
// which is what a checkpoint taken after that batch must record.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "autoscale/train/sampler.h"
#include "planner_net.h"

namespace autoscale::train {

class BatchLoader {
 public:
  struct Item {
    TensorBatch batch;
    std::string sampler_state;
  };

  // Each rank of a data-parallel group packs only its slice [rank/world, (rank+1)/world) of every
  // global batch the (identically seeded) sampler draws.
  // mirror: the probability of mirroring each sample left-right, decided by a hash of (seed,
  // step, slot in the global batch): a pure function, so resumed and data-parallel runs match.
  BatchLoader(const PlannerDataset& data, MixtureSampler& sampler, int64_t batches, int64_t depth, bool pin,
              int rank = 0, int world = 1, double mirror = 0, uint64_t seed = 0);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  Item next();  // blocks until the next batch is ready; rethrows a loader failure

 private:
  void work();

  const PlannerDataset& data_;
  MixtureSampler& sampler_;
  int64_t remaining_;
  size_t depth_;
  bool pin_;
  int rank_, world_;
  double mirror_;
  uint64_t seed_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Item> ready_;
  bool stop_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace autoscale::train
