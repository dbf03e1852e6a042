// The planners' LibTorch modules and the batch packing; internal to the train module.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <vector>

#include "autoscale/train/planner.h"

namespace autoscale::train {

struct TensorBatch {
  torch::Tensor ego;         // B x kEgoInput
  torch::Tensor agents;      // B x A x kAgentInput
  torch::Tensor agent_mask;  // B x A, bool, true = a real agent
  torch::Tensor lanes;       // B x L x lane_input
  torch::Tensor lane_mask;   // B x L
  torch::Tensor path;        // B x kPathInput
  torch::Tensor prior;       // B x 8 x 3
  torch::Tensor target;      // B x 8 x 3

  TensorBatch to(torch::Device device, bool non_blocking = false) const;
};

// Copies the rows' arrays into contiguous CPU tensors (pinned when `pin`, for async copies).
// mirror (when not empty): per row, whether to mirror it left-right (training augmentation).
TensorBatch pack(const PlannerDataset& data, const std::vector<int64_t>& rows, bool pin = false,
                 const std::vector<uint8_t>& mirror = {});

// A planner network: batch -> B x 8 x 3 poses (x, y, yaw).
struct PlannerNetImpl : torch::nn::Module {
  virtual torch::Tensor forward(const TensorBatch& batch) = 0;
  // The planning head (the last layers): what gradient alignment measures (mixture-design 4.4).
  virtual std::vector<torch::Tensor> head_parameters() = 0;
};

std::shared_ptr<PlannerNetImpl> make_planner_net(const PlannerOptions& options, const encode::GraphOptions& graph);

// The training loss: L1 over (x, y, yaw) of every pose, as TransFuser/LTF train; per sample
// (B) when `per_sample`, else the mean.
torch::Tensor trajectory_loss(const torch::Tensor& predicted, const torch::Tensor& target, bool per_sample = false);

torch::Device resolve_device(const std::string& name);

struct Planner::Impl {
  PlannerOptions options;
  encode::GraphOptions graph;
  torch::Device device{torch::kCPU};
  std::shared_ptr<PlannerNetImpl> net;
};

}  // namespace autoscale::train
