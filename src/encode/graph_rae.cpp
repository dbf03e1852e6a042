// The only translation unit of encode that includes LibTorch.
#include "autoscale/encode/graph_rae.h"

#include "autoscale/encode/autocast.h"

#include <torch/cuda.h>
#include <torch/nn.h>
#include <torch/optim/adam.h>
#include <torch/serialize.h>
#include <torch/utils.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "autoscale/core/artifact_meta.h"
#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/threads.h"

namespace autoscale::encode {

void GraphRaeOptions::visit(ConfigVisitor& v) {
  v.field("dim", dim, "embedding size", at_least(2));
  v.field("hidden", hidden, "node state size", at_least(8));
  v.field("rounds", rounds, "message-passing rounds", at_least(1));
  v.field("heads", heads, "attention heads (must divide hidden)", at_least(1));
  v.field("epochs", epochs, "training epochs", at_least(1));
  v.field("batch", batch, "scenes per batch", at_least(2));
  v.field("lr", lr, "Adam learning rate (cosine decay)", positive());
  v.field("lambda_graph", lambda_graph, "weight of the graph-Laplacian term", at_least(0));
  v.field("lambda_contrastive", lambda_contrastive, "weight of NT-Xent between augmented views", at_least(0));
  v.field("lambda_metric", lambda_metric, "weight of the ego-future behaviour term", at_least(0));
  v.field("beta", beta, "RAE penalty on ||z||^2", at_least(0));
  v.field("temperature", temperature, "NT-Xent temperature", positive());
  v.field("sigma_future_m", sigma_future_m, "ADE scale of the behaviour term [m]", positive());
  v.field("mask_ratio", mask_ratio, "share of non-ego nodes masked for completion", in_range(0, 0.9));
  v.field("knn", knn, "descriptor neighbours in the Laplacian term", at_least(1));
}

namespace {

using torch::Tensor;

torch::nn::Sequential mlp(int64_t in, int64_t hidden, int64_t out) {
  return torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::GELU(), torch::nn::Linear(hidden, out));
}

// A batch of scene graphs as tensors. Nodes: [ego, agents..., lanes...].
struct Batch {
  Tensor ego, agents, lanes;  // [B, De], [B, A, Da], [B, L, Dl]
  Tensor valid;               // [B, N] bool
  Tensor blocked;             // [B, N, N] bool: true where attention is not allowed
  Tensor future;              // [B, 24]
};

Batch pack(const std::vector<const SceneGraph*>& gs, const GraphOptions& o, torch::Device device) {
  const int64_t B = static_cast<int64_t>(gs.size()), A = o.max_agents, L = o.max_lanes, N = 1 + A + L;
  const int64_t lf = lane_features(o);
  std::vector<float> ego, agents, lanes, future;
  std::vector<uint8_t> valid(B * N, 0), allowed(B * N * N, 0);
  for (int64_t b = 0; b < B; ++b) {
    const SceneGraph& g = *gs[b];
    ego.insert(ego.end(), g.ego.begin(), g.ego.end());
    agents.insert(agents.end(), g.agents.begin(), g.agents.end());
    lanes.insert(lanes.end(), g.lanes.begin(), g.lanes.end());
    future.insert(future.end(), g.future.begin(), g.future.end());
    valid[b * N] = 1;
    for (int64_t i = 0; i < A; ++i) valid[b * N + 1 + i] = g.agent_mask[i];
    for (int64_t i = 0; i < L; ++i) valid[b * N + 1 + A + i] = g.lane_mask[i];
    for (int64_t i = 0; i < N; ++i) allowed[(b * N + i) * N + i] = 1;  // every node sees itself
    for (size_t k = 0; k < g.edge_src.size(); ++k) {
      const int64_t s = g.edge_src[k], d = g.edge_dst[k];
      if (valid[b * N + s] && valid[b * N + d]) allowed[(b * N + d) * N + s] = 1;  // d attends to s
    }
  }
  auto f32 = [&](std::vector<float>& v, std::vector<int64_t> shape) {
    return torch::from_blob(v.data(), shape, torch::kFloat32).clone().to(device);
  };
  Batch batch;
  batch.ego = f32(ego, {B, kEgoFeatures});
  batch.agents = f32(agents, {B, A, kAgentFeatures});
  batch.lanes = f32(lanes, {B, L, lf});
  batch.future = f32(future, {B, 24});
  batch.valid = torch::from_blob(valid.data(), {B, N}, torch::kUInt8).clone().to(torch::kBool).to(device);
  batch.blocked = torch::from_blob(allowed.data(), {B, N, N}, torch::kUInt8).clone().to(torch::kBool).logical_not().to(device);
  return batch;
}

// Multi-head attention with a per-scene mask (LibTorch 1.13's MultiheadAttention takes only one
// 2-D mask for the whole batch). q: [B, Nq, H], kv: [B, Nk, H], blocked: [B, Nq, Nk], true =
// not allowed; every query must be allowed at least one key.
struct MaskedAttentionImpl : torch::nn::Module {
  MaskedAttentionImpl(int64_t hidden, int64_t heads)
      : heads(heads),
        q_proj(register_module("q_proj", torch::nn::Linear(hidden, hidden))),
        kv_proj(register_module("kv_proj", torch::nn::Linear(hidden, 2 * hidden))),
        out_proj(register_module("out_proj", torch::nn::Linear(hidden, hidden))) {}

