// `autoscale train`: the planner on the real training split (and synthetic stores, co-trained),
// with log-disjoint validation; and the learned-planner path of `autoscale eval --agent FILE`.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <torch/cuda.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/scene/split.h"
#include "autoscale/train/dataset.h"
#include "autoscale/train/distributed.h"
#include "autoscale/train/planner.h"
#include "autoscale/train/trainer.h"
#include "command.h"
#include "commands.h"

namespace autoscale::cli {

namespace fs = std::filesystem;

std::map<std::string, scene::Split> real_log_splits(const std::vector<const scene::SceneStore*>& stores,
                                                    const AppConfig& config) {
  std::vector<std::string> logs;
  for (const auto* s : stores) {
    for (const auto& e : s->index()) {
      if (e.domain == scene::Domain::kReal) logs.push_back(e.log);
    }
  }
  return scene::split_logs(logs, config.data.split, static_cast<uint64_t>(config.run.seed));
}

std::string split_json(const std::map<std::string, scene::Split>& splits) {
  nlohmann::json j = {{"train", nlohmann::json::array()}, {"val", nlohmann::json::array()}, {"test", nlohmann::json::array()}};
  for (const auto& [log, s] : splits) j[scene::split_name(s)].push_back(log);
  return j.dump(2) + "\n";
}

namespace {

// Under a launcher (RANK/WORLD_SIZE, or srun with several tasks) this process is one rank of a
// data-parallel group; its GPU is the local rank's (modulo the GPUs it can see).
std::shared_ptr<train::ProcessGroup> join_group(const train::TrainOptions& options, std::string& device) {
  const std::string& configured_device = options.device;
  device = configured_device;
  const auto env = train::DistributedEnv::from_environment();
  if (env.world <= 1) return nullptr;
  // Checked before joining, so a bad config fails at once instead of waiting for its peers.
  AUTOSCALE_CHECK(options.batch % env.world == 0, "train.batch {} is the global batch: it must split evenly over {} ranks",
                  options.batch, env.world);
  const bool gpu = configured_device != "cpu" && torch::cuda::is_available();
  if (gpu && configured_device.find(':') == std::string::npos) {
    device = "cuda:" + std::to_string(env.local_rank % static_cast<int>(torch::cuda::device_count()));
  }
  // The device index this rank trains on ("cuda:N"; -1 on the CPU), for the NCCL decision.
  const auto colon = device.find(':');
  const int cuda_device = !gpu ? -1 : colon == std::string::npos ? 0 : std::atoi(device.c_str() + colon + 1);
  return train::ProcessGroup::connect(env, std::chrono::seconds(300), cuda_device);
}

}  // namespace

int run_train(const TrainArgs& args, const Invocation& inv) {
  AUTOSCALE_CHECK(!args.scenes.empty(), "train: no --scenes stores");
  const auto& cfg = inv.config;
  std::string device;
  const auto group = join_group(cfg.train, device);
  const bool writer = !group || group->rank() == 0;
  std::vector<scene::SceneStore> stores;
  for (const auto& dir : args.scenes) stores.push_back(scene::SceneStore::open(dir));
  for (const auto& dir : args.synthetic) stores.push_back(scene::SceneStore::open(dir));
  std::vector<const scene::SceneStore*> ptrs;
  for (const auto& s : stores) ptrs.push_back(&s);
  const auto splits = real_log_splits(ptrs, cfg);

  train::PlannerDataset data(cfg.encode.graph);
  // Synthetic samples are built when drawn (a pool can be 10x the real data): memory follows
  // the real data and what the training draws, not the pool.
  for (const auto& s : stores) {
    data.add_store(s, {}, true, [](const scene::IndexEntry& e) { return e.domain != scene::Domain::kReal; });
  }
  std::vector<int64_t> real_rows, synthetic_rows, val_rows;
  size_t leaked = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const auto& info = data.info(i);
    if (info.domain == scene::Domain::kReal) {
      const auto split = splits.at(info.log);
      if (split == scene::Split::kTrain) real_rows.push_back(static_cast<int64_t>(i));
      if (split == scene::Split::kVal) val_rows.push_back(static_cast<int64_t>(i));
      continue;
    }
    // Leakage guard: synthetic scenes derived from a held-out log never train the planner.
    const auto it = splits.find(info.source_log);
    if (it != splits.end() && it->second != scene::Split::kTrain) {
      ++leaked;
      continue;
    }
    synthetic_rows.push_back(static_cast<int64_t>(i));
  }
  AUTOSCALE_CHECK(!real_rows.empty() || !synthetic_rows.empty(), "train: no training scenes after the split ({} scenes read)",
                  data.size());
  train::MixtureSpec mix{{"real", "synthetic"}, {real_rows, synthetic_rows}, {}};
  const double share = cfg.data.synthetic_share;
  if (share < 0) {
    mix.weights = {double(real_rows.size()), double(synthetic_rows.size())};
  } else {
    mix.weights = {real_rows.empty() ? 0.0 : 1 - share, synthetic_rows.empty() ? 0.0 : share};
  }
  if (writer) {  // the other ranks of a data-parallel group only train: rank 0 reports and writes
    std::printf("train: %zu real training scenes, %zu synthetic (%zu dropped: derived from held-out logs), %zu validation\n",
                real_rows.size(), synthetic_rows.size(), leaked, val_rows.size());
    fs::create_directories(args.out);
    write_file_atomic((fs::path(args.out) / "config.yaml").string(), "# " + inv.command_line + "\n" + inv.config_yaml);
    write_file_atomic((fs::path(args.out) / "split.json").string(), split_json(splits));
  }
  train::Planner planner(cfg.train.planner, cfg.encode.graph, static_cast<uint64_t>(cfg.run.seed), device);
  if (writer) {
    spdlog::info("planner {}: {} parameters on {}{}", cfg.train.planner.kind, planner.parameters(), planner.device(),
                 group ? fmt::format(", rank 0 of {}", group->world()) : "");
  }
  train::TrainRun run;
  run.out_dir = args.out;
  run.seed = static_cast<uint64_t>(cfg.run.seed);
  run.resume = args.resume;
  run.validation = val_rows.empty() ? nullptr : &data;  // measured by rank 0 only
  run.validation_rows = val_rows;
  run.stop_after = args.stop_after;
  run.show_progress = writer;
  run.group = group;
  const auto r = train::train_planner(planner, data, mix, cfg.train, run);
  if (!writer) return 0;
  std::printf("trained %s for %lld steps on %s%s: loss %.4f, %.0f samples/s, %.1f%% of the time waiting for data\n",
              cfg.train.planner.kind.c_str(), static_cast<long long>(r.steps), r.device.c_str(),
              r.world > 1 ? fmt::format(" x {} ranks", r.world).c_str() : "", r.last_loss, r.samples_per_s,
              100 * r.data_wait_share);
  if (!r.val_l2.empty()) {
    std::printf("validation L2 [m]: 1 s %.3f, 2 s %.3f, 3 s %.3f, 4 s %.3f\n", r.val_l2[0], r.val_l2[1], r.val_l2[2],
                r.val_l2[3]);
  }
  if (r.steps == cfg.train.steps) std::printf("model: %s\n", (fs::path(args.out) / "planner.pt").c_str());
  if (r.best_step >= 0) {
    std::printf("best validation model (step %lld, mean L2 %.3f m): %s\n", static_cast<long long>(r.best_step),
                r.best_val_l2, (fs::path(args.out) / "best.pt").c_str());
  }
  return 0;
}

