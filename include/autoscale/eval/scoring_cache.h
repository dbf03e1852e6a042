// Scenes prepared for scoring, kept between evaluations of the same rows: each scene as read
// from its store with its metric cache (route, scoring map, observation and the PDM-Closed
// reference, the costly part), or why it cannot be scored. The closed loop scores the same
// validation, test and search windows with every planner it trains; with this cache each
// window is read and prepared once per run instead of once per iteration, method and seed.
//
// One cache serves one set of EvalOptions (a run scores with one), so an entry can never be
// used with options it was not built for. Keyed by store directory and row; an entry is used
// only while the store still has the same token at that row. Bounded by a number of scenes:
// once full, further scenes are scored but not kept. The first ones stay rather than the least
// recently used, because the loop scans the same rows in the same order again and again: with
// LRU a scan larger than the bound would evict every entry before its next use, while keeping
// the first ones serves that share of every later scan.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "autoscale/eval/metric_cache.h"
#include "autoscale/store/store.h"
#include "autoscale/scene/types.h"

namespace autoscale::eval {

struct PreparedScene {
  scene::Scene scene;                // agents plan from it; two-frame comfort pairs by its log and time
  std::optional<MetricCache> cache;  // empty when the scene cannot be scored
  std::string error;                 // ... and why (the evaluator's invalid-scene message)

  // Prepares `scene` of `store` (whose map it uses) for scoring with `options`; reads nothing.
  // A scene the scorer rejects is kept with its error, as evaluate_store reports it.
  static PreparedScene prepare(scene::Scene scene, const scene::SceneStore& store, const EvalOptions& options);
};

class ScoringCache {
 public:
  // The validation, test and search windows of a bench-cv fold (~1,400) with room to spare. A
  // prepared scene holds 270-390 KiB resident on the real and perturbed stores here (`autoscale
  // bench score`), so the bound is ~1-1.5 GiB.
  static constexpr size_t kDefaultMaxScenes = 4000;

  explicit ScoringCache(EvalOptions options, size_t max_scenes = kDefaultMaxScenes)
      : options_(std::move(options)), max_scenes_(max_scenes) {}
  ScoringCache(const ScoringCache&) = delete;
  ScoringCache& operator=(const ScoringCache&) = delete;

  struct Stats {
    size_t hits = 0;      // rows served from the cache
    size_t misses = 0;    // rows the caller read and prepared
    size_t not_kept = 0;  // prepared rows refused because the cache was full
    size_t entries = 0;
  };

  const EvalOptions& options() const { return options_; }
  size_t max_scenes() const { return max_scenes_; }

  // The prepared row, or nullptr (counted as a miss). Thread-safe, as are the other members.
  std::shared_ptr<const PreparedScene> find(const scene::SceneStore& store, size_t row);
  // Takes in a row prepared with options() if there is room (a stale entry is replaced).
  void offer(const scene::SceneStore& store, size_t row, std::shared_ptr<const PreparedScene> prepared);

  Stats stats() const;

 private:
  using Key = std::pair<std::string, size_t>;  // store directory, row

  const EvalOptions options_;
  const size_t max_scenes_;
  mutable std::mutex mutex_;
  std::map<Key, std::shared_ptr<const PreparedScene>> entries_;
  Stats stats_;
};

}  // namespace autoscale::eval
