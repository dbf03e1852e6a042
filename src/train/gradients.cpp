#include "autoscale/train/gradients.h"

#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <limits>

#include "autoscale/core/error.h"
#include "planner_net.h"

namespace autoscale::train {

namespace {

// Runs `body` with the network in eval mode and restores training mode afterwards, also when
// body throws (the planner may keep training after being measured).
template <class F>
auto in_eval_mode(PlannerNetImpl& net, F&& body) {
  struct Restore {
    PlannerNetImpl& net;
    ~Restore() { net.train(); }
  } restore{net};
  net.eval();
  return body();
}

std::vector<int64_t> slice(const std::vector<int64_t>& rows, size_t first, int64_t batch) {
  return {rows.begin() + static_cast<std::ptrdiff_t>(first),
          rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), first + static_cast<size_t>(batch)))};
}

}  // namespace

std::vector<double> sample_losses(const Planner& planner, const PlannerDataset& data, const std::vector<int64_t>& rows,
                                  int64_t batch) {
  auto& impl = const_cast<Planner&>(planner).impl();
  torch::NoGradGuard no_grad;
  return in_eval_mode(*impl.net, [&] {
    std::vector<double> out;
    out.reserve(rows.size());
    for (size_t first = 0; first < rows.size(); first += static_cast<size_t>(batch)) {
      const TensorBatch b = pack(data, slice(rows, first, batch)).to(impl.device);
      const torch::Tensor l = trajectory_loss(impl.net->forward(b), b.target, true).to(torch::kCPU, torch::kDouble);
      out.insert(out.end(), l.data_ptr<double>(), l.data_ptr<double>() + l.numel());
    }
    return out;
  });
}

std::vector<float> head_gradient(const Planner& planner, const PlannerDataset& data, const std::vector<int64_t>& rows,
                                 const std::vector<double>& weights, int64_t batch) {
  AUTOSCALE_CHECK(weights.size() == rows.size(), "head_gradient: {} weights for {} rows", weights.size(), rows.size());
  double total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    AUTOSCALE_CHECK(std::isfinite(weights[i]) && weights[i] >= 0, "head_gradient: weight {} of row {} is not a finite value >= 0",
                    weights[i], rows[i]);
    total += weights[i];
  }
  auto& impl = const_cast<Planner&>(planner).impl();
  const auto head = impl.net->head_parameters();
  int64_t size = 0;
  for (const auto& p : head) size += p.numel();
  if (total <= 0) return std::vector<float>(static_cast<size_t>(size), 0.0f);
  return in_eval_mode(*impl.net, [&] {
    // Gradients accumulate over batches into fresh buffers: the optimiser's .grad are untouched.
    std::vector<torch::Tensor> sum;
    for (const auto& p : head) sum.push_back(torch::zeros_like(p, torch::kFloat32));
    for (size_t first = 0; first < rows.size(); first += static_cast<size_t>(batch)) {
      const auto part = slice(rows, first, batch);
      std::vector<double> w(weights.begin() + static_cast<std::ptrdiff_t>(first),
                            weights.begin() + static_cast<std::ptrdiff_t>(first + part.size()));
      const TensorBatch b = pack(data, part).to(impl.device);
      const torch::Tensor wt = torch::tensor(w, torch::kDouble).to(torch::kFloat32).to(impl.device);
      const torch::Tensor loss = (trajectory_loss(impl.net->forward(b), b.target, true) * wt).sum() / total;
      const auto grads = torch::autograd::grad({loss}, head, {}, false, false, true);
      for (size_t k = 0; k < head.size(); ++k) {
        if (grads[k].defined()) sum[k] += grads[k].to(torch::kFloat32);
      }
    }
    std::vector<float> flat;
    flat.reserve(static_cast<size_t>(size));
    for (auto& g : sum) {
      const torch::Tensor c = g.to(torch::kCPU).contiguous().view(-1);
      flat.insert(flat.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return flat;
  });
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  AUTOSCALE_CHECK(a.size() == b.size(), "cosine: vectors of {} and {} values", a.size(), b.size());
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
  if (aa <= 0 || bb <= 0) return std::numeric_limits<double>::quiet_NaN();
  return ab / std::sqrt(aa * bb);
}

}  // namespace autoscale::train