std::unique_ptr<eval::Agent> learned_agent(const std::string& path, const scene::SceneStore& store,
                                           const std::vector<size_t>& rows, const AppConfig& cfg) {
  const train::Planner planner = train::Planner::load(path, cfg.train.device);
  train::PlannerDataset data(planner.graph());
  std::set<std::string> tokens;
  for (size_t r : rows) tokens.insert(store.index()[r].token);
  data.add_store(store, [&](const scene::IndexEntry& e) { return tokens.count(e.token) > 0; });
  std::vector<int64_t> all(data.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  auto plans = train::predict_plans(planner, data, all);
  std::unordered_map<std::string, std::string> missing;
  for (const auto& why : data.skip_reasons()) {  // "scene TOKEN: reason"
    if (why.rfind("scene ", 0) == 0) missing[why.substr(6, why.find(':') - 6)] = why;
  }
  return eval::make_precomputed_agent("planner:" + planner.options().kind, std::move(plans), std::move(missing));
}

Commands bind_train(CLI::App& app, GlobalOptions&) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "train a planner (train.*) on the real training split, co-training synthetic stores");
  cmd->add_option("--scenes", args->scenes, "real scene stores (split by log: data.split)")->required()->expected(1, -1);
  cmd->add_option("--synthetic", args->synthetic, "synthetic scene stores to co-train on")->expected(0, -1);
  cmd->add_option("-o,--out", args->out, "run directory (checkpoint.pt, planner.pt, metrics.jsonl)")->required();
  cmd->add_flag("--resume", args->resume, "continue from OUT/checkpoint.pt");
  cmd->add_option("--stop-after", args->stop_after, "stop after this step, as if killed (tests)");
  return {{cmd, [args](const Invocation& inv) { return run_train(*args, inv); }}};
}

}  // namespace autoscale::cli
