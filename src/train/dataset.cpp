#include "autoscale/train/dataset.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>

#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/threads.h"

namespace autoscale::train {

namespace {
constexpr size_t kBlock = 512;      // scenes read sequentially, then featurised in parallel
constexpr size_t kMaxReasons = 5;

struct Built {
  std::vector<scene::Scene> scenes;
  std::vector<std::optional<PlannerSample>> samples;  // empty: the scene was refused (errors[i] says why)
  std::vector<std::string> errors;
};

// Reads `rows` of `store` in order (block reads; the reader is single-threaded), then builds their
// samples in parallel.
Built build_block(const scene::SceneStore& store, const size_t* rows, size_t count, const encode::GraphOptions& graph,
                  Progress* progress) {
  Built b;
  b.scenes = store.read_rows(std::vector<size_t>(rows, rows + count));
  b.samples.resize(count);
  b.errors.resize(count);
  parallel_for(count, [&](size_t i) {
    try {
      b.samples[i] = build_planner_sample(b.scenes[i], *store.map(b.scenes[i].map_id), graph);
    } catch (const Error& e) {
      b.errors[i] = e.what();
    }
    if (progress) progress->advance();
  });
  return b;
}
}  // namespace

void PlannerDataset::add(PlannerSample sample, SampleInfo info) {
  samples_.push_back(std::move(sample));
  held_.push_back(1);
  origin_.push_back({});
  info_.push_back(std::move(info));
}

void PlannerDataset::add_store(const scene::SceneStore& store, const EntryFilter& keep, bool show_progress,
                               const EntryFilter& defer) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < store.size(); ++i) {
    if (!keep || keep(store.index()[i])) rows.push_back(i);
  }
  Progress progress("features " + store.dir(), rows.size(), show_progress);
  for (size_t first = 0; first < rows.size(); first += kBlock) {
    const size_t count = std::min(kBlock, rows.size() - first);
    Built b = build_block(store, rows.data() + first, count, graph_, &progress);
    // A pass in store order does not come back: each open shard holds its inflated chunks
    // (up to ~100 MiB), and 16 of them were most of a 110k-scene run's memory.
    store.close_shards();
    for (size_t i = 0; i < count; ++i) {  // appended in store order, whatever the thread count
      if (!b.samples[i]) {
        ++skipped_;
        if (skip_reasons_.size() < kMaxReasons) skip_reasons_.push_back(b.errors[i]);
        continue;
      }
      const scene::Scene& s = b.scenes[i];
      SampleInfo info{s.token, s.log, s.source_log, s.domain, s.generator, s.timestamp_us};
      if (defer && defer(store.index()[rows[first + i]])) {
        samples_.emplace_back();
        held_.push_back(0);
        origin_.push_back({&store, rows[first + i]});
        info_.push_back(std::move(info));
        ++deferred_;
        continue;
      }
      add(std::move(*b.samples[i]), std::move(info));
    }
  }
  progress.finish();
  if (skipped_) spdlog::warn("{}: {} scenes skipped (first: {})", store.dir(), skipped_, skip_reasons_.front());
}

const PlannerSample& PlannerDataset::sample(size_t i) const {
  AUTOSCALE_CHECK(i < samples_.size(), "planner dataset: row {} of {}", i, samples_.size());
  AUTOSCALE_CHECK(held_[i], "planner dataset: row {} (scene {}) is deferred and was not ensured", i, info_[i].token);
  return samples_[i];
}

void PlannerDataset::ensure(const std::vector<int64_t>& rows) const {
  if (deferred_ == 0) return;
  std::lock_guard lock(*ensure_mutex_);
  std::map<const scene::SceneStore*, std::vector<size_t>> missing;  // store -> dataset rows, in order
  for (int64_t r : rows) {
    const auto i = static_cast<size_t>(r);
    AUTOSCALE_CHECK(r >= 0 && i < samples_.size(), "planner dataset: row {} of {}", r, samples_.size());
    if (!held_[i]) missing[origin_[i].store].push_back(i);
  }
  for (auto& [store, wanted] : missing) {
    std::sort(wanted.begin(), wanted.end());  // store order: sequential reads
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    for (size_t first = 0; first < wanted.size(); first += kBlock) {
      const size_t count = std::min(kBlock, wanted.size() - first);
      std::vector<size_t> store_rows(count);
      for (size_t i = 0; i < count; ++i) store_rows[i] = origin_[wanted[first + i]].row;
      Built b = build_block(*store, store_rows.data(), count, graph_, nullptr);
      for (size_t i = 0; i < count; ++i) {
        const size_t row = wanted[first + i];
        // The scene passed when the store was added; failing now means the store changed under us.
        AUTOSCALE_CHECK(b.samples[i] && b.scenes[i].token == info_[row].token,
                        "{}: scene {} (row {}) no longer builds the sample it built when the run started: {}",
                        store->dir(), info_[row].token, origin_[row].row,
                        b.samples[i] ? "a different scene is at its row" : b.errors[i]);
        samples_[row] = std::move(*b.samples[i]);
        held_[row] = 1;
      }
    }
    // A pass (an up-front ensure) closes its shards as add_store does; a batch's few rows keep the
    // reader's 16 most recent shards open for the next batches (sparse reads inflate few chunks).
    if (wanted.size() >= kBlock) store->close_shards();
  }
}

void PlannerDataset::release_deferred() const {
  std::lock_guard lock(*ensure_mutex_);
  for (size_t i = 0; i < samples_.size(); ++i) {
    if (origin_[i].store && held_[i]) samples_[i] = PlannerSample{}, held_[i] = 0;
  }
}

size_t PlannerDataset::in_memory() const {
  std::lock_guard lock(*ensure_mutex_);
  return static_cast<size_t>(std::count(held_.begin(), held_.end(), uint8_t{1}));
}

}  // namespace autoscale::train