  Tensor forward(const Tensor& q, const Tensor& kv, const Tensor& blocked) {
    const int64_t B = q.size(0), Nq = q.size(1), Nk = kv.size(1), H = q.size(2), d = H / heads;
    const Tensor query = q_proj->forward(q).view({B, Nq, heads, d}).transpose(1, 2);  // [B, h, Nq, d]
    const auto parts = kv_proj->forward(kv).view({B, Nk, 2, heads, d}).unbind(2);
    const Tensor key = parts[0].transpose(1, 2), value = parts[1].transpose(1, 2);   // [B, h, Nk, d]
    Tensor scores = torch::matmul(query, key.transpose(-2, -1)) / std::sqrt(double(d));
    scores = scores.masked_fill(blocked.unsqueeze(1), -std::numeric_limits<float>::infinity());
    const Tensor out = torch::matmul(torch::softmax(scores, -1), value).transpose(1, 2).reshape({B, Nq, H});
    return out_proj->forward(out);
  }

  int64_t heads;
  torch::nn::Linear q_proj, kv_proj, out_proj;
};
TORCH_MODULE(MaskedAttention);

struct GraphRaeNetImpl : torch::nn::Module {
  GraphRaeNetImpl(const GraphOptions& go, const GraphRaeOptions& o, int64_t descriptor_dim)
      : heads(o.heads),
        ego_enc(register_module("ego_enc", mlp(kEgoFeatures, o.hidden, o.hidden))),
        agent_enc(register_module("agent_enc", mlp(kAgentFeatures, o.hidden, o.hidden))),
        lane_enc(register_module("lane_enc", mlp(lane_features(go), o.hidden, o.hidden))),
        type_emb(register_module("type_emb", torch::nn::Embedding(3, o.hidden))),
        mask_token(register_parameter("mask_token", torch::zeros({o.hidden}))),
        readout(register_module("readout", MaskedAttention(o.hidden, o.heads))),
        to_z(register_module("to_z", mlp(o.hidden, o.hidden, o.dim))),
        descriptor_head(register_module("descriptor_head", mlp(o.dim, o.hidden, descriptor_dim))),
        agent_dec(register_module("agent_dec", torch::nn::Linear(o.hidden, kAgentFeatures))),
        lane_dec(register_module("lane_dec", torch::nn::Linear(o.hidden, lane_features(go)))) {
    AUTOSCALE_CHECK(o.hidden % o.heads == 0, "encode.graph_rae.heads ({}) must divide hidden ({})", o.heads, o.hidden);
    for (int64_t r = 0; r < o.rounds; ++r) {
      attention.push_back(register_module("attention" + std::to_string(r), MaskedAttention(o.hidden, o.heads)));
      norm1.push_back(register_module("norm1_" + std::to_string(r), torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.hidden}))));
      ffn.push_back(register_module("ffn" + std::to_string(r), mlp(o.hidden, 2 * o.hidden, o.hidden)));
      norm2.push_back(register_module("norm2_" + std::to_string(r), torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.hidden}))));
    }
  }

  // Node states [B, N, H] after message passing; `masked` [B, N] replaces inputs by the mask token.
  Tensor nodes(const Batch& b, const Tensor& masked) {
    const int64_t A = b.agents.size(1), L = b.lanes.size(1);
    auto types = torch::cat({torch::zeros({1}, torch::kLong), torch::ones({A}, torch::kLong),
                             torch::full({L}, 2, torch::kLong)}).to(b.ego.device());
    Tensor h = torch::cat({ego_enc->forward(b.ego).unsqueeze(1), agent_enc->forward(b.agents), lane_enc->forward(b.lanes)}, 1);
    if (masked.defined()) h = torch::where(masked.unsqueeze(-1), mask_token.expand_as(h), h);
    h = h + type_emb->forward(types).unsqueeze(0);
    h = h * b.valid.unsqueeze(-1).to(h.dtype());
    for (size_t r = 0; r < attention.size(); ++r) {
      // Messages flow only along the typed edges (and from each node to itself).
      h = norm1[r]->forward(h + attention[r]->forward(h, h, b.blocked));
      h = norm2[r]->forward(h + ffn[r]->forward(h));
      h = h * b.valid.unsqueeze(-1).to(h.dtype());
    }
    return h;
  }

  // z [B, dim] from the ego query attending over all valid nodes.
  Tensor embed(const Tensor& h, const Batch& b) {
    const Tensor ego = h.select(1, 0);
    const Tensor pooled = readout->forward(ego.unsqueeze(1), h, b.valid.logical_not().unsqueeze(1)).squeeze(1);
    return to_z->forward(pooled + ego);
  }

  int64_t heads;
  torch::nn::Sequential ego_enc, agent_enc, lane_enc;
  torch::nn::Embedding type_emb;
  Tensor mask_token;
  std::vector<MaskedAttention> attention;
  std::vector<torch::nn::LayerNorm> norm1, norm2;
  std::vector<torch::nn::Sequential> ffn;
  MaskedAttention readout;
  torch::nn::Sequential to_z, descriptor_head;
  torch::nn::Linear agent_dec, lane_dec;
};
TORCH_MODULE(GraphRaeNet);

