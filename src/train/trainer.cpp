#include "autoscale/train/trainer.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>
#include <torch/nn/utils/clip_grad.h>  // after types.h: it is not self-contained
#include <torch/utils.h>

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
#include "checkpoint.h"
#include "metrics_csv.h"

namespace autoscale::train {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void ExternalPlannerOptions::visit(ConfigVisitor& v) {
  v.field("command", command,
          "shell command that trains your planner on a job's final mixture and writes its plans ({real}, "
          "{selection}, {predict}, {trajectories}, {out}, {steps}, {batch}, {seed}); empty = the built-in planner");
}

void TrainOptions::visit(ConfigVisitor& v) {
  v.section("planner", planner, "the planner network");
  v.section("external", external, "your own planner, trained by a command (the final training of each job)");
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

// One training: resume or start, then steps until `last`, each logged, validated and
// checkpointed on schedule. Collective with a data-parallel group: every rank runs the same
// calls in the same order.
class Trainer {
 public:
  Trainer(Planner& planner, const PlannerDataset& data, const MixtureSpec& mixture, const TrainOptions& o,
          const TrainRun& run)
      : planner_(planner), data_(data), o_(o), run_(run), group_(run.group.get()),
        rank_(group_ ? group_->rank() : 0), world_(group_ ? group_->world() : 1), writer_(rank_ == 0),
        checkpoint_((fs::path(run.out_dir) / "checkpoint.pt").string()),
        metrics_path_((fs::path(run.out_dir) / "metrics.jsonl").string()), net_(*planner.impl().net),
        device_(planner.impl().device),
        optimizer_(net_.parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay)),
        sampler_(mixture.groups, mixture.weights, o.batch, run.seed) {
    net_.train();
  }

  TrainReport run() {
    resume_or_start();
    AUTOSCALE_CHECK(state_.step <= o_.steps, "{}: the checkpoint is at step {}, past train.steps {}", checkpoint_,
                    state_.step, o_.steps);
    const int64_t last = run_.stop_after >= 0 ? std::min(o_.steps, run_.stop_after) : o_.steps;
    report_.device = planner_.device();
    report_.world = world_;
    if (writer_) metrics_.open(metrics_path_, std::ios::app);
    BatchLoader loader(data_, sampler_, last - state_.step, o_.prefetch, device_.is_cuda(), rank_, world_, o_.mirror,
                       run_.seed);
    Progress progress("train " + planner_.options().kind, static_cast<uint64_t>(o_.steps),
                      run_.show_progress && writer_);
    const TerminationScope stop_gracefully;  // SIGTERM/SIGINT: finish the step, checkpoint, stop
    progress.advance(static_cast<uint64_t>(state_.step));
    const auto t0 = Clock::now();
    window_start_ = Clock::now();
    for (int64_t step = state_.step; step < last; ++step) {
      const auto w0 = Clock::now();
      BatchLoader::Item item = loader.next();
      const double wait = std::chrono::duration<double>(Clock::now() - w0).count();
      waited_ += wait, window_wait_ += wait;
      int stop_signal = 0;
      const double lr = learning_rate(o_, run_.schedule_offset + step, schedule_total());
      state_.last_loss = optimise(item.batch.to(device_, /*non_blocking=*/device_.is_cuda()), lr, step, stop_signal);
      state_.step = step + 1;
      state_.sampler = std::move(item.sampler_state);
      window_loss_ += state_.last_loss, ++window_, ++trained_;
      progress.advance();
      const bool final_step = state_.step == last;
      log_and_validate(lr, final_step);
      checkpoint_or_stop(stop_signal, final_step);
    }
    progress.finish();
    return finish(std::chrono::duration<double>(Clock::now() - t0).count());
  }

 private:
  int64_t schedule_total() const { return run_.schedule_total > 0 ? run_.schedule_total : o_.steps; }

  // From OUT/checkpoint.pt when asked and present (rank 0, whose file system wrote it, decides),
  // else from the run's seed with every rank on rank 0's weights.
  void resume_or_start() {
    if (writer_) fs::create_directories(run_.out_dir);
    bool resume = run_.resume && fs::exists(checkpoint_);
    if (group_) {
      torch::Tensor flag = torch::full({1}, resume && writer_ ? 1.0f : 0.0f);
      Collectives::broadcast(*group_, flag, 0);
      resume = flag.item<float>() > 0;
    }
    if (resume) {
      state_ = load_checkpoint(planner_, optimizer_, checkpoint_, rank_, world_);
      sampler_.restore(state_.sampler);
      if (writer_) truncate_metrics(metrics_path_, state_.step);
      spdlog::info("resuming {} at step {} of {}", checkpoint_, state_.step, o_.steps);
      return;
    }
    if (writer_) fs::remove(metrics_path_);
    // Dropout's stream starts from the run's seed, not from whatever ran before in this process,
    // so a training that starts fresh after other work (a loop stage) repeats exactly. Each rank
    // drops out different units (its own stream); rank 0's is the single-process one.
    torch::manual_seed(run_.seed + static_cast<uint64_t>(rank_) * 0x9E3779B97F4A7C15ULL);
    if (group_) broadcast_parameters(*group_, net_);
  }

  // One optimiser step on `batch`; returns the (rank-averaged) loss and sets `stop_signal` to a
  // stop request seen by this rank, or with a group by any rank. Stops on a non-finite loss or
  // gradient norm without saving: the last checkpoint stays the good one.
  double optimise(const TensorBatch& batch, double lr, int64_t step, int& stop_signal) {
    set_lr(optimizer_, lr);
    optimizer_.zero_grad();
    torch::Tensor loss;
    {
      encode::CudaAutocast guard(o_.bf16 && device_.is_cuda());
      loss = trajectory_loss(net_.forward(batch), batch.target);
    }
    loss.backward();
    double value = loss.item<double>();
    stop_signal = termination_requested();
    if (group_) value = average_across_ranks(*group_, params_, value, stop_signal);
    if (!std::isfinite(value)) {
      AUTOSCALE_THROW("train: the loss is {} at step {}; stopped without saving, the last good checkpoint is {} ({})",
                      value, step, checkpoint_, fs::exists(checkpoint_) ? "kept" : "none written yet");
    }
    if (o_.clip_norm > 0) {
      const double norm = torch::nn::utils::clip_grad_norm_(params_, o_.clip_norm);
      AUTOSCALE_CHECK(std::isfinite(norm), "train: the gradient norm is {} at step {}; stopped, the last good checkpoint is {}",
                      norm, step, checkpoint_);
    }
    optimizer_.step();
    return value;
  }

  // A metrics line every log_every steps (and at the end, and with every validation); validation
  // L2 every eval_every steps and at the last step, keeping OUT/best.pt.
  void log_and_validate(double lr, bool final_step) {
    const bool eval_now = writer_ && run_.validation && run_.validation->size() &&
                          ((o_.eval_every && state_.step % o_.eval_every == 0) || state_.step == o_.steps);
    if (!(state_.step % o_.log_every == 0 || final_step || eval_now)) return;
    const double span = std::chrono::duration<double>(Clock::now() - window_start_).count();
    nlohmann::json line = {{"step", state_.step}, {"loss", window_loss_ / window_}, {"lr", lr},
                           {"samples_per_s", window_ * o_.batch / std::max(span, 1e-9)},
                           {"data_wait_share", window_wait_ / std::max(span, 1e-9)}};
    if (eval_now) {
      const auto l2 = validation_l2(planner_, *run_.validation, run_.validation_rows);
      for (int s = 0; s < 4; ++s) line["val_l2_" + std::to_string(s + 1) + "s"] = l2[s];
      report_.val_l2 = l2;
      // Model selection on validation (never on test): best.pt is the lowest mean L2 so far.
      const double mean = (l2[0] + l2[1] + l2[2] + l2[3]) / 4;
      if (state_.best_step < 0 || mean < state_.best_val_l2) {
        state_.best_step = state_.step;
        state_.best_val_l2 = mean;
        planner_.save((fs::path(run_.out_dir) / "best.pt").string());
      }
    }
    if (writer_) metrics_ << line.dump() << "\n" << std::flush;
    spdlog::debug("train: {}", line.dump());
    window_loss_ = 0, window_ = 0, window_wait_ = 0;
    window_start_ = Clock::now();
  }

  // A checkpoint every checkpoint_every steps, at the last step and when told to stop; then a
  // stop request ends the training with Interrupted (the caller resumes it).
  void checkpoint_or_stop(int stop_signal, bool final_step) {
    if (state_.step % o_.checkpoint_every == 0 || final_step || stop_signal) {
      save_checkpoint(planner_, optimizer_, state_, checkpoint_, group_);
    }
    if (stop_signal && !final_step) {
      throw Interrupted(fmt::format("train: stopped by {} after step {} of {}; checkpoint saved: {} (continue with --resume)",
                                    signal_name(stop_signal), state_.step, o_.steps, checkpoint_),
                        stop_signal);
    }
  }

  TrainReport finish(double seconds) {
    report_.seconds = seconds;
    report_.steps = state_.step;
    report_.last_loss = state_.last_loss;
    report_.samples_per_s = trained_ * o_.batch / std::max(seconds, 1e-9);
    report_.data_wait_share = waited_ / std::max(seconds, 1e-9);
    report_.drawn = sampler_.drawn();
    report_.best_step = state_.best_step;
    report_.best_val_l2 = state_.best_val_l2;
    if (state_.step == o_.steps && writer_) {
      planner_.save((fs::path(run_.out_dir) / "planner.pt").string());
      metrics_.close();
      write_metrics_csv(metrics_path_, (fs::path(run_.out_dir) / "metrics.csv").string());
    }
    if (group_) group_->barrier();  // no rank returns before rank 0's files are in place
    return report_;
  }

  Planner& planner_;
  const PlannerDataset& data_;
  const TrainOptions& o_;
  const TrainRun& run_;
  ProcessGroup* const group_;
  const int rank_, world_;
  const bool writer_;
  const std::string checkpoint_, metrics_path_;
  PlannerNetImpl& net_;
  const torch::Device device_;
  torch::optim::AdamW optimizer_;
  MixtureSampler sampler_;
  const std::vector<torch::Tensor> params_ = net_.parameters();
  TrainState state_;
  TrainReport report_;
  std::ofstream metrics_;
  // Since the last metrics line: its loss sum, steps and data wait, and when it started.
  double window_loss_ = 0, window_wait_ = 0;
  int64_t window_ = 0;
  Clock::time_point window_start_;
  double waited_ = 0;  // data wait over the whole training
  int64_t trained_ = 0;
};

}  // namespace

TrainReport train_planner(Planner& planner, const PlannerDataset& data, const MixtureSpec& mixture,
                          const TrainOptions& o, const TrainRun& run) {
  AUTOSCALE_CHECK(data.size() > 0, "train: no training samples");
  const int world = run.group ? run.group->world() : 1;
  AUTOSCALE_CHECK(o.batch % world == 0, "train.batch {} is the global batch: it must split evenly over {} ranks", o.batch,
                  world);
  // Deferred rows (a run's synthetic pool) are built before the first step when the training will
  // draw at least as many samples as the groups hold; otherwise each batch builds its own on first
  // draw, so a short training over a huge pool builds only what it draws.
  size_t grouped = 0;
  for (const auto& g : mixture.groups) grouped += g.size();
  if (data.deferred() > 0 && grouped <= static_cast<size_t>(std::max<int64_t>(0, o.steps) * o.batch)) {
    for (const auto& g : mixture.groups) data.ensure(g);
  }
  return Trainer(planner, data, mixture, o, run).run();
}

}  // namespace autoscale::train
