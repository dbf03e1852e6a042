#include "autoscale/synth/perturb_store.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/threads.h"
#include "autoscale/scene/derive.h"

namespace autoscale::scene {

namespace {

constexpr size_t kBlock = 64;  // real scenes read and perturbed together: bounds memory, keeps threads busy

struct Sample {
  bool labelled = false, kept = false, dac_ok = false, nc_ok = false;
  Scene scene;
};

Sample perturb_one(const SceneStore& input, const Scene& real, int k, const PerturbOptions& options, uint64_t seed,
                   const PerturbLabeller& label) {
  Sample out;
  try {
    Scene s = perturb_start(real, draw_perturbation(options, seed, real.token, k), k);
    const PerturbLabel l = label(s, input.map(s.map_id));
    s.ego.insert(s.ego.end(), l.future.begin(), l.future.end());
    fit_agents_to_ego(s);
    s.command = infer_command(s);
    out.labelled = true;
    out.dac_ok = l.dac_ok;
    out.nc_ok = l.nc_ok;
    out.kept = l.pdms >= options.min_pdms;
    out.scene = std::move(s);
  } catch (const Error& e) {
    spdlog::debug("{} sample {}: {}", real.token, k, e.what());  // counted as failed
  }
  return out;
}

}  // namespace

PerturbStats perturb_store(const SceneStore& input, size_t shard, size_t shards, const PerturbOptions& options,
                           uint64_t seed, const PerturbLabeller& label, SceneStoreWriter& writer) {
  std::vector<size_t> rows;  // the real scenes of this shard
  for (size_t i = shard; i < input.size(); i += shards) {
    if (input.index()[i].domain == Domain::kReal) rows.push_back(i);
  }
  const size_t per = static_cast<size_t>(options.samples_per_scene);
  PerturbStats stats;
  stats.inputs = rows.size();
  Progress progress("synth perturb", rows.size() * per);
  const auto start = std::chrono::steady_clock::now();
  for (size_t first = 0; first < rows.size(); first += kBlock) {
    const size_t count = std::min(kBlock, rows.size() - first);
    std::vector<Scene> real(count);
    for (size_t i = 0; i < count; ++i) real[i] = input.read(rows[first + i]);
    std::vector<Sample> samples(count * per);
    parallel_for(samples.size(), [&](size_t j) {
      samples[j] = perturb_one(input, real[j / per], static_cast<int>(j % per), options, seed, label);
      progress.advance();
    });
    for (auto& sample : samples) {  // in input order, whatever the thread timing
      if (!sample.labelled) {
        ++stats.failed;
        continue;
      }
      ++stats.labelled;
      stats.dac_ok += sample.dac_ok;
      stats.nc_ok += sample.nc_ok;
      if (!sample.kept) continue;
      if (!writer.has_map(sample.scene.map_id)) writer.add_map(*input.map(sample.scene.map_id));
      writer.add(sample.scene);
      ++stats.kept;
    }
  }
  progress.finish();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace autoscale::scene