// In-batch graph Laplacian: sum_ij W_ij ||zi - zj||^2 / sum W, W from descriptor kNN with a
// heat kernel (sigma = median kNN distance).
Tensor laplacian_term(const Tensor& zn, const Tensor& desc, int64_t knn) {
  const int64_t B = zn.size(0);
  const int64_t k = std::min<int64_t>(knn, B - 1);
  const Tensor d2 = torch::cdist(desc, desc).pow(2);
  const Tensor masked = d2 + torch::eye(B, d2.options()) * 1e12;
  const auto top = masked.topk(k, 1, /*largest=*/false);
  const Tensor sigma2 = std::get<0>(top).median().clamp_min(1e-6);
  Tensor w = torch::zeros_like(d2).scatter(1, std::get<1>(top), torch::exp(-std::get<0>(top) / sigma2));
  w = 0.5 * (w + w.t());
  const Tensor zd = torch::cdist(zn, zn).pow(2);
  return (w * zd).sum() / w.sum().clamp_min(1e-9);
}

// NT-Xent between two views: row i of a and of b are the positive pair.
Tensor nt_xent(const Tensor& a, const Tensor& b, double tau) {
  const int64_t B = a.size(0);
  const Tensor z = torch::cat({a, b}, 0);
  Tensor sim = torch::mm(z, z.t()) / tau;
  sim = sim - torch::eye(2 * B, sim.options()) * 1e9;  // never the sample itself
  const Tensor target = torch::cat({torch::arange(B, 2 * B), torch::arange(0, B)}).to(a.device());
  return torch::nn::functional::cross_entropy(sim, target);
}

