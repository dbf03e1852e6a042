// What a trained planner says about data it has not been trained on yet: per-sample training
// losses (DoReMi's excess loss, ODM's bandit reward) and loss gradients of the planning head
// (Cluster-GA's gradient alignment, mixture-design 4.4). Both run the model in eval mode (no
// dropout), so they are deterministic for a given model.
#pragma once

#include <cstdint>
#include <vector>

#include "autoscale/train/planner.h"

namespace autoscale::train {

// The training loss (trajectory L1) of each row, in row order.
std::vector<double> sample_losses(const Planner& planner, const PlannerDataset& data, const std::vector<int64_t>& rows,
                                  int64_t batch = 256);

// ∇_φ Σ_i w_i ℓ(row_i) / Σ_i w_i for φ the planning head's parameters, flattened in parameter
// order. Throws Error when the sizes differ or a weight is negative or not finite; all-zero
// weights give the zero vector.
std::vector<float> head_gradient(const Planner& planner, const PlannerDataset& data, const std::vector<int64_t>& rows,
                                 const std::vector<double>& weights, int64_t batch = 256);

// cos(a, b); NaN when either vector is zero.
double cosine(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace autoscale::train
