// Collectives on tensors over a data-parallel ProcessGroup (distributed.h). Private to train, so
// that the public header stays torch-free: the trainer averages gradients and broadcasts
// weights with these; callers outside train only join a group and pass it on.
#pragma once

#include <torch/types.h>

#include <vector>

#include "autoscale/train/distributed.h"

namespace autoscale::train {

struct Collectives {
  static void allreduce_sum(ProcessGroup& group, torch::Tensor& tensor);        // in place, every rank gets the sum
  static void broadcast(ProcessGroup& group, torch::Tensor& tensor, int root);  // in place, from root to all
  static std::vector<torch::Tensor> allgather(ProcessGroup& group, const torch::Tensor& tensor);  // same shape on every rank
};

}  // namespace autoscale::train