// Embedding similarity should follow behaviour: cos(zi, zj) ~ exp(-ADE(future_i, future_j) / sigma).
Tensor metric_term(const Tensor& zn, const Tensor& future, double sigma) {
  const int64_t B = future.size(0);
  const Tensor xy = future.view({B, 8, 3}).slice(2, 0, 2);
  const Tensor diff = xy.unsqueeze(1) - xy.unsqueeze(0);          // [B, B, 8, 2]
  const Tensor ade = diff.pow(2).sum(-1).sqrt().mean(-1);           // [B, B]
  const Tensor target = torch::exp(-ade / sigma);
  return (torch::mm(zn, zn.t()) - target).pow(2).mean();
}

}  // namespace

struct GraphRae::Impl {
  GraphOptions graph;
  GraphRaeOptions options;
  uint64_t seed;
  torch::Device device{torch::kCPU};
  int64_t descriptor_dim = 0;
  GraphRaeNet net{nullptr};

  void build(int64_t desc_dim) {
    descriptor_dim = desc_dim;
    torch::manual_seed(seed);
    net = GraphRaeNet(graph, options, desc_dim);
    net->to(device);
  }

  Tensor descriptor_tensor(const std::vector<std::vector<float>>& d, const std::vector<size_t>& rows) {
    std::vector<float> flat;
    for (size_t r : rows) flat.insert(flat.end(), d[r].begin(), d[r].end());
    return torch::from_blob(flat.data(), {static_cast<int64_t>(rows.size()), descriptor_dim}, torch::kFloat32)
        .clone()
        .to(device);
  }
};

GraphRae::GraphRae(GraphOptions graph, GraphRaeOptions options, uint64_t seed) : impl_(std::make_unique<Impl>()) {
  // torch keeps its own intra-op pool: follow --threads like OpenMP and OpenBLAS do.
  static const bool hooked = [] {
    add_thread_hook([](int n) { torch::set_num_threads(n); });
    return true;
  }();
  (void)hooked;
  impl_->graph = graph;
  impl_->options = options;
  impl_->seed = seed;
  impl_->device = torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}
GraphRae::~GraphRae() = default;
GraphRae::GraphRae(GraphRae&&) noexcept = default;
GraphRae& GraphRae::operator=(GraphRae&&) noexcept = default;

int64_t GraphRae::dim() const { return impl_->options.dim; }

