#include "planner_net.h"

#include <torch/cuda.h>
#include <torch/nn.h>

#include "autoscale/core/error.h"

namespace autoscale::train {

using torch::Tensor;
namespace nn = torch::nn;

TensorBatch TensorBatch::to(torch::Device d, bool nb) const {
  return {ego.to(d, nb),  agents.to(d, nb), agent_mask.to(d, nb), lanes.to(d, nb),
          lane_mask.to(d, nb), path.to(d, nb), prior.to(d, nb),     target.to(d, nb)};
}

TensorBatch pack(const PlannerDataset& data, const std::vector<int64_t>& rows, bool pin,
                 const std::vector<uint8_t>& mirror) {
  data.ensure(rows);
  const auto& g = data.graph();
  const int64_t B = static_cast<int64_t>(rows.size()), A = g.max_agents, L = g.max_lanes, LI = lane_input(g);
  auto opts = torch::TensorOptions().pinned_memory(pin);
  TensorBatch b{torch::empty({B, kEgoInput}, opts.dtype(torch::kFloat32)),
                torch::empty({B, A, kAgentInput}, opts.dtype(torch::kFloat32)),
                torch::empty({B, A}, opts.dtype(torch::kBool)),
                torch::empty({B, L, LI}, opts.dtype(torch::kFloat32)),
                torch::empty({B, L}, opts.dtype(torch::kBool)),
                torch::empty({B, kPathInput}, opts.dtype(torch::kFloat32)),
                torch::empty({B, kPlanPoses, 3}, opts.dtype(torch::kFloat32)),
                torch::empty({B, kPlanPoses, 3}, opts.dtype(torch::kFloat32))};
  float *ego = b.ego.data_ptr<float>(), *agents = b.agents.data_ptr<float>(), *lanes = b.lanes.data_ptr<float>(),
        *target = b.target.data_ptr<float>(), *path = b.path.data_ptr<float>(), *prior = b.prior.data_ptr<float>();
  bool *am = b.agent_mask.data_ptr<bool>(), *lm = b.lane_mask.data_ptr<bool>();
  for (int64_t i = 0; i < B; ++i) {
    const PlannerSample& s = data.sample(static_cast<size_t>(rows[i]));
    std::copy(s.ego.begin(), s.ego.end(), ego + i * kEgoInput);
    std::copy(s.agents.begin(), s.agents.end(), agents + i * A * kAgentInput);
    std::copy(s.lanes.begin(), s.lanes.end(), lanes + i * L * LI);
    std::copy(s.target.begin(), s.target.end(), target + i * kTargetSize);
    std::copy(s.path.begin(), s.path.end(), path + i * kPathInput);
    std::copy(s.prior.begin(), s.prior.end(), prior + i * kTargetSize);
    for (int64_t k = 0; k < A; ++k) am[i * A + k] = s.agent_mask[k] != 0;
    for (int64_t k = 0; k < L; ++k) lm[i * L + k] = s.lane_mask[k] != 0;
    if (!mirror.empty() && mirror[static_cast<size_t>(i)]) {
      mirror_planner_arrays(ego + i * kEgoInput, agents + i * A * kAgentInput, A, lanes + i * L * LI, L, g,
                            path + i * kPathInput, prior + i * kTargetSize, target + i * kTargetSize);
    }
  }
  return b;
}

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    AUTOSCALE_CHECK(torch::cuda::is_available(), "device {} requested, but this libtorch sees no CUDA GPU", name);
    int index = 0;
    if (name.size() > 5) {
      const std::string digits = name.substr(5);
      AUTOSCALE_CHECK(!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos,
                      "unknown device {} (auto | cpu | cuda | cuda:N)", quote(name));
      index = std::stoi(digits);
    }
    AUTOSCALE_CHECK(index < static_cast<int>(torch::cuda::device_count()), "device {}: this node has {} CUDA GPU(s)",
                    name, torch::cuda::device_count());
    return {torch::kCUDA, static_cast<c10::DeviceIndex>(index)};
  }
  AUTOSCALE_CHECK(name == "auto", "unknown device {} (auto | cpu | cuda | cuda:N)", quote(name));
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

Tensor trajectory_loss(const Tensor& predicted, const Tensor& target, bool per_sample) {
  const Tensor l1 = (predicted.to(torch::kFloat32) - target).abs();
  return per_sample ? l1.mean({1, 2}) : l1.mean();
}

