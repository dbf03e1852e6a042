// `autoscale synth perturb`: synthetic scenes from perturbed starts of real ones, labelled by
// PDM-Closed as pseudo-expert.
#include <spdlog/spdlog.h>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <set>

#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/threads.h"
#include "autoscale/eval/pseudo_expert.h"
#include "autoscale/scene/corrupt.h"
#include "autoscale/scene/derive.h"
#include "autoscale/scene/perturb.h"
#include "autoscale/scene/store.h"
#include "autoscale/scene/sumo.h"
#include "commands.h"

namespace fs = std::filesystem;

namespace autoscale::cli {

eval::EvalOptions eval_options(const AppConfig& config);

namespace {
constexpr size_t kBlock = 64;

struct Sample {
  bool kept = false;
  bool dac_ok = false, nc_ok = false;
  scene::Scene scene;
};
}  // namespace

int run_synth_perturb(const SynthPerturbArgs& args, const Invocation& inv) {
  const auto [shard, shards] = parse_shard(args.shard);
  const auto& options = inv.config.synth.perturb;
  const auto eval = eval_options(inv.config);
  const auto seed = static_cast<uint64_t>(inv.config.run.seed);
  const int future_steps = static_cast<int>(std::lround(options.future_s / scene::kStepSeconds));
  const auto input = scene::SceneStore::open(args.scenes);

  std::vector<size_t> rows;  // the real scenes of this shard
  for (size_t i = shard; i < input.size(); i += shards) {
    if (input.index()[i].domain == scene::Domain::kReal) rows.push_back(i);
  }
  const size_t per = static_cast<size_t>(options.samples_per_scene);
  scene::StoreOptions store_options = inv.config.store;
  store_options.append = args.append;
  scene::SceneStoreWriter writer(args.out, store_options);
  size_t labelled = 0, kept = 0, dac_ok = 0, nc_ok = 0, failed = 0;
  Progress progress("synth perturb", rows.size() * per);
  const auto start = std::chrono::steady_clock::now();
  for (size_t first = 0; first < rows.size(); first += kBlock) {
    const size_t count = std::min(kBlock, rows.size() - first);
    std::vector<scene::Scene> real(count);
    for (size_t i = 0; i < count; ++i) real[i] = input.read(rows[first + i]);
    std::vector<Sample> samples(count * per);
    parallel_for(samples.size(), [&](size_t j) {
      const scene::Scene& r = real[j / per];
      const int k = static_cast<int>(j % per);
      Sample& out = samples[j];
      try {
        scene::Scene s = scene::perturb_start(r, scene::draw_perturbation(options, seed, r.token, k), k);
        const auto label = eval::label_with_pdm_closed(s, input.map(s.map_id), eval, future_steps);
        s.ego.insert(s.ego.end(), label.future.begin(), label.future.end());
        scene::fit_agents_to_ego(s);
        s.command = scene::infer_command(s);
        out.dac_ok = label.scores.dac == 1.0;
        out.nc_ok = label.scores.nc == 1.0;
        out.kept = label.scores.score >= options.min_pdms;
        out.scene = std::move(s);
      } catch (const Error& e) {
        spdlog::debug("{} sample {}: {}", r.token, k, e.what());  // counted below
      }
      progress.advance();
    });
    // Written in input order, whatever the thread timing.
    for (auto& sample : samples) {
      if (sample.scene.token.empty()) {
        ++failed;
        continue;
      }
      ++labelled;
      dac_ok += sample.dac_ok;
      nc_ok += sample.nc_ok;
      if (!sample.kept) continue;
      if (!writer.has_map(sample.scene.map_id)) writer.add_map(*input.map(sample.scene.map_id));
      writer.add(sample.scene);
      ++kept;
    }
  }
  progress.finish();
  const size_t written = writer.close();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto pct = [&](size_t a) { return labelled ? 100.0 * a / labelled : 0.0; };
  std::printf("perturbed %zu real scenes (shard %zu/%zu) x %zu samples: %zu labelled, %zu without a plan\n",
              rows.size(), shard, shards, per, labelled, failed);
  std::printf("pseudo-expert: DAC 1 in %.1f%%, no at-fault collision in %.1f%%; kept %zu with PDMS >= %.2f\n",
              pct(dac_ok), pct(nc_ok), kept, options.min_pdms);
  std::printf("wrote %zu synthetic scenes to %s (%.1f samples/s)\n", written, args.out.c_str(),
              rows.size() * per / std::max(secs, 1e-9));
  return 0;
}

int run_synth_corrupt(const SynthCorruptArgs& args, const Invocation& inv) {
  const auto& options = inv.config.synth.corrupt;
  const auto seed = static_cast<uint64_t>(inv.config.run.seed);
  const auto input = scene::SceneStore::open(args.scenes);
  scene::StoreOptions store_options = inv.config.store;
  store_options.append = args.append;
  scene::SceneStoreWriter writer(args.out, store_options);
  size_t skipped = 0;
  Progress progress("synth corrupt", input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    const auto& entry = input.index()[i];
    progress.advance();
    // Real scenes stay real: the testbeds plant harm in the synthetic pool only.
    if (entry.domain == scene::Domain::kReal || !scene::chosen_for_corruption(options, seed, entry.token)) {
      ++skipped;
      continue;
    }
    const scene::Scene s = scene::corrupt_label(input.read(i), options);
    if (!writer.has_map(s.map_id)) writer.add_map(*input.map(s.map_id));
    writer.add(s);
  }
  progress.finish();
  AUTOSCALE_CHECK(writer.added() > 0 || args.append, "{}: no synthetic scene chosen to corrupt (synth.corrupt.fraction "
                  "{}, {} scenes)", args.scenes, options.fraction, input.size());
  const size_t n = writer.close();
  std::printf("wrote %zu scenes with %s labels to %s (%zu of %zu inputs left out)\n", n, options.kind.c_str(),
              args.out.c_str(), skipped, input.size());
  return 0;
}

int run_synth_sumo(const SynthSumoArgs& args, const Invocation& inv) {
  const auto [shard, shards] = parse_shard(args.shard);
  const auto& options = inv.config.synth.sumo;
  std::vector<int64_t> worlds;
  for (int64_t w = static_cast<int64_t>(shard); w < options.worlds; w += static_cast<int64_t>(shards)) worlds.push_back(w);
  std::string work = args.work_dir;
  bool temporary = false;
  if (work.empty()) {
    std::string pattern = (fs::temp_directory_path() / "autoscale-sumo-XXXXXX").string();
    AUTOSCALE_CHECK(::mkdtemp(pattern.data()) != nullptr, "cannot create a temporary directory for SUMO");
    work = pattern;
    temporary = true;
  }
  std::vector<scene::SumoWorld> generated(worlds.size());
  Progress progress("synth sumo", worlds.size());
  const auto start = std::chrono::steady_clock::now();
  try {
    parallel_for(worlds.size(), [&](size_t i) {
      generated[i] = scene::generate_sumo_world(options, static_cast<uint64_t>(inv.config.run.seed), worlds[i], work);
      progress.advance();
    });
  } catch (...) {
    if (temporary) fs::remove_all(work);
    throw;
  }
  progress.finish();
  if (temporary) fs::remove_all(work);
  scene::StoreOptions store_options = inv.config.store;
  store_options.append = args.append;
  scene::SceneStoreWriter writer(args.out, store_options);
  size_t vehicles = 0, dropped = 0;
  for (const auto& w : generated) {
    vehicles += w.stats.vehicles;
    dropped += w.stats.dropped_jumps;
    if (w.scenes.empty()) continue;
    writer.add_map(w.map);
    for (const auto& s : w.scenes) writer.add(s);
  }
  const size_t n = writer.close();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("simulated %zu SUMO worlds (shard %zu/%zu): %zu vehicles, %zu dropped for teleports\n", worlds.size(),
              shard, shards, vehicles, dropped);
  std::printf("wrote %zu synthetic scenes to %s (%.1f scenes/s)\n", n, args.out.c_str(), n / std::max(secs, 1e-9));
  return 0;
}

}  // namespace autoscale::cli
