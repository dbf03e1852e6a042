#include "autoscale/eval/scoring_cache.h"

#include "autoscale/core/error.h"

namespace autoscale::eval {

PreparedScene PreparedScene::prepare(scene::Scene s, const scene::SceneStore& store, const EvalOptions& options) {
  PreparedScene p;
  p.scene = std::move(s);
  try {
    p.cache.emplace(MetricCache::build(inputs_from_scene(p.scene, store.map(p.scene.map_id)), options));
  } catch (const Error& e) {
    // As the devkit: a scene that cannot be scored is invalid (NaN) and left out of the mean.
    p.error = e.what();
  }
  return p;
}

std::shared_ptr<const PreparedScene> ScoringCache::find(const scene::SceneStore& store, size_t row) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = entries_.find({store.dir(), row});
  // A store rewritten under the same directory has other scenes at its rows.
  if (it != entries_.end() && row < store.size() && it->second->scene.token == store.index()[row].token) {
    ++stats_.hits;
    return it->second;
  }
  ++stats_.misses;
  return nullptr;
}

void ScoringCache::offer(const scene::SceneStore& store, size_t row, std::shared_ptr<const PreparedScene> prepared) {
  AUTOSCALE_CHECK(prepared != nullptr, "ScoringCache::offer({}, row {}): no scene", store.dir(), row);
  std::lock_guard<std::mutex> lock(mutex_);
  const Key key{store.dir(), row};
  const auto it = entries_.find(key);
  if (it != entries_.end()) {  // stale (the store was rewritten): the new one replaces it
    it->second = std::move(prepared);
    return;
  }
  if (entries_.size() >= max_scenes_) {
    ++stats_.not_kept;
    return;
  }
  entries_.emplace(key, std::move(prepared));
  stats_.entries = entries_.size();
}

ScoringCache::Stats ScoringCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace autoscale::eval
