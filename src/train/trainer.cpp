#include "autoscale/train/trainer.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/termination.h"
#include "autoscale/encode/autocast.h"
#include "autoscale/train/distributed.h"
#include "collectives.h"
#include "batch_loader.h"
#include "planner_file.h"
#include "planner_net.h"

namespace autoscale::train {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void TrainOptions::visit(ConfigVisitor& v) {
  v.section("planner", planner, "the planner network");
  v.field("steps", steps, "optimiser steps (every compared method gets the same)", at_least(1));
  v.field("batch", batch, "samples per optimiser step", at_least(1));
  v.field("lr", lr, "peak learning rate (AdamW)", positive());
  v.field("min_lr_ratio", min_lr_ratio, "the cosine decay ends at this share of the peak", in_range(0, 1));
  v.field("warmup_steps", warmup_steps, "linear warm-up steps", at_least(0));
  v.field("weight_decay", weight_decay, "AdamW weight decay", at_least(0));
  v.field("clip_norm", clip_norm, "gradient L2-norm clip; 0 = off", at_least(0));
  v.field("log_every", log_every, "steps between metric lines", at_least(1));
  v.field("eval_every", eval_every, "steps between validation L2 measurements; 0 = only at the end", at_least(0));
  v.field("checkpoint_every", checkpoint_every, "steps between checkpoints", at_least(1));
  v.field("prefetch", prefetch, "batches the loader thread prepares ahead", at_least(1));
  v.field("bf16", bf16, "autocast to bf16 on CUDA (CPU stays fp32)");
  v.field("mirror", mirror, "probability of mirroring a training sample left-right (augmentation: y -> -y, left <-> right command)",
          in_range(0, 1));
  v.field("device", device, "training device", Choices{"auto", "cpu", "cuda"});
}

MixtureSpec MixtureSpec::uniform_over(size_t rows) {
  MixtureSpec m{{"all"}, {std::vector<int64_t>(rows)}, {1.0}};
  for (size_t i = 0; i < rows; ++i) m.groups[0][i] = static_cast<int64_t>(i);
  return m;
}

double learning_rate(const TrainOptions& o, int64_t step, int64_t total) {
  if (step < o.warmup_steps) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps + 1);
  const double span = std::max<int64_t>(1, total - o.warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / span);
  return o.lr * (o.min_lr_ratio + (1 - o.min_lr_ratio) * 0.5 * (1 + std::cos(M_PI * progress)));
}

