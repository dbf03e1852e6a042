#include "autoscale/loop/experiment.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <unordered_map>

#include "autoscale/core/error.h"

namespace autoscale::loop {

void DataConfig::visit(ConfigVisitor& v) {
  v.section("split", split, "log-disjoint splits of the real logs");
  v.field("synthetic_share", synthetic_share, "share of training samples drawn from synthetic data; -1 = natural (by counts)",
          in_range(-1, 1));
}

encode::EmbedRequest ExperimentConfig::embed_request() const {
  encode::EmbedRequest r;
  r.method = encode.embedding;
  r.graph = encode.graph;
  r.graph_rae = encode.graph_rae;
  r.fit_scenes = static_cast<size_t>(encode.fit_scenes);
  r.seed = seed();
  return r;
}


namespace fs = std::filesystem;

namespace {

// Embeddings of every scene, clustered. Inside a run, the encoder and k-means are fitted
// without the held-out logs (`held_out`: val and test logs, and what derives from them), then
// every scene is embedded and assigned to its nearest centroid.
mixture::Embeddings run_embeddings(const ExperimentConfig& config, const std::vector<const scene::SceneStore*>& stores,
                                   const std::string& run_dir, const std::set<std::string>& held_out) {
  if (!config.loop.embeddings.empty()) {
    auto e = mixture::read_embeddings(config.loop.embeddings);
    AUTOSCALE_CHECK(e.clusters() > 0, "{}: the embeddings are not clustered (run `autoscale cluster` on them first)",
                    config.loop.embeddings);
    return e;
  }
  const std::string path = (fs::path(run_dir) / "embeddings.h5").string();
  if (fs::exists(path)) return mixture::read_embeddings(path);  // a resumed run: the same seed made them
  spdlog::info("encoding {} stores ({}), fitted without {} held-out logs", stores.size(), config.encode.embedding,
               held_out.size());
  auto request = config.embed_request();
  request.fit_exclude_logs = held_out;
  auto e = encode::embed_stores(stores, request);
  auto params = config.mixture.kmeans;
  params.seed = config.seed();
  std::vector<float> fit_z;
  for (size_t i = 0; i < e.size(); ++i) {
    if (held_out.count(e.logs[i]) || held_out.count(e.source_logs[i])) continue;
    fit_z.insert(fit_z.end(), e.z.begin() + static_cast<std::ptrdiff_t>(i) * e.dim,
                 e.z.begin() + static_cast<std::ptrdiff_t>(i + 1) * e.dim);
  }
  const size_t fit_n = fit_z.size() / static_cast<size_t>(e.dim);
  AUTOSCALE_CHECK(static_cast<size_t>(params.k) <= fit_n, "mixture.kmeans.k: {} clusters for {} scenes", params.k,
                  fit_n);
  const auto r = mixture::kmeans(fit_z, e.dim, params);
  e.centroids = r.centroids;
  if (fit_n == e.size()) {
    e.assignment = r.assignment;
    e.similarity = r.similarity;
  } else {  // held-out scenes: their nearest centroid, as FAISS assigns
    auto z = e.z;
    if (params.spherical) mixture::l2_normalize_rows(z, e.dim);
    e.assignment = mixture::assign_brute_force(z, e.dim, r.centroids, params.spherical);
    e.similarity.resize(e.size());
    for (size_t i = 0; i < e.size(); ++i) {
      const float* x = z.data() + i * static_cast<size_t>(e.dim);
      const float* c = r.centroids.data() + static_cast<size_t>(e.assignment[i]) * static_cast<size_t>(e.dim);
      double dot = 0, d2 = 0;
      for (int j = 0; j < e.dim; ++j) dot += double(x[j]) * c[j], d2 += double(x[j] - c[j]) * (x[j] - c[j]);
      e.similarity[i] = static_cast<float>(params.spherical ? dot : -d2);
    }
  }
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
  d.data = train::PlannerDataset(config.encode.graph);
  std::vector<size_t> first_row(d.stores.size() + 1, 0);
  for (size_t s = 0; s < d.stores.size(); ++s) {
    // Only the real stores' real scenes are always used (train, validation, test); the pool's
    // samples are built when a mixture draws them, so memory does not grow with the pool.
    const bool real_store = s < lo.real.size();
    d.data.add_store(d.stores[s], {}, config.show_progress,
                     [real_store](const scene::IndexEntry& e) { return !real_store || e.domain != scene::Domain::kReal; });
    first_row[s + 1] = d.data.size();
  }
  // Only the loop.real stores' real scenes are split; a synthetic store's scenes are all pool.
  std::vector<std::string> logs;
  for (size_t s = 0; s < lo.real.size(); ++s) {
    for (const auto& e : d.stores[s].index()) {
      if (e.domain == scene::Domain::kReal) logs.push_back(e.log);
    }
  }
  AUTOSCALE_CHECK(!logs.empty(), "loop.real: the stores {} hold no real scenes", fmt::join(lo.real, ", "));
  std::map<std::string, std::string> sources;  // log -> importer: cross-fitted folds stratify by it
  for (size_t i = 0; i < first_row[lo.real.size()]; ++i) sources.emplace(d.data.info(i).log, d.data.info(i).generator);
  d.splits = scene::split_logs(logs, config.data.split, config.seed(), sources);
  // A cross-fitted fold fits the encoder and k-means without its held-out logs; a plain split
  // keeps fitting on every scene (label-free, and what a Slurm-fanned encoding reproduces).
  std::set<std::string> held_out;
  for (const auto& [log, split] : d.splits) {
    if (config.data.split.folds > 0 && split != scene::Split::kTrain) held_out.insert(log);
  }
  d.embeddings = run_embeddings(config, ptrs, run_dir, held_out);
  const std::string emb_name = lo.embeddings.empty() ? (fs::path(run_dir) / "embeddings.h5").string() : lo.embeddings;

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
  d.test = thin_windows(d.data, d.test, lo.test_stride_s);
  AUTOSCALE_CHECK(!d.real_train.empty(), "data.split: no real training scenes ({} logs split)", d.splits.size());
  AUTOSCALE_CHECK(!d.val.empty(), "data.split: no real validation scenes (set data.split.val_logs or val_fraction)");
  AUTOSCALE_CHECK(!d.test.empty(), "data.split: no real test scenes (set data.split.test_logs or test_fraction)");
  spdlog::info("run data: {} real train, {} val, {} test scenes; synthetic pool {} ({} dropped: derived from held-out "
               "logs); {} clusters", d.real_train.size(), d.val.size(), d.test.size(), d.pool.size(), d.leaked, k);
  d.scoring_cache = std::make_shared<eval::ScoringCache>(config.eval.options(), static_cast<size_t>(lo.scoring_cache_scenes));
  return d;
}

std::vector<int64_t> thin_windows(const train::PlannerDataset& data, const std::vector<int64_t>& rows, double stride_s) {
  if (stride_s <= 0) return rows;
  std::map<std::string, int64_t> first;
  for (int64_t r : rows) {
    const auto& info = data.info(static_cast<size_t>(r));
    auto [it, fresh] = first.emplace(info.log, info.timestamp_us);
    if (!fresh) it->second = std::min(it->second, info.timestamp_us);
  }
  const double stride_us = stride_s * 1e6;
  std::vector<int64_t> kept;
  for (int64_t r : rows) {
    const auto& info = data.info(static_cast<size_t>(r));
    const double steps = static_cast<double>(info.timestamp_us - first.at(info.log)) / stride_us;
    if (std::abs(steps - std::round(steps)) < 1e-3) kept.push_back(r);
  }
  return kept;
}

}  // namespace autoscale::loop
