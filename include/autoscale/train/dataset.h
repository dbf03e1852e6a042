// The planner's training and evaluation samples, built once from scene stores (in parallel) and
// held in memory as plain arrays: a navtrain-size pool (100k scenes) is ~1 GB of features.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autoscale/store/store.h"
#include "autoscale/train/planner_input.h"

namespace autoscale::train {

struct SampleInfo {
  std::string token, log, source_log;
  scene::Domain domain = scene::Domain::kReal;
  std::string generator;     // the importer or generator that made the scene (its data source)
  int64_t timestamp_us = 0;  // time of the current frame
};

class PlannerDataset {
 public:
  explicit PlannerDataset(encode::GraphOptions graph) : graph_(std::move(graph)) {}

  // Adds the rows of `store` that `keep` accepts (all when empty), in store order. Scenes a
  // planner cannot use (no lanes near the ego, short future) are skipped and counted.
  void add_store(const scene::SceneStore& store, const std::function<bool(const scene::IndexEntry&)>& keep = {},
                 bool show_progress = true);
  void add(PlannerSample sample, SampleInfo info);

  size_t size() const { return samples_.size(); }
  const PlannerSample& sample(size_t i) const { return samples_[i]; }
  const SampleInfo& info(size_t i) const { return info_[i]; }
  const encode::GraphOptions& graph() const { return graph_; }
  // Scenes left out by add_store, with the first reasons (token: why).
  size_t skipped() const { return skipped_; }
  const std::vector<std::string>& skip_reasons() const { return skip_reasons_; }

 private:
  encode::GraphOptions graph_;
  std::vector<PlannerSample> samples_;
  std::vector<SampleInfo> info_;
  size_t skipped_ = 0;
  std::vector<std::string> skip_reasons_;
};

}  // namespace autoscale::train
