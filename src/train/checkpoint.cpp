#include "checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <mutex>
#include <vector>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "collectives.h"
#include "planner_file.h"
#include "planner_net.h"

namespace autoscale::train {

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
    // Every tensor onto the device this run trains on: a checkpoint written on a GPU resumes on a
    // CPU (and back), with the optimiser's moments beside the parameters they belong to.
    archive.load_from(path, planner.impl().device);
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
  if (world > 1) rng = rank_rngs[rank];
  rng = rng.to(torch::kCPU).contiguous();  // the archive was mapped to the training device
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(rng);
  const auto j = nlohmann::json::parse(state.toStringRef());
  return {j.at("step").get<int64_t>(), j.at("sampler").get<std::string>(), j.at("last_loss").get<double>(),
          j.at("best_step").get<int64_t>(), j.at("best_val_l2").get<double>()};
}

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

}  // namespace autoscale::train