namespace {

constexpr size_t kMaxValidationRows = 4096;

struct TrainState {
  int64_t step = 0;
  std::string sampler;
  double last_loss = 0;
  int64_t best_step = -1;
  double best_val_l2 = 0;
};

// A collective call with a data-parallel group: every rank hands its generator state to rank 0,
// which writes the file.
void save_checkpoint(const Planner& planner, torch::optim::AdamW& optimizer, const TrainState& state, const std::string& path,
                     ProcessGroup* group) {
  // Dropout draws from torch's CPU generator: its state makes a resumed run bit-identical.
  const torch::Tensor rng = at::detail::getDefaultCPUGenerator().get_state();
  std::vector<torch::Tensor> rank_rngs;
  if (group) rank_rngs = Collectives::allgather(*group, rng);
  if (group && group->rank() != 0) return;
  torch::serialize::OutputArchive archive;
  write_planner_archive(planner.impl(), archive);
  torch::serialize::OutputArchive opt;
  optimizer.save(opt);
  archive.write("optimizer", opt);
  const nlohmann::json j = {{"step", state.step}, {"sampler", state.sampler}, {"last_loss", state.last_loss},
                             {"best_step", state.best_step}, {"best_val_l2", state.best_val_l2}};
  archive.write("train_state", c10::IValue(j.dump()));
  archive.write("torch_rng", rng);
  if (group) archive.write("torch_rng_ranks", torch::stack(rank_rngs));
  save_archive_atomically(archive, path);
}

TrainState load_checkpoint(Planner& planner, torch::optim::AdamW& optimizer, const std::string& path, int rank, int world) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    AUTOSCALE_THROW("{}: not a readable checkpoint: {}", path, e.what_without_backtrace());
  }
  // The weights go into the existing model, whose parameters the optimiser already holds.
  auto loaded = read_planner_archive(archive, path, planner.device());
  AUTOSCALE_CHECK(loaded->options.kind == planner.options().kind, "{}: holds a {} planner, the config trains a {}", path,
                  loaded->options.kind, planner.options().kind);
  {
    torch::NoGradGuard no_grad;
    const auto src = loaded->net->named_parameters();
    for (auto& p : planner.impl().net->named_parameters()) {
      AUTOSCALE_CHECK(src.contains(p.key()) && src[p.key()].sizes() == p.value().sizes(),
                      "{}: parameter {} does not fit the configured planner", path, p.key());
      p.value().copy_(src[p.key()]);
    }
  }
  torch::serialize::InputArchive opt;
  AUTOSCALE_CHECK(archive.try_read("optimizer", opt), "{}: a planner file, not a training checkpoint (no optimiser)", path);
  optimizer.load(opt);
  c10::IValue state;
  AUTOSCALE_CHECK(archive.try_read("train_state", state) && state.isString(), "{}: no training state", path);
  torch::Tensor rng, rank_rngs;
  AUTOSCALE_CHECK(archive.try_read("torch_rng", rng), "{}: no random-generator state", path);
  const int written_by = archive.try_read("torch_rng_ranks", rank_rngs) ? static_cast<int>(rank_rngs.size(0)) : 1;
  AUTOSCALE_CHECK(written_by == world, "{}: written by {} data-parallel rank(s); resume it with the same number, not {}",
                  path, written_by, world);
  if (world > 1) rng = rank_rngs[rank].contiguous();
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(rng);
  const auto j = nlohmann::json::parse(state.toStringRef());
  return {j.at("step").get<int64_t>(), j.at("sampler").get<std::string>(), j.at("last_loss").get<double>(),
          j.at("best_step").get<int64_t>(), j.at("best_val_l2").get<double>()};
}

// Metric lines past the checkpoint were written by the killed run after its last checkpoint; the
// resumed run writes them again, so they are dropped first.
void truncate_metrics(const std::string& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  while (std::getline(in, line)) {
    try {
      if (nlohmann::json::parse(line).value("step", int64_t{0}) <= step) kept += line + "\n";
    } catch (const nlohmann::json::exception&) {  // a line cut by the kill
    }
  }
  write_file_atomic(path, kept);
}

void set_lr(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

std::vector<double> validation_l2(const Planner& planner, const PlannerDataset& val, std::vector<int64_t> all) {
  if (all.empty()) {
    for (size_t i = 0; i < val.size(); ++i) all.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> rows;  // an even subsample keeps large validation sets cheap
  const size_t stride = std::max<size_t>(1, all.size() / kMaxValidationRows);
  for (size_t i = 0; i < all.size(); i += stride) rows.push_back(all[i]);
  return l2_at_seconds(val, rows, planner.predict(val, rows));
}

// Averages the gradients and the loss over the ranks in one collective call (one flat buffer),
// so clipping and the optimiser step see the global batch's gradient on every rank. The buffer
// also carries each rank's stop signal, so all ranks stop (and checkpoint) at the same step.
double average_across_ranks(ProcessGroup& group, const std::vector<torch::Tensor>& params, double loss, int& stop_signal) {
  std::vector<torch::Tensor> flat;
  flat.reserve(params.size() + 1);
  for (const auto& p : params) {
    flat.push_back(p.grad().defined() ? p.grad().reshape(-1).to(torch::kFloat32) : torch::zeros({p.numel()}, p.options().dtype(torch::kFloat32)));
  }
  flat.push_back(torch::tensor({static_cast<float>(loss), stop_signal ? 1.0f : 0.0f}, params.front().options().dtype(torch::kFloat32)));
  torch::Tensor buffer = torch::cat(flat);
  Collectives::allreduce_sum(group, buffer);
  buffer.div_(group.world());
  int64_t at = 0;
  torch::NoGradGuard no_grad;
  for (const auto& p : params) {
    const torch::Tensor part = buffer.narrow(0, at, p.numel()).view(p.sizes());
    if (p.grad().defined()) {
      p.grad().copy_(part);
    } else {
      p.mutable_grad() = part.to(p.dtype()).clone();
    }
    at += p.numel();
  }
  if (buffer[at + 1].item<float>() > 0 && !stop_signal) stop_signal = SIGTERM;  // another rank was told to stop
  return buffer[at].item<double>();
}

std::string signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : fmt::format("signal {}", sig); }

// Every rank starts from rank 0's weights, whatever its own initialisation did.
void broadcast_parameters(ProcessGroup& group, torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.parameters()) Collectives::broadcast(group, p, 0);
  for (auto& b : net.buffers()) Collectives::broadcast(group, b, 0);
}

}  // namespace