TrainStats GraphRae::train(const std::vector<SceneGraph>& graphs, const std::vector<std::vector<float>>& descriptors) {
  AUTOSCALE_CHECK(graphs.size() >= 2 && graphs.size() == descriptors.size(),
                  "graph_rae: {} graphs and {} descriptors (need at least 2)", graphs.size(), descriptors.size());
  Impl& m = *impl_;
  const auto& o = m.options;
  m.build(static_cast<int64_t>(descriptors.front().size()));
  m.net->train();
  torch::optim::Adam optimizer(m.net->parameters(), torch::optim::AdamOptions(o.lr));
  std::mt19937_64 rng(m.seed);
  std::vector<size_t> order(graphs.size());
  std::iota(order.begin(), order.end(), 0);
  TrainStats stats;
  stats.device = m.device.is_cuda() ? "cuda" : "cpu";
  const auto start = std::chrono::steady_clock::now();
  const int64_t batches_per_epoch = (static_cast<int64_t>(graphs.size()) + o.batch - 1) / o.batch;
  const int64_t total_steps = o.epochs * batches_per_epoch;
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    double sum = 0;
    int64_t count = 0;
    for (size_t first = 0; first < order.size(); first += static_cast<size_t>(o.batch)) {
      std::vector<size_t> rows(order.begin() + first, order.begin() + std::min(order.size(), first + o.batch));
      if (rows.size() < 2) continue;  // the in-batch terms need pairs
      // Cosine learning-rate schedule over all steps.
      const double lr = 0.5 * o.lr * (1 + std::cos(M_PI * double(step++) / std::max<int64_t>(1, total_steps)));
      for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);

      std::vector<SceneGraph> view_a, view_b;
      std::vector<const SceneGraph*> plain, pa, pb;
      for (size_t r : rows) {
        plain.push_back(&graphs[r]);
        view_a.push_back(augment(graphs[r], m.graph, rng));
        view_b.push_back(augment(graphs[r], m.graph, rng));
      }
      for (size_t i = 0; i < rows.size(); ++i) pa.push_back(&view_a[i]), pb.push_back(&view_b[i]);
      const Batch batch = pack(plain, m.graph, m.device);
      const Tensor desc = m.descriptor_tensor(descriptors, rows);

      Tensor loss;
      {  // bf16 autocast on CUDA (the losses run in fp32 under autocast's policy); CPU stays fp32
      CudaAutocast amp(m.device.is_cuda());
      // Masked node completion: hide some valid non-ego nodes, rebuild their inputs.
      const Tensor masked = (torch::rand(batch.valid.sizes(), torch::TensorOptions().device(m.device)) < o.mask_ratio)
                                .logical_and(batch.valid);
      masked.select(1, 0).fill_(false);
      const Tensor h = m.net->nodes(batch, masked);
      const Tensor z = m.net->embed(h, batch);
      const Tensor zn = torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().dim(1));
      const int64_t A = m.graph.max_agents;
      const Tensor agent_mask = masked.slice(1, 1, 1 + A), lane_mask = masked.slice(1, 1 + A);
      Tensor completion = torch::zeros({}, z.options());
      if (agent_mask.any().item<bool>()) {
        completion = completion + torch::nn::functional::huber_loss(
                                      m.net->agent_dec->forward(h.slice(1, 1, 1 + A)).index({agent_mask}),
                                      batch.agents.index({agent_mask}));
      }
      if (lane_mask.any().item<bool>()) {
        completion = completion + torch::nn::functional::huber_loss(
                                      m.net->lane_dec->forward(h.slice(1, 1 + A)).index({lane_mask}),
                                      batch.lanes.index({lane_mask}));
      }
      const Tensor reconstruction = torch::mse_loss(m.net->descriptor_head->forward(z), desc) + completion;
      const Tensor za = torch::nn::functional::normalize(
          m.net->embed(m.net->nodes(pack(pa, m.graph, m.device), {}), pack(pa, m.graph, m.device)),
          torch::nn::functional::NormalizeFuncOptions().dim(1));
      const Tensor zb = torch::nn::functional::normalize(
          m.net->embed(m.net->nodes(pack(pb, m.graph, m.device), {}), pack(pb, m.graph, m.device)),
          torch::nn::functional::NormalizeFuncOptions().dim(1));
      loss = (reconstruction + o.lambda_graph * laplacian_term(zn, desc, o.knn) +
              o.lambda_contrastive * nt_xent(za, zb, o.temperature) +
              o.lambda_metric * metric_term(zn, batch.future, o.sigma_future_m) + o.beta * 0.5 * z.pow(2).sum(1).mean())
                 .to(torch::kFloat32);
      }
      AUTOSCALE_CHECK(std::isfinite(loss.item<double>()), "graph_rae: the loss became {} in epoch {}", loss.item<double>(),
                      epoch);
      optimizer.zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(m.net->parameters(), 1.0);
      optimizer.step();
      sum += loss.item<double>();
      ++count;
    }
    stats.epoch_loss.push_back(count ? sum / count : 0.0);
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

