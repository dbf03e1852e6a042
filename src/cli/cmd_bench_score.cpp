// `autoscale bench score`: trajectories scored per second per core on real scenes, and where the
// time goes (simulation, map queries, collision checks, comfort).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "autoscale/core/error.h"
#include "autoscale/eval/agents.h"
#include "autoscale/eval/metric_cache.h"
#include "autoscale/store/store.h"
#include "commands.h"

namespace autoscale::cli {
namespace {

// Resident bytes of this process (/proc/self/statm), 0 where unreadable.
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  double pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return pages_resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

int run_bench_score(const BenchScoreArgs& args, const Invocation& inv) {
  const auto options = inv.config.eval.options();
  const auto store = scene::SceneStore::open(args.scenes);
  const auto agent = eval::make_agent(args.agent);
  const size_t n = args.limit ? std::min(args.limit, store.size()) : store.size();
  AUTOSCALE_CHECK(n > 0 && args.repeat > 0, "bench score: nothing to score");

  // Metric caches (route, map index, observation, PDM-Closed) are built once per scene, as
  // NAVSIM's metric caching does; then the plan is scored repeatedly (the hot path).
  // The scenes are kept with their caches, as the loop's scoring cache keeps them: their
  // resident size is what loop.scoring_cache_scenes costs per scene.
  std::vector<eval::MetricCache> caches;
  std::vector<scene::Scene> scenes;
  std::vector<eval::Plan> plans;
  caches.reserve(n);
  scenes.reserve(n);
  const double resident_before = resident_bytes();
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    auto scene = store.read(i);
    try {
      caches.push_back(eval::MetricCache::build(eval::inputs_from_scene(scene, store.map(scene.map_id)), options));
      plans.push_back(agent->plan(scene, caches.back()));
      scenes.push_back(std::move(scene));
    } catch (const Error&) {
      continue;  // unscorable scenes are reported by `autoscale eval`
    }
  }
  const double cache_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double prepared_bytes = resident_bytes() - resident_before;
  AUTOSCALE_CHECK(!caches.empty(), "bench score: no scene of {} could be scored", args.scenes);

  eval::ScoreTimings timings;
  double simulate_s = 0, checksum = 0;
  t0 = std::chrono::steady_clock::now();
  for (size_t r = 0; r < args.repeat; ++r) {
    for (size_t i = 0; i < caches.size(); ++i) checksum += caches[i].score(plans[i], &timings, &simulate_s).scores.score;
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double count = static_cast<double>(caches.size() * args.repeat);
  const double per = total / count;
  std::printf("scenes           %zu scored (%s, PDMS %s), %zu repeats each, single thread\n", caches.size(),
              agent->name().c_str(), eval::to_string(options.version), args.repeat);
  std::printf("metric cache     %.2f ms per scene (route, map index, observation, PDM-Closed)\n",
              1e3 * cache_s / caches.size());
  std::printf("prepared scene   %.0f KiB resident (scene + metric cache, as the loop's scoring cache keeps it)\n",
              prepared_bytes / 1024.0 / caches.size());
  std::printf("scoring          %.1f us per trajectory = %.0f trajectories/s per core (%.0fx the devkit's ~50 ms)\n",
              1e6 * per, 1.0 / per, 0.05 / per);
  std::printf("  simulation     %.1f us (%.0f%%)\n", 1e6 * simulate_s / count, 100 * simulate_s / total);
  std::printf("  map queries    %.1f us (%.0f%%)\n", 1e6 * timings.map_queries_s / count, 100 * timings.map_queries_s / total);
  std::printf("  collisions     %.1f us (%.0f%%)\n", 1e6 * timings.collisions_s / count, 100 * timings.collisions_s / total);
  std::printf("  comfort        %.1f us (%.0f%%)\n", 1e6 * timings.comfort_s / count, 100 * timings.comfort_s / total);
  std::printf("  other          %.1f us (%.0f%%)\n", 1e6 * timings.other_s / count, 100 * timings.other_s / total);
  std::printf("mean score       %.4f\n", checksum / count);
  return 0;
}

}  // namespace autoscale::cli