TrainReport train_planner(Planner& planner, const PlannerDataset& data, const MixtureSpec& mixture,
                          const TrainOptions& o, const TrainRun& run) {
  AUTOSCALE_CHECK(data.size() > 0, "train: no training samples");
  ProcessGroup* group = run.group.get();
  const int rank = group ? group->rank() : 0, world = group ? group->world() : 1;
  const bool writer = rank == 0;
  AUTOSCALE_CHECK(o.batch % world == 0, "train.batch {} is the global batch: it must split evenly over {} ranks", o.batch,
                  world);
  if (writer) fs::create_directories(run.out_dir);
  const std::string checkpoint = (fs::path(run.out_dir) / "checkpoint.pt").string();
  const std::string metrics_path = (fs::path(run.out_dir) / "metrics.jsonl").string();
  auto& net = *planner.impl().net;
  const torch::Device device = planner.impl().device;
  net.train();

  torch::optim::AdamW optimizer(net.parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  MixtureSampler sampler(mixture.groups, mixture.weights, o.batch, run.seed);
  TrainState state;
  // Rank 0 decides whether to resume (its file system view is the one that wrote the checkpoint).
  bool resume = run.resume && fs::exists(checkpoint);
  if (group) {
    torch::Tensor flag = torch::full({1}, resume && writer ? 1.0f : 0.0f);
    Collectives::broadcast(*group, flag, 0);
    resume = flag.item<float>() > 0;
  }
  if (resume) {
    state = load_checkpoint(planner, optimizer, checkpoint, rank, world);
    sampler.restore(state.sampler);
    if (writer) truncate_metrics(metrics_path, state.step);
    spdlog::info("resuming {} at step {} of {}", checkpoint, state.step, o.steps);
  } else {
    if (writer) fs::remove(metrics_path);
    // Dropout's stream starts from the run's seed, not from whatever ran before in this process,
    // so a training that starts fresh after other work (a loop stage) repeats exactly. Each rank
    // drops out different units (its own stream); rank 0's is the single-process one.
    torch::manual_seed(run.seed + static_cast<uint64_t>(rank) * 0x9E3779B97F4A7C15ULL);
    if (group) broadcast_parameters(*group, net);
  }
  AUTOSCALE_CHECK(state.step <= o.steps, "{}: the checkpoint is at step {}, past train.steps {}", checkpoint, state.step,
                  o.steps);
  const int64_t last = run.stop_after >= 0 ? std::min(o.steps, run.stop_after) : o.steps;
  const int64_t total = run.schedule_total > 0 ? run.schedule_total : o.steps;
  const bool autocast = o.bf16 && device.is_cuda();

  TrainReport report;
  report.device = planner.device();
  report.world = world;
  std::ofstream metrics;
  if (writer) metrics.open(metrics_path, std::ios::app);
  BatchLoader loader(data, sampler, last - state.step, o.prefetch, device.is_cuda(), rank, world, o.mirror, run.seed);
  Progress progress("train " + planner.options().kind, static_cast<uint64_t>(o.steps), run.show_progress && writer);
  const std::vector<torch::Tensor> params = net.parameters();
  const TerminationScope stop_gracefully;  // SIGTERM/SIGINT: finish the step, checkpoint, stop
  progress.advance(static_cast<uint64_t>(state.step));
  const auto t0 = Clock::now();
  double waited = 0, window_loss = 0;
  int64_t window = 0, trained = 0;
  auto window_start = Clock::now();
  double window_wait = 0;
  for (int64_t step = state.step; step < last; ++step) {
    const auto w0 = Clock::now();
    BatchLoader::Item item = loader.next();
    const double wait = std::chrono::duration<double>(Clock::now() - w0).count();
    waited += wait, window_wait += wait;
    const TensorBatch batch = item.batch.to(device, /*non_blocking=*/device.is_cuda());

    const double lr = learning_rate(o, run.schedule_offset + step, total);
    set_lr(optimizer, lr);
    optimizer.zero_grad();
    torch::Tensor loss;
    {
      encode::CudaAutocast guard(autocast);
      loss = trajectory_loss(net.forward(batch), batch.target);
    }
    loss.backward();
    double value = loss.item<double>();
    int stop_signal = termination_requested();
    if (group) value = average_across_ranks(*group, params, value, stop_signal);
    if (!std::isfinite(value)) {
      AUTOSCALE_THROW("train: the loss is {} at step {}; stopped without saving, the last good checkpoint is {} ({})",
                      value, step, checkpoint, fs::exists(checkpoint) ? "kept" : "none written yet");
    }
    if (o.clip_norm > 0) {
      const double norm = torch::nn::utils::clip_grad_norm_(params, o.clip_norm);
      AUTOSCALE_CHECK(std::isfinite(norm), "train: the gradient norm is {} at step {}; stopped, the last good checkpoint is {}",
                      norm, step, checkpoint);
    }
    optimizer.step();
    state.step = step + 1;
    state.sampler = std::move(item.sampler_state);
    state.last_loss = value;
    window_loss += value, ++window, ++trained;
    progress.advance();

    const bool final_step = state.step == last;
    const bool eval_now = writer && run.validation && run.validation->size() &&
                          ((o.eval_every && state.step % o.eval_every == 0) || state.step == o.steps);
    if (state.step % o.log_every == 0 || final_step || eval_now) {
      const double span = std::chrono::duration<double>(Clock::now() - window_start).count();
      nlohmann::json line = {{"step", state.step}, {"loss", window_loss / window}, {"lr", lr},
                             {"samples_per_s", window * o.batch / std::max(span, 1e-9)},
                             {"data_wait_share", window_wait / std::max(span, 1e-9)}};
      if (eval_now) {
        const auto l2 = validation_l2(planner, *run.validation, run.validation_rows);
        for (int s = 0; s < 4; ++s) line["val_l2_" + std::to_string(s + 1) + "s"] = l2[s];
        report.val_l2 = l2;
        // Model selection on validation (never on test): best.pt is the lowest mean L2 so far.
        const double mean = (l2[0] + l2[1] + l2[2] + l2[3]) / 4;
        if (state.best_step < 0 || mean < state.best_val_l2) {
          state.best_step = state.step;
          state.best_val_l2 = mean;
          planner.save((fs::path(run.out_dir) / "best.pt").string());
        }
      }
      if (writer) metrics << line.dump() << "\n" << std::flush;
      spdlog::debug("train: {}", line.dump());
      window_loss = 0, window = 0, window_wait = 0;
      window_start = Clock::now();
    }
    if (state.step % o.checkpoint_every == 0 || final_step || stop_signal) {
      save_checkpoint(planner, optimizer, state, checkpoint, group);
    }
    if (stop_signal && !final_step) {
      throw Interrupted(fmt::format("train: stopped by {} after step {} of {}; checkpoint saved: {} (continue with --resume)",
                                    signal_name(stop_signal), state.step, o.steps, checkpoint),
                        stop_signal);
    }
  }
  progress.finish();
  report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  report.steps = state.step;
  report.last_loss = state.last_loss;
  report.samples_per_s = trained * o.batch / std::max(report.seconds, 1e-9);
  report.data_wait_share = waited / std::max(report.seconds, 1e-9);
  report.drawn = sampler.drawn();
  report.best_step = state.best_step;
  report.best_val_l2 = state.best_val_l2;
  if (state.step == o.steps && writer) planner.save((fs::path(run.out_dir) / "planner.pt").string());
  if (group) group->barrier();  // no rank returns before rank 0's files are in place
  return report;
}

}  // namespace autoscale::train