namespace {

nn::Sequential mlp(int64_t in, int64_t hidden, int64_t out) {
  return nn::Sequential(nn::Linear(in, hidden), nn::ReLU(), nn::Linear(hidden, out));
}

// NAVSIM's Ego-Status MLP: [speed, accel lon/lat, command] -> 8 x (x, y, yaw).
struct EgoMlpImpl : PlannerNetImpl {
  explicit EgoMlpImpl(const PlannerOptions& o) {
    net = register_module("net", nn::Sequential(nn::Linear(7, o.mlp_hidden), nn::ReLU(),
                                                nn::Linear(o.mlp_hidden, o.mlp_hidden), nn::ReLU(),
                                                nn::Linear(o.mlp_hidden, kTargetSize)));
  }
  Tensor forward(const TensorBatch& b) override {
    return net->forward(b.ego.narrow(1, 0, 7)).view({-1, kPlanPoses, 3});
  }
  std::vector<Tensor> head_parameters() override { return net->ptr(net->size() - 1)->parameters(); }
  nn::Sequential net{nullptr};
};

// Fixed per-feature scales bring metres, m/s and flags to similar ranges; they are buffers so
// they move with the model and are saved with it.
Tensor scales(std::vector<float> v) { return torch::tensor(v); }

struct TransformerPlannerImpl : PlannerNetImpl {
  TransformerPlannerImpl(const PlannerOptions& o, const encode::GraphOptions& g) {
    const int64_t d = o.d_model, li = lane_input(g);
    std::vector<float> ego_scale = {0.1f, 0.3f, 0.3f, 1, 1, 1, 1, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f};
    std::vector<float> agent_scale = {1, 1, 1, 1, 0.1f, 0.1f, 1, 1, 0.2f, 0.2f, 0.1f, 0.1f};
    for (int k = 0; k < 3; ++k) agent_scale.insert(agent_scale.end(), {0.1f, 0.1f, 1.f});
    std::vector<float> lane_scale(static_cast<size_t>(2 * g.lane_points), 0.1f);
    lane_scale.insert(lane_scale.end(), {1.f, 0.1f, 1.f, 1.f, 1.f});  // connector, speed, has speed, red, route
    AUTOSCALE_CHECK(static_cast<int64_t>(lane_scale.size()) == li && agent_scale.size() == kAgentInput &&
                        ego_scale.size() == kEgoInput,
                    "planner: feature scales do not match the inputs");
    ego_s = register_buffer("ego_scale", scales(ego_scale));
    agent_s = register_buffer("agent_scale", scales(agent_scale));
    lane_s = register_buffer("lane_scale", scales(lane_scale));
    ego_enc = register_module("ego_enc", mlp(kEgoInput, d, d));
    agent_enc = register_module("agent_enc", mlp(kAgentInput, d, d));
    lane_enc = register_module("lane_enc", mlp(li, d, d));
    path_enc = register_module("path_enc", mlp(kPathInput, d, d));
    type_emb = register_parameter("type_emb", torch::randn({4, d}) * 0.02);
    encoder = register_module(
        "encoder", nn::TransformerEncoder(nn::TransformerEncoderOptions(
                                              nn::TransformerEncoderLayerOptions(d, o.heads).dim_feedforward(o.feedforward).dropout(o.dropout),
                                              o.layers)));
    head = register_module("head", mlp(d, d, kTargetSize));
  }

  Tensor forward(const TensorBatch& b) override {
    const int64_t B = b.ego.size(0);
    const Tensor ego = ego_enc->forward(b.ego * ego_s).unsqueeze(1) + type_emb[0];
    const Tensor agents = agent_enc->forward(b.agents * agent_s) + type_emb[1];
    const Tensor lanes = lane_enc->forward(b.lanes * lane_s) + type_emb[2];
    const Tensor path = path_enc->forward(b.path * 0.1).unsqueeze(1) + type_emb[3];
    const Tensor tokens = torch::cat({ego, path, agents, lanes}, 1).transpose(0, 1);  // S x B x d (no batch_first in 1.13)
    const Tensor always = torch::zeros({B, 2}, b.agent_mask.options());
    const Tensor pad = torch::cat({always, b.agent_mask.logical_not(), b.lane_mask.logical_not()}, 1);
    const Tensor out = encoder->forward(tokens, {}, pad);
    const Tensor delta = head->forward(out[0]).view({B, kPlanPoses, 3});
    return b.prior + delta;
  }
  std::vector<Tensor> head_parameters() override { return head->parameters(); }

  Tensor ego_s, agent_s, lane_s, type_emb;
  nn::Sequential ego_enc{nullptr}, agent_enc{nullptr}, lane_enc{nullptr}, path_enc{nullptr}, head{nullptr};
  nn::TransformerEncoder encoder{nullptr};
};

// The ego MLP plus a gated scene residual (mixture-review §3 P0): out = mlp + g ⊙ (scene − mlp),
// g one weight per pose coordinate, initialised to 0. It starts as the ego MLP, and the scene
// transformer takes over only the coordinates where data pulls the gate open (ReZero-style: at
// g = 0 the gate's gradient is the residual, so it opens; the residual learns once it has).
struct GatedPlannerImpl : PlannerNetImpl {
  GatedPlannerImpl(const PlannerOptions& o, const encode::GraphOptions& g) {
    ego = register_module("ego", std::make_shared<EgoMlpImpl>(o));
    scene = register_module("scene", std::make_shared<TransformerPlannerImpl>(o, g));
    gate = register_parameter("gate", torch::zeros({kPlanPoses, 3}));
  }
  Tensor forward(const TensorBatch& b) override {
    const Tensor base = ego->forward(b);
    return base + gate * (scene->forward(b) - base);
  }
  std::vector<Tensor> head_parameters() override {
    auto p = scene->head_parameters();
    for (const auto& t : ego->head_parameters()) p.push_back(t);
    p.push_back(gate);
    return p;
  }
  std::shared_ptr<EgoMlpImpl> ego;
  std::shared_ptr<TransformerPlannerImpl> scene;
  Tensor gate;
};

}  // namespace

std::shared_ptr<PlannerNetImpl> make_planner_net(const PlannerOptions& o, const encode::GraphOptions& g) {
  if (o.kind == "ego_mlp") return std::make_shared<EgoMlpImpl>(o);
  AUTOSCALE_CHECK(o.kind == "transformer" || o.kind == "gated",
                  "train.planner.kind: unknown planner {} (transformer | ego_mlp | gated)", quote(o.kind));
  AUTOSCALE_CHECK(o.d_model % o.heads == 0, "train.planner: d_model {} is not divisible by heads {}", o.d_model, o.heads);
  if (o.kind == "gated") return std::make_shared<GatedPlannerImpl>(o, g);
  return std::make_shared<TransformerPlannerImpl>(o, g);
}

}  // namespace autoscale::train
