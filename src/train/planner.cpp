#include "autoscale/train/planner.h"

#include <torch/serialize.h>
#include <torch/utils.h>

#include <cmath>
#include <filesystem>

#include "autoscale/core/artifact_meta.h"
#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "planner_net.h"
#include "planner_file.h"

namespace autoscale::train {

using torch::Tensor;

void PlannerOptions::visit(ConfigVisitor& v) {
  v.field("kind", kind,
          "planner network: transformer (scene tokens), ego_mlp (ego status only), gated (ego_mlp plus the "
          "transformer's scene residual behind a zero-initialised gate)",
          Choices{"transformer", "ego_mlp", "gated"});
  v.field("d_model", d_model, "transformer: token width", at_least(8));
  v.field("layers", layers, "transformer: encoder layers", at_least(1));
  v.field("heads", heads, "transformer: attention heads (must divide d_model)", at_least(1));
  v.field("feedforward", feedforward, "transformer: feed-forward width", at_least(8));
  v.field("dropout", dropout, "transformer: encoder dropout (training only)", in_range(0, 0.9));
  v.field("mlp_hidden", mlp_hidden, "ego_mlp, gated: hidden width of the ego MLP", at_least(8));
}

Planner::Planner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Planner::Planner(PlannerOptions options, encode::GraphOptions graph, uint64_t seed, const std::string& device)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->graph = std::move(graph);
  impl_->device = resolve_device(device);
  torch::manual_seed(seed);  // the initial weights come from the run's seed
  impl_->net = make_planner_net(impl_->options, impl_->graph);
  impl_->net->to(impl_->device);
}

Planner::~Planner() = default;
Planner::Planner(Planner&&) noexcept = default;
Planner& Planner::operator=(Planner&&) noexcept = default;

const PlannerOptions& Planner::options() const { return impl_->options; }
const encode::GraphOptions& Planner::graph() const { return impl_->graph; }
std::string Planner::device() const { return impl_->device.is_cuda() ? "cuda" : "cpu"; }
int64_t Planner::parameters() const {
  int64_t n = 0;
  for (const auto& p : impl_->net->parameters()) n += p.numel();
  return n;
}

namespace {

// Format 2: the options as written by their visit() (YAML). Format 1 (JSON, field by field)
// is the same keys, which the YAML reader also reads.
constexpr const char* kPlannerFormat = "autoscale-planner/2";

ConfigVisit planner_sections(PlannerOptions& options, encode::GraphOptions& graph) {
  return [&](ConfigVisitor& v) {
    v.section("planner", options, "the planner network");
    v.section("graph", graph, "the scene graphs it reads");
  };
}

}  // namespace

std::string planner_meta(const Planner::Impl& m) {
  PlannerOptions options = m.options;
  encode::GraphOptions graph = m.graph;
  return write_artifact_meta(kPlannerFormat, planner_sections(options, graph));
}

void write_planner_archive(const Planner::Impl& m, torch::serialize::OutputArchive& archive) {
  archive.write("meta", c10::IValue(planner_meta(m)));
  torch::serialize::OutputArchive model;
  m.net->save(model);
  archive.write("model", model);
}

void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  AtomicFile file(path);
  try {
    archive.save_to(file.temp_path());
  } catch (const c10::Error& e) {
    AUTOSCALE_THROW("{}: cannot write: {}", path, e.what_without_backtrace());
  }
  file.commit();
}

void Planner::save(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  write_planner_archive(*impl_, archive);
  save_archive_atomically(archive, path);
}

std::unique_ptr<Planner::Impl> read_planner_archive(torch::serialize::InputArchive& archive, const std::string& path,
                                                    const std::string& device) {
  c10::IValue meta;
  AUTOSCALE_CHECK(archive.try_read("meta", meta) && meta.isString(), "{}: not an autoscale planner file (no meta)", path);
  auto m = std::make_unique<Planner::Impl>();
  read_artifact_meta(meta.toStringRef(), path, "planner file", {"autoscale-planner/1", kPlannerFormat},
                     planner_sections(m->options, m->graph));
  m->device = resolve_device(device);
  m->net = make_planner_net(m->options, m->graph);
  torch::serialize::InputArchive model;
  AUTOSCALE_CHECK(archive.try_read("model", model), "{}: no model weights", path);
  try {
    m->net->load(model);
  } catch (const c10::Error& e) {
    AUTOSCALE_THROW("{}: weights do not fit a {} planner: {}", path, m->options.kind, e.what_without_backtrace());
  }
  m->net->to(m->device);
  return m;
}

Planner Planner::load(const std::string& path, const std::string& device) {
  AUTOSCALE_CHECK(std::filesystem::is_regular_file(path), "{}: no such planner file", path);
  torch::serialize::InputArchive archive;
  try {
    // Tensors come back where they were saved unless mapped: a model trained on a GPU must load
    // on a machine without one. read_planner_archive moves the net to its device afterwards.
    archive.load_from(path, torch::Device(torch::kCPU));
  } catch (const c10::Error& e) {
    AUTOSCALE_THROW("{}: not a readable planner file: {}", path, e.what_without_backtrace());
  }
  return Planner(read_planner_archive(archive, path, device));
}

std::vector<float> Planner::predict(const PlannerDataset& data, const std::vector<int64_t>& rows, int64_t batch) const {
  torch::NoGradGuard no_grad;
  impl_->net->eval();
  std::vector<float> out;
  out.reserve(rows.size() * kTargetSize);
  for (size_t first = 0; first < rows.size(); first += static_cast<size_t>(batch)) {
    const std::vector<int64_t> part(rows.begin() + first, rows.begin() + std::min(rows.size(), first + batch));
    const Tensor p = impl_->net->forward(pack(data, part).to(impl_->device)).to(torch::kCPU, torch::kFloat32).contiguous();
    out.insert(out.end(), p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
  }
  impl_->net->train();
  return out;
}

std::unordered_map<std::string, eval::Plan> predict_plans(const Planner& planner, const PlannerDataset& data,
                                                          const std::vector<int64_t>& rows) {
  const auto predicted = planner.predict(data, rows);
  std::unordered_map<std::string, eval::Plan> plans;
  for (size_t i = 0; i < rows.size(); ++i) {
    eval::Plan p{kPlanInterval, {}};
    for (int k = 0; k < kPlanPoses; ++k) {
      const float* q = &predicted[(i * kPlanPoses + k) * 3];
      p.poses.push_back({q[0], q[1], q[2]});
    }
    plans[data.info(static_cast<size_t>(rows[i])).token] = std::move(p);
  }
  return plans;
}

std::vector<double> l2_at_seconds(const PlannerDataset& data, const std::vector<int64_t>& rows,
                                  const std::vector<float>& pred) {
  AUTOSCALE_CHECK(pred.size() == rows.size() * kTargetSize, "l2: {} predictions for {} rows", pred.size() / kTargetSize,
                  rows.size());
  data.ensure(rows);
  std::vector<double> l2(4, 0.0);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& t = data.sample(static_cast<size_t>(rows[i])).target;
    for (int s = 0; s < 4; ++s) {
      const int k = 2 * s + 1;  // pose index of (s + 1) seconds
      l2[s] += std::hypot(pred[i * kTargetSize + 3 * k] - t[3 * k], pred[i * kTargetSize + 3 * k + 1] - t[3 * k + 1]);
    }
  }
  for (auto& v : l2) v /= std::max<size_t>(1, rows.size());
  return l2;
}

}  // namespace autoscale::train
