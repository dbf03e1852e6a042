// The planner's training and evaluation samples, built from scene stores (in parallel) and held
// in memory as plain arrays (~12 KiB per scene at the demo's graph sizes, ~25 KiB at mix's).
//
// Rows may be deferred: their scene is checked when the store is added (the sample is built once
// and dropped) and built again on first use (ensure). A run defers its synthetic pool, so the
// memory of a 1M-scene pool is its index, not its features; only the rows a mixture draws are built.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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

  using EntryFilter = std::function<bool(const scene::IndexEntry&)>;

  // Adds the rows of `store` that `keep` accepts (all when empty), in store order. Scenes a
  // planner cannot use (no lanes near the ego, short future) are skipped and counted. Rows that
  // `defer` accepts keep only their info until ensure(); `store` must then outlive the dataset.
  void add_store(const scene::SceneStore& store, const EntryFilter& keep = {}, bool show_progress = true,
                 const EntryFilter& defer = {});
  void add(PlannerSample sample, SampleInfo info);

  // Builds the deferred rows among `rows` that are not in memory yet (reads their scenes, then
  // featurises in parallel). Thread-safe; const because it fills a cache, not the dataset's content:
  // a rebuilt sample is bit-identical to the one checked when the store was added.
  void ensure(const std::vector<int64_t>& rows) const;
  // Drops every built deferred sample. Not while another thread reads samples.
  void release_deferred() const;
  size_t deferred() const { return deferred_; }  // rows added as deferred
  size_t in_memory() const;                       // rows whose sample is held now

  size_t size() const { return samples_.size(); }
  // Throws Error when row i is deferred and not ensured (a caller that forgot ensure()).
  const PlannerSample& sample(size_t i) const;
  const SampleInfo& info(size_t i) const { return info_[i]; }
  const encode::GraphOptions& graph() const { return graph_; }
  // Scenes left out by add_store, with the first reasons (token: why).
  size_t skipped() const { return skipped_; }
  const std::vector<std::string>& skip_reasons() const { return skip_reasons_; }

 private:
  struct Origin {  // where a deferred row is rebuilt from; store null: held since it was added
    const scene::SceneStore* store = nullptr;
    size_t row = 0;
  };

  encode::GraphOptions graph_;
  mutable std::vector<PlannerSample> samples_;
  mutable std::vector<uint8_t> held_;  // 1: samples_[i] is built
  std::vector<Origin> origin_;
  std::vector<SampleInfo> info_;
  size_t deferred_ = 0;
  mutable std::unique_ptr<std::mutex> ensure_mutex_ = std::make_unique<std::mutex>();
  size_t skipped_ = 0;
  std::vector<std::string> skip_reasons_;
};

}  // namespace autoscale::train
