#include "autoscale/loop/experiment.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <unordered_map>

#include "autoscale/core/error.h"

namespace autoscale::loop {

namespace fs = std::filesystem;

namespace {

mixture::Embeddings run_embeddings(const ExperimentConfig& config, const std::vector<const scene::SceneStore*>& stores,
                                   const std::string& run_dir) {
  if (!config.loop.embeddings.empty()) {
    auto e = mixture::read_embeddings(config.loop.embeddings);
    AUTOSCALE_CHECK(e.clusters() > 0, "{}: the embeddings are not clustered (run `autoscale cluster` on them first)",
                    config.loop.embeddings);
    return e;
  }
  const std::string path = (fs::path(run_dir) / "embeddings.h5").string();
  if (fs::exists(path)) return mixture::read_embeddings(path);  // a resumed run: the same seed made them
  spdlog::info("encoding {} stores ({})", stores.size(), config.embed.method);
  auto e = encode::embed_stores(stores, config.embed);
  auto params = config.kmeans;
  params.seed = config.seed;
  AUTOSCALE_CHECK(static_cast<size_t>(params.k) <= e.size(), "mixture.kmeans.k: {} clusters for {} scenes", params.k,
                  e.size());
  const auto r = mixture::kmeans(e.z, e.dim, params);
  e.assignment = r.assignment;
  e.similarity = r.similarity;
  e.centroids = r.centroids;
  mixture::write_embeddings(path, e);
  return e;
}

}  // namespace

ExperimentData ExperimentData::load(const ExperimentConfig& config, const std::string& run_dir) {
  const auto& lo = config.loop;
  AUTOSCALE_CHECK(!lo.real.empty(), "loop.real: no real scene stores");
  ExperimentData d;
  for (const auto& dir : lo.real) d.stores.push_back(scene::SceneStore::open(dir));
  for (const auto& dir : lo.synthetic) d.stores.push_back(scene::SceneStore::open(dir));
  std::vector<const scene::SceneStore*> ptrs;
  for (const auto& s : d.stores) ptrs.push_back(&s);
  // Only the loop.real stores' real scenes are split; a synthetic store's scenes are all pool.
  std::vector<std::string> logs;
  for (size_t s = 0; s < lo.real.size(); ++s) {
    for (const auto& e : d.stores[s].index()) {
      if (e.domain == scene::Domain::kReal) logs.push_back(e.log);
    }
  }
  AUTOSCALE_CHECK(!logs.empty(), "loop.real: the stores {} hold no real scenes", fmt::join(lo.real, ", "));
  d.splits = scene::split_logs(logs, config.split, config.seed);
  d.embeddings = run_embeddings(config, ptrs, run_dir);
  const std::string emb_name = lo.embeddings.empty() ? (fs::path(run_dir) / "embeddings.h5").string() : lo.embeddings;

  d.data = train::PlannerDataset(config.embed.graph);
  std::vector<size_t> first_row(d.stores.size() + 1, 0);
  for (size_t s = 0; s < d.stores.size(); ++s) {
    d.data.add_store(d.stores[s], {}, config.show_progress);
    first_row[s + 1] = d.data.size();
  }
  std::unordered_map<std::string, int64_t> emb_row;
  for (size_t i = 0; i < d.embeddings.size(); ++i) emb_row.emplace(d.embeddings.tokens[i], static_cast<int64_t>(i));
  const int k = d.clusters();
  d.pool_by_cluster.assign(static_cast<size_t>(k), {});
  d.val_by_cluster.assign(static_cast<size_t>(k), {});
  for (size_t s = 0; s < d.stores.size(); ++s) {
    std::unordered_map<std::string, size_t> row_in_store;
    for (size_t r = 0; r < d.stores[s].size(); ++r) row_in_store.emplace(d.stores[s].index()[r].token, r);
    const bool real_store = s < lo.real.size();
    for (size_t i = first_row[s]; i < first_row[s + 1]; ++i) {
      const auto& info = d.data.info(i);
      const auto it = emb_row.find(info.token);
      AUTOSCALE_CHECK(it != emb_row.end(), "{}: no embedding for scene {} of {} (embed every store of loop.real and "
                      "loop.synthetic)", emb_name, quote(info.token), d.stores[s].dir());
      const auto row = static_cast<int64_t>(i);
      const int64_t c = d.embeddings.assignment[static_cast<size_t>(it->second)];
      d.embedding_row.push_back(it->second);
      d.cluster.push_back(c);
      d.store_of.push_back(s);
      d.store_row.push_back(row_in_store.at(info.token));
      if (info.domain == scene::Domain::kReal && real_store) {
        const auto split = d.splits.at(info.log);
        if (split == scene::Split::kTrain) d.real_train.push_back(row);
        if (split == scene::Split::kVal) d.val.push_back(row), d.val_by_cluster[static_cast<size_t>(c)].push_back(row);
        if (split == scene::Split::kTest) d.test.push_back(row);
        continue;
      }
      if (info.domain == scene::Domain::kReal) continue;  // real scenes in a synthetic store are not pool
      // Leakage guard: a synthetic scene derived from a held-out log never trains the planner.
      const auto src = d.splits.find(info.source_log);
      if (src != d.splits.end() && src->second != scene::Split::kTrain) {
        ++d.leaked;
        continue;
      }
      d.pool.push_back(row);
      d.pool_by_cluster[static_cast<size_t>(c)].push_back(row);
    }
  }
  AUTOSCALE_CHECK(!d.real_train.empty(), "data.split: no real training scenes ({} logs split)", d.splits.size());
  AUTOSCALE_CHECK(!d.val.empty(), "data.split: no real validation scenes (set data.split.val_logs or val_fraction)");
  AUTOSCALE_CHECK(!d.test.empty(), "data.split: no real test scenes (set data.split.test_logs or test_fraction)");
  spdlog::info("run data: {} real train, {} val, {} test scenes; synthetic pool {} ({} dropped: derived from held-out "
               "logs); {} clusters", d.real_train.size(), d.val.size(), d.test.size(), d.pool.size(), d.leaked, k);
  return d;
}

}  // namespace autoscale::loop
