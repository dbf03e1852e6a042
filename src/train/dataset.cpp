#include "autoscale/train/dataset.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/threads.h"

namespace autoscale::train {

namespace {
constexpr size_t kBlock = 512;      // scenes read sequentially, then featurised in parallel
constexpr size_t kMaxReasons = 5;
}  // namespace

void PlannerDataset::add(PlannerSample sample, SampleInfo info) {
  samples_.push_back(std::move(sample));
  info_.push_back(std::move(info));
}

void PlannerDataset::add_store(const scene::SceneStore& store, const std::function<bool(const scene::IndexEntry&)>& keep,
                               bool show_progress) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < store.size(); ++i) {
    if (!keep || keep(store.index()[i])) rows.push_back(i);
  }
  Progress progress("features " + store.dir(), rows.size(), show_progress);
  for (size_t first = 0; first < rows.size(); first += kBlock) {
    const size_t count = std::min(kBlock, rows.size() - first);
    std::vector<scene::Scene> scenes(count);
    for (size_t i = 0; i < count; ++i) scenes[i] = store.read(rows[first + i]);
    std::vector<std::optional<PlannerSample>> built(count);
    std::vector<std::string> errors(count);
    parallel_for(count, [&](size_t i) {
      try {
        built[i] = build_planner_sample(scenes[i], *store.map(scenes[i].map_id), graph_);
      } catch (const Error& e) {
        errors[i] = e.what();
      }
      progress.advance();
    });
    for (size_t i = 0; i < count; ++i) {  // appended in store order, whatever the thread count
      if (!built[i]) {
        ++skipped_;
        if (skip_reasons_.size() < kMaxReasons) skip_reasons_.push_back(errors[i]);
        continue;
      }
      const scene::Scene& s = scenes[i];
      add(std::move(*built[i]), {s.token, s.log, s.source_log, s.domain, s.generator, s.timestamp_us});
    }
  }
  progress.finish();
  if (skipped_) spdlog::warn("{}: {} scenes skipped (first: {})", store.dir(), skipped_, skip_reasons_.front());
}

}  // namespace autoscale::train
