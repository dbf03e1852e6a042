#include "autoscale/synth/replicate.h"

#include <chrono>
#include <cmath>
#include <random>

#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/seeds.h"

namespace autoscale::scene {

Scene replica(const Scene& scene, size_t copy, size_t variant, Domain domain, double agent_jitter_m, uint64_t seed) {
  Scene s = scene;
  const std::string suffix = "~" + std::to_string(copy);
  s.domain = domain;
  if (domain == Domain::kReal) {
    s.token += suffix;
    s.log += suffix;
  } else {
    // Derived from the real copy of the same round: the leakage guard drops it with that log.
    s.token += suffix + "s" + std::to_string(variant);
    s.source_log = scene.log + suffix;
    s.log = "replica-" + scene.log + suffix;
    s.generator = "replica";
    s.generator_params = "{\"copy\":" + std::to_string(copy) + ",\"variant\":" + std::to_string(variant) + "}";
  }
  s.timestamp_us += static_cast<int64_t>(copy) * 3'600'000'000LL;
  s.seed = derive_seed(seed, "replica", {copy, variant, domain == Domain::kReal ? 0u : 1u});
  if (agent_jitter_m <= 0) return s;  // normal_distribution needs a positive deviation
  std::mt19937_64 rng(derive_seed(s.seed, s.token));
  std::normal_distribution<double> offset(0.0, agent_jitter_m);
  for (auto& agent : s.agents) {
    const double dx = offset(rng), dy = offset(rng);
    for (auto& st : agent.states) st.x += dx, st.y += dy;
  }
  return s;
}

ReplicateStats replicate_store(const SceneStore& source, const ReplicateOptions& options, SceneStoreWriter& real_out,
                               SceneStoreWriter* synthetic_out) {
  AUTOSCALE_CHECK(source.size() > 0, "replicate: store {} holds no scenes", quote(source.dir()));
  AUTOSCALE_CHECK(options.synthetic == 0 || synthetic_out != nullptr, "replicate: {} synthetic copies need a store",
                  options.synthetic);
  AUTOSCALE_CHECK(std::isfinite(options.agent_jitter_m) && options.agent_jitter_m >= 0,
                  "replicate: the agent jitter (--jitter) is {} m, expected a finite value >= 0", options.agent_jitter_m);
  const auto start = std::chrono::steady_clock::now();
  ReplicateStats stats;
  Progress progress("replicate", options.real + options.synthetic);
  const auto add = [](SceneStoreWriter& out, const SceneStore& from, const Scene& s) {
    if (!out.has_map(s.map_id)) out.add_map(*from.map(s.map_id));
    out.add(s);
  };
  // Round k writes copy k of every source scene (real, then its synthetic variants), so any prefix
  // of the output covers the source evenly and each synthetic scene derives from a real copy.
  const size_t per_real =
      options.real == 0 ? 1 : std::max<size_t>(1, (options.synthetic + options.real - 1) / options.real);
  for (size_t copy = 0; stats.real < options.real || stats.synthetic < options.synthetic; ++copy) {
    source.for_each([&](const Scene& scene) {
      if (stats.real < options.real) {
        add(real_out, source, replica(scene, copy, 0, Domain::kReal, options.agent_jitter_m, options.seed));
        ++stats.real;
        progress.advance();
      }
      for (size_t j = 0; j < per_real && stats.synthetic < options.synthetic; ++j) {
        add(*synthetic_out, source, replica(scene, copy, j, Domain::kSynthetic, options.agent_jitter_m, options.seed));
        ++stats.synthetic;
        progress.advance();
      }
    });
  }
  progress.finish();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace autoscale::scene