std::vector<float> GraphRae::embed(const std::vector<SceneGraph>& graphs) const {
  Impl& m = *impl_;
  AUTOSCALE_CHECK(!m.net.is_empty(), "graph_rae: embed before train or load");
  m.net->eval();
  torch::NoGradGuard no_grad;
  std::vector<float> out;
  out.reserve(graphs.size() * m.options.dim);
  for (size_t first = 0; first < graphs.size(); first += kEmbedBatch) {
    std::vector<const SceneGraph*> part;
    for (size_t i = first; i < std::min(graphs.size(), first + kEmbedBatch); ++i) part.push_back(&graphs[i]);
    const Batch batch = pack(part, m.graph, m.device);
    Tensor raw;
    {
      CudaAutocast amp(m.device.is_cuda());
      raw = m.net->embed(m.net->nodes(batch, {}), batch).to(torch::kFloat32);
    }
    const Tensor z = torch::nn::functional::normalize(raw, torch::nn::functional::NormalizeFuncOptions().dim(1))
                         .to(torch::kCPU)
                         .contiguous();
    out.insert(out.end(), z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
  }
  return out;
}

namespace {

// graph_rae.pt's metadata: the graph options its scenes were built with, the model's options and
// the descriptor size its reconstruction head was made for.
constexpr const char* kGraphRaeFormat = "autoscale-graph-rae/1";

struct GraphRaeFileMeta {
  GraphOptions graph;
  GraphRaeOptions graph_rae;
  int64_t descriptor_dim = 1;

  ConfigVisit sections() {
    return [this](ConfigVisitor& v) {
      v.section("graph", graph, "the scene graphs the model reads");
      v.section("graph_rae", graph_rae, "the model");
      v.field("descriptor_dim", descriptor_dim, "size of the descriptor the model reconstructs", at_least(1));
    };
  }
};

// The first line where two option dumps differ, as "A" vs "B" (comments dropped); "" if none.
std::string first_difference(const std::string& a, const std::string& b) {
  const auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      const auto hash = line.find("  #");
      line = line.substr(0, hash);
      if (!line.empty() && line[0] != '#') out.push_back(line);
    }
    return out;
  };
  const auto x = lines(a), y = lines(b);
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    if (x[i] != y[i]) return fmt::format("\"{}\" vs \"{}\"", x[i], y[i]);
  }
  return x.size() == y.size() ? "" : "a different set of keys";
}

}  // namespace

void GraphRae::save(const std::string& path) const {
  AUTOSCALE_CHECK(!impl_->net.is_empty(), "graph_rae: nothing to save");
  AtomicFile file(path);
  torch::serialize::OutputArchive archive;
  impl_->net->save(archive);
  GraphRaeFileMeta meta{impl_->graph, impl_->options, impl_->descriptor_dim};
  archive.write("meta", c10::IValue(write_artifact_meta(kGraphRaeFormat, meta.sections())));
  archive.save_to(file.temp_path());
  file.commit();
}

void GraphRae::load(const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, torch::Device(torch::kCPU));  // fitted on a GPU, read anywhere
  } catch (const std::exception& e) {
    AUTOSCALE_THROW("{}: not a readable Graph-RAE file: {}", path, e.what());
  }
  c10::IValue text;
  AUTOSCALE_CHECK(archive.try_read("meta", text) && text.isString(),
                  "{}: not an autoscale Graph-RAE file (no format tag; files from before tags are refused: fit it "
                  "again with `autoscale encode`)",
                  path);
  GraphRaeFileMeta meta;
  read_artifact_meta(text.toStringRef(), path, "Graph-RAE file", {kGraphRaeFormat}, meta.sections());
  // The scenes were turned into graphs with this model's graph options: a model fitted on other
  // graphs would embed them wrongly (or fail on their shapes).
  GraphOptions mine = impl_->graph;
  const std::string diff = first_difference(config_to_yaml(meta.graph), config_to_yaml(mine));
  AUTOSCALE_CHECK(diff.empty(), "{}: fitted on scene graphs with other options than these (encode.graph: {})", path,
                  diff);
  impl_->options = meta.graph_rae;  // the file's model, whatever the config says of its shape
  impl_->build(meta.descriptor_dim);
  try {
    impl_->net->load(archive);
  } catch (const c10::Error& e) {
    AUTOSCALE_THROW("{}: weights do not fit the model its metadata describes: {}", path, e.what_without_backtrace());
  }
  impl_->net->to(impl_->device);
}

}  // namespace autoscale::encode
