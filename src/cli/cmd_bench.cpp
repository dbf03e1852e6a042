// `autoscale bench store`: read throughput of a scene store, sequential and random, and its
// size per scene against the raw sources. `autoscale bench scale-store`: the data of the scale
// benchmark (scripts/bench_scale.py).
#include <CLI/CLI.hpp>

#include <memory>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>

#include "autoscale/core/error.h"
#include "autoscale/store/store.h"
#include "autoscale/synth/replicate.h"
#include "command.h"
#include "commands.h"

namespace fs = std::filesystem;

namespace autoscale::cli {
namespace {

uint64_t directory_bytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// Bytes a decoded scene occupies in memory as plain numbers: what a reader actually delivers.
uint64_t decoded_bytes(const scene::Scene& s) {
  uint64_t b = s.ego.size() * 7 * sizeof(double);
  for (const auto& a : s.agents) b += a.states.size() * (5 * sizeof(double) + 1);
  return b;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int run_bench_store(const BenchStoreArgs& args, const Invocation& inv) {
  const auto store = scene::SceneStore::open(args.store);
  AUTOSCALE_CHECK(store.size() > 0, "bench store: {} holds no scenes", quote(args.store));
  const uint64_t disk = directory_bytes(args.store);

  // Sequential: the streaming path (block reads per shard).
  uint64_t decoded = 0;
  size_t count = 0;
  auto t0 = std::chrono::steady_clock::now();
  store.for_each([&](const scene::Scene& s) {
    decoded += decoded_bytes(s);
    ++count;
  });
  const double seq_s = seconds_since(t0);

  // Random: one scene per read, in a seeded random order.
  std::vector<size_t> order(store.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(static_cast<uint64_t>(inv.config.run.seed));
  std::shuffle(order.begin(), order.end(), rng);
  const size_t reads = std::min(args.random_reads, order.size() * 4);
  t0 = std::chrono::steady_clock::now();
  uint64_t random_decoded = 0;
  for (size_t i = 0; i < reads; ++i) random_decoded += decoded_bytes(store.read(order[i % order.size()]));
  const double rand_s = seconds_since(t0);

  std::printf("store            %s (%zu scenes, %zu shards)\n", args.store.c_str(), store.size(),
              store.shard_files().size());
  std::printf("sequential read  %.0f scenes/s, %.1f MB/s decoded, %.1f MB/s from disk\n", count / seq_s,
              decoded / seq_s / 1e6, disk / seq_s / 1e6);
  std::printf("random read      %.0f scenes/s, %.1f MB/s decoded (%zu reads)\n", reads / rand_s,
              random_decoded / rand_s / 1e6, reads);
  std::printf("size on disk     %.1f KiB per scene (%.1f MiB total), decoded %.1f KiB per scene\n",
              disk / 1024.0 / store.size(), disk / 1048576.0, decoded / 1024.0 / count);
  if (!args.raw.empty()) {
    uint64_t raw = 0;
    for (const auto& f : args.raw) {
      AUTOSCALE_CHECK(fs::exists(f), "bench store --raw: no such file {}", quote(f));
      raw += fs::is_directory(f) ? directory_bytes(f) : fs::file_size(f);
    }
    std::printf("raw sources      %.1f MiB: store is %.2fx the raw size (%.1f KiB raw per scene)\n", raw / 1048576.0,
                double(disk) / raw, raw / 1024.0 / store.size());
  }
  return 0;
}

int run_bench_scale_store(const BenchScaleStoreArgs& args, const Invocation& inv) {
  AUTOSCALE_CHECK(args.real > 0, "bench scale-store: --real is {}, expected at least 1", args.real);
  AUTOSCALE_CHECK(!fs::exists(args.out), "bench scale-store: {} exists (choose a new directory)", quote(args.out));
  const auto source = scene::SceneStore::open(args.from);
  scene::ReplicateOptions options;
  options.real = args.real;
  options.synthetic = args.synthetic;
  options.agent_jitter_m = args.agent_jitter_m;
  options.seed = static_cast<uint64_t>(inv.config.run.seed);
  fs::create_directories(args.out);
  scene::SceneStoreWriter real((fs::path(args.out) / "real").string(), inv.config.store);
  std::unique_ptr<scene::SceneStoreWriter> synthetic;
  if (args.synthetic > 0) {
    synthetic = std::make_unique<scene::SceneStoreWriter>((fs::path(args.out) / "synthetic").string(), inv.config.store);
  }
  const auto stats = scene::replicate_store(source, options, real, synthetic.get());
  real.close();
  if (synthetic) synthetic->close();
  const double written = static_cast<double>(stats.real + stats.synthetic);
  std::printf("scale-store      %s: %zu real, %zu synthetic scenes from %zu in %.1f s (%.0f scenes/s written)\n",
              args.out.c_str(), stats.real, stats.synthetic, source.size(), stats.seconds, written / stats.seconds);
  return 0;
}

Commands bind_bench(CLI::App& app, GlobalOptions& global) {
  auto* bench = app.add_subcommand("bench", "benchmarks of the hot paths");
  bench->require_subcommand(1);
  auto store = std::make_shared<BenchStoreArgs>();
  auto* store_cmd = bench->add_subcommand("store", "scene store read throughput and size");
  store_cmd->add_option("store", store->store, "scene store directory")->required();
  store_cmd->add_option("--raw", store->raw, "raw source files, to compare sizes");
  store_cmd->add_option("--random", store->random_reads, "random single-scene reads");
  auto score = std::make_shared<BenchScoreArgs>();
  auto* score_cmd = bench->add_subcommand("score", "PDM scoring throughput per core and its split");
  score_cmd->add_option("--scenes", score->scenes, "scene store directory")->required();
  score_cmd->add_option("--agent", score->agent, "agent whose plans are scored");
  score_cmd->add_option("--repeat", score->repeat, "scorings per scene");
  score_cmd->add_option("--limit", score->limit, "first N scenes only");
  score_cmd->add_option("--pdms-version", global.pdms_version, "PDM Score version v1 or v2 (eval.pdms_version)");
  auto scale = std::make_shared<BenchScaleStoreArgs>();
  auto* scale_cmd = bench->add_subcommand(
      "scale-store", "scale-test data: OUT/real and OUT/synthetic of any size, copies of a small store's scenes");
  scale_cmd->add_option("--from", scale->from, "a small store of real scenes")->required();
  scale_cmd->add_option("-o,--out", scale->out, "directory for the two stores (must not exist)")->required();
  scale_cmd->add_option("--real", scale->real, "real-domain copies (each its own log)")->required();
  scale_cmd->add_option("--synthetic", scale->synthetic, "synthetic copies, derived from the real copies' logs");
  scale_cmd->add_option("--jitter", scale->agent_jitter_m, "each agent's random offset, metres (std)");
  auto kmeans = std::make_shared<BenchMixtureArgs>();
  kmeans->what = "kmeans";
  auto index = std::make_shared<BenchMixtureArgs>();
  index->what = "index";
  auto* kmeans_cmd = bench->add_subcommand("kmeans", "spherical k-means time on random unit vectors");
  auto* index_cmd = bench->add_subcommand("index", "flat/IVF/HNSW build, queries/s and recall@10");
  for (auto [cmd, args] : {std::pair{kmeans_cmd, kmeans.get()}, std::pair{index_cmd, index.get()}}) {
    cmd->add_option("--n", args->n, "vectors");
    cmd->add_option("--dim", args->dim, "dimensions");
  }
  kmeans_cmd->add_option("--k", kmeans->k, "clusters");
  index_cmd->add_option("--queries", index->queries, "queries");
  return {{store_cmd, [store](const Invocation& inv) { return run_bench_store(*store, inv); }},
          {scale_cmd, [scale](const Invocation& inv) { return run_bench_scale_store(*scale, inv); }},
          {score_cmd, [score](const Invocation& inv) { return run_bench_score(*score, inv); }},
          {kmeans_cmd, [kmeans](const Invocation& inv) { return run_bench_mixture(*kmeans, inv); }},
          {index_cmd, [index](const Invocation& inv) { return run_bench_mixture(*index, inv); }}};
}

}  // namespace autoscale::cli
