// `autoscale synth perturb` (perturbed starts of real scenes, labelled by PDM-Closed as the
// pseudo-expert), `synth corrupt` (planted harm) and `synth sumo` (SUMO traffic worlds).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
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
#include "autoscale/synth/corrupt.h"
#include "autoscale/synth/perturb_store.h"
#include "autoscale/store/scene_type.h"
#include "autoscale/store/store.h"
#include "autoscale/synth/sumo.h"
#include "command.h"
#include "commands.h"

namespace fs = std::filesystem;

namespace autoscale::cli {


int run_synth_perturb(const SynthPerturbArgs& args, const Invocation& inv) {
  const auto [shard, shards] = parse_shard(args.shard);
  const auto& options = inv.config.synth.perturb;
  const auto eval = inv.config.eval.options();
  const int future_steps = static_cast<int>(std::lround(options.future_s / scene::kStepSeconds));
  const scene::PerturbLabeller pdm_closed = [&](const scene::Scene& s, std::shared_ptr<const scene::Map> map) {
    const auto label = eval::label_with_pdm_closed(s, std::move(map), eval, future_steps);
    return scene::PerturbLabel{label.future, label.scores.score, label.scores.dac == 1.0, label.scores.nc == 1.0};
  };
  const auto input = scene::SceneStore::open(args.scenes);
  scene::StoreOptions store_options = inv.config.store;
  store_options.append = args.append;
  scene::SceneStoreWriter writer(args.out, store_options);
  const auto stats = scene::perturb_store(input, shard, shards, options, static_cast<uint64_t>(inv.config.run.seed),
                                          pdm_closed, writer);
  const size_t written = writer.close();
  const auto pct = [&](size_t a) { return stats.labelled ? 100.0 * a / stats.labelled : 0.0; };
  const size_t per = static_cast<size_t>(options.samples_per_scene);
  std::printf("perturbed %zu real scenes (shard %zu/%zu) x %zu samples: %zu labelled, %zu without a plan\n",
              stats.inputs, shard, shards, per, stats.labelled, stats.failed);
  std::printf("pseudo-expert: DAC 1 in %.1f%%, no at-fault collision in %.1f%%; kept %zu with PDMS >= %.2f\n",
              pct(stats.dac_ok), pct(stats.nc_ok), stats.kept, options.min_pdms);
  std::printf("wrote %zu synthetic scenes to %s (%.1f samples/s)\n", written, args.out.c_str(),
              stats.inputs * per / std::max(stats.seconds, 1e-9));
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
  scene::SumoOptions options = inv.config.synth.sumo;
  if (!args.scenario.empty()) {
    options.network = "scenario";
    options.scenario = args.scenario;
  }
  with_context("--scenario", [&] { options.validate(); });
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

int run_synth_select(const SynthSelectArgs& args, const Invocation& inv) {
  scene::SelectOptions options{{}, args.as_real, args.tag, inv.config.synth.scene_type};
  for (const auto& t : args.types) {
    options.keep.push_back(with_context("--type", [&] { return scene::parse_scene_type(t); }));
  }
  const auto input = scene::SceneStore::open(args.scenes);
  scene::StoreOptions store_options = inv.config.store;
  store_options.append = args.append;
  scene::SceneStoreWriter writer(args.out, store_options);
  const auto seen = scene::select_by_type(input, options, writer);
  AUTOSCALE_CHECK(writer.added() > 0 || args.append, "{}: no scene of type {} among {} (stop {}, turn {}, cruise {})",
                  args.scenes, fmt::join(args.types, "|"), input.size(), seen[0], seen[1], seen[2]);
  const size_t n = writer.close();
  std::printf("%s: stop %zu, turn %zu, cruise %zu; wrote %zu scenes%s to %s\n", args.scenes.c_str(), seen[0], seen[1],
              seen[2], n, args.as_real ? " (marked real)" : "", args.out.c_str());
  return 0;
}

Commands bind_synth(CLI::App& app, GlobalOptions&) {
  auto* synth = app.add_subcommand("synth", "generate synthetic scenes");
  synth->require_subcommand(1);
  auto perturb = std::make_shared<SynthPerturbArgs>();
  auto* perturb_cmd = synth->add_subcommand("perturb", "perturbed starts of real scenes, PDM-Closed labels");
  perturb_cmd->add_option("--scenes", perturb->scenes, "store of real scenes")->required();
  perturb_cmd->add_option("-o,--out", perturb->out, "store for the synthetic scenes")->required();
  perturb_cmd->add_option("--shard", perturb->shard, "this process's part i/N of the input scenes");
  perturb_cmd->add_flag("--append", perturb->append, "add to an existing store");
  auto corrupt = std::make_shared<SynthCorruptArgs>();
  auto* corrupt_cmd = synth->add_subcommand(
      "corrupt", "planted harm: copies of synthetic scenes with a wrong ego future (synth.corrupt)");
  corrupt_cmd->add_option("--scenes", corrupt->scenes, "store of synthetic scenes to copy")->required();
  corrupt_cmd->add_option("-o,--out", corrupt->out, "store for the corrupted copies")->required();
  corrupt_cmd->add_flag("--append", corrupt->append, "add to an existing store");
  auto sumo = std::make_shared<SynthSumoArgs>();
  auto* sumo_cmd = synth->add_subcommand("sumo", "SUMO traffic worlds, every suitable vehicle as the expert");
  sumo_cmd->add_option("-o,--out", sumo->out, "store for the synthetic scenes")->required();
  sumo_cmd->add_option("--shard", sumo->shard, "this process's worlds: w % N == i for i/N");
  sumo_cmd->add_flag("--append", sumo->append, "add to an existing store");
  sumo_cmd->add_option("--work-dir", sumo->work_dir, "keep SUMO's networks, routes and FCD here");
  sumo_cmd->add_option("--scenario", sumo->scenario, "run this .sumocfg's own network, demand and light programs "
                       "(synth.sumo.network=scenario; synth.sumo.area bounds what is recorded)");
  auto select = std::make_shared<SynthSelectArgs>();
  auto* select_cmd = synth->add_subcommand("select", "copy the scenes of some types (synth.scene_type: stop, turn, "
                                           "cruise) to a new store");
  select_cmd->add_option("--scenes", select->scenes, "store to read")->required();
  select_cmd->add_option("-o,--out", select->out, "store for the selected scenes")->required();
  select_cmd->add_option("--type", select->types, "scene types to keep (repeatable; default all)");
  select_cmd->add_flag("--as-real", select->as_real, "mark the copies real (testbed T1: SUMO worlds as the real domain)");
  select_cmd->add_option("--tag", select->tag, "planted group: the copies' generator becomes GENERATOR:TAG (exact "
                         "group shares in compare)");
  select_cmd->add_flag("--append", select->append, "add to an existing store");
  return {{perturb_cmd, [perturb](const Invocation& inv) { return run_synth_perturb(*perturb, inv); }},
          {corrupt_cmd, [corrupt](const Invocation& inv) { return run_synth_corrupt(*corrupt, inv); }},
          {sumo_cmd, [sumo](const Invocation& inv) { return run_synth_sumo(*sumo, inv); }},
          {select_cmd, [select](const Invocation& inv) { return run_synth_select(*select, inv); }}};
}

}  // namespace autoscale::cli
