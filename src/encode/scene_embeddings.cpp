#include "autoscale/encode/scene_embeddings.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <unordered_map>

#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"

namespace autoscale::encode {

namespace {

// Calls fn(row, scene, map) for every scene of the stores in order; returns the row count.
template <class Fn>
size_t for_each_row(const std::vector<const scene::SceneStore*>& stores, Fn fn) {
  size_t row = 0;
  for (const auto* store : stores) {
    store->for_each([&](const scene::Scene& s) { fn(row++, s, *store->map(s.map_id)); });
  }
  return row;
}

// The graphs of the rows `keep` accepts, in row order.
template <class Keep>
std::vector<SceneGraph> build_graphs(const std::vector<const scene::SceneStore*>& stores, const GraphOptions& options,
                                     Keep keep) {
  std::vector<SceneGraph> graphs;
  for_each_row(stores, [&](size_t row, const scene::Scene& s, const scene::Map& map) {
    if (keep(row)) graphs.push_back(build_graph(s, map, options));
  });
  return graphs;
}

// The rows the Graph-RAE is fitted on: every row not held out (fit_exclude_logs), or a seeded
// uniform sample of r.fit_scenes of them; ascending.
std::vector<size_t> fit_rows(const mixture::Embeddings& e, const EmbedRequest& r) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < e.size(); ++i) {
    if (r.fit_exclude_logs.count(e.logs[i]) || r.fit_exclude_logs.count(e.source_logs[i])) continue;
    rows.push_back(i);
  }
  AUTOSCALE_CHECK(rows.size() >= 2, "encode: {} of {} scenes left to train the Graph-RAE on after leaving out {} logs",
                  rows.size(), e.size(), r.fit_exclude_logs.size());
  if (r.fit_scenes > 0 && rows.size() > r.fit_scenes) {
    std::mt19937_64 rng(derive_seed(r.seed, "graph_rae_fit_sample"));
    for (size_t i = 0; i < r.fit_scenes; ++i) {  // a partial Fisher-Yates shuffle
      std::uniform_int_distribution<size_t> pick(i, rows.size() - 1);
      std::swap(rows[i], rows[pick(rng)]);
    }
    rows.resize(r.fit_scenes);
    std::sort(rows.begin(), rows.end());
    AUTOSCALE_CHECK(rows.size() >= 2, "encode.fit_scenes is {}: the Graph-RAE needs at least 2 scenes to fit on "
                    "(0 = every scene)", r.fit_scenes);
  }
  return rows;
}

// Every row `in_part` accepts embedded in one streamed pass, a batch of GraphRae::kEmbedBatch
// graphs at a time: the batches are those of one embed() over all rows, so the bits are too.
template <class InPart>
std::vector<float> embed_streamed(const std::vector<const scene::SceneStore*>& stores, const GraphRae& model,
                                  const GraphOptions& options, InPart in_part, size_t expected_rows) {
  std::vector<float> z;
  std::vector<SceneGraph> batch;
  const auto flush = [&] {
    const auto part = model.embed(batch);
    z.insert(z.end(), part.begin(), part.end());
    batch.clear();
  };
  const size_t rows = for_each_row(stores, [&](size_t row, const scene::Scene& s, const scene::Map& map) {
    if (in_part(row)) batch.push_back(build_graph(s, map, options));
    if ((row + 1) % GraphRae::kEmbedBatch == 0 && !batch.empty()) flush();
  });
  if (!batch.empty()) flush();
  AUTOSCALE_CHECK(rows == expected_rows, "encode: the stores yielded {} scenes in the embedding pass, {} in the "
                  "descriptor pass (a store changed while it was read?)", rows, expected_rows);
  return z;
}

}  // namespace

mixture::Embeddings embed_stores(const std::vector<const scene::SceneStore*>& stores, const EmbedRequest& r) {
  AUTOSCALE_CHECK(r.method == "graph_rae" || r.method == "descriptor",
                  "encode.embedding: unknown method {} (graph_rae | descriptor)", quote(r.method));
  AUTOSCALE_CHECK(r.shards >= 1 && r.shard < r.shards, "encode: shard {}/{} is out of range", r.shard, r.shards);
  AUTOSCALE_CHECK(r.shards == 1 || (r.method == "graph_rae" && !r.load.empty()),
                  "--shard {}/{}: sharded embedding needs a trained Graph-RAE (--load); the descriptor is standardised "
                  "over all scenes and the Graph-RAE trains on all of them once", r.shard, r.shards);
  if (r.method == "descriptor") return mixture::descriptor_embeddings(stores);
  // The descriptor pass gives the row metadata and the standardised descriptors the Graph-RAE
  // reconstructs; the graphs are built in the same store order.
  std::vector<std::vector<float>> descriptors;
  mixture::Embeddings e = mixture::descriptor_embeddings(stores, &descriptors);
  const size_t n = e.size();
  // Whole embedding batches go round-robin to the parts (see EmbedRequest::shard).
  auto in_part = [&](size_t row) { return (row / GraphRae::kEmbedBatch) % r.shards == r.shard; };
  GraphRae model(r.graph, r.graph_rae, r.seed);
  // Small enough to fit on every scene: each graph is built once and kept for the embedding pass.
  const bool fit_all = r.load.empty() && (r.fit_scenes == 0 || n <= r.fit_scenes);
  std::vector<SceneGraph> graphs;  // fit_all: every scene's, in row order
  if (!r.load.empty()) {
    model.load(r.load);
  } else {
    const std::vector<size_t> rows = fit_rows(e, r);
    std::vector<SceneGraph> fit_graphs;
    std::vector<std::vector<float>> fit_descriptors;
    if (fit_all) {
      graphs = build_graphs(stores, r.graph, [](size_t) { return true; });
      if (rows.size() == n) {
        fit_descriptors = std::move(descriptors);
      } else {
        for (size_t i : rows) fit_graphs.push_back(graphs[i]), fit_descriptors.push_back(descriptors[i]);
      }
    } else {  // a sample: only its graphs are built now
      std::vector<bool> chosen(n, false);
      for (size_t i : rows) chosen[i] = true, fit_descriptors.push_back(descriptors[i]);
      fit_graphs = build_graphs(stores, r.graph, [&](size_t row) { return chosen[row]; });
    }
    descriptors = {};
    const auto& train_graphs = fit_all && rows.size() == n ? graphs : fit_graphs;
    const auto stats = model.train(train_graphs, fit_descriptors);
    if (r.verbose) {
      std::printf("trained the Graph-RAE on %zu scenes (%s): loss %.3f -> %.3f over %zu epochs in %.1f s\n",
                  train_graphs.size(), stats.device.c_str(), stats.epoch_loss.front(), stats.epoch_loss.back(),
                  stats.epoch_loss.size(), stats.seconds);
    }
    if (!r.save.empty()) model.save(r.save);
  }
  if (r.fit_only) {  // the model is the product; a job array embeds the scenes with it
    AUTOSCALE_CHECK(r.load.empty() && !r.save.empty(), "encode: fitting only needs a file to save the model to");
    e.method = "graph_rae";
    e.dim = static_cast<int>(model.dim());
    return e;
  }
  if (r.shards > 1) {  // keep this part's rows of the metadata
    mixture::Embeddings part;
    for (size_t i = 0; i < e.size(); ++i) {
      if (!in_part(i)) continue;
      part.tokens.push_back(e.tokens[i]), part.logs.push_back(e.logs[i]);
      part.source_logs.push_back(e.source_logs[i]), part.domains.push_back(e.domains[i]);
    }
    part.method = e.method;
    e = std::move(part);
  }
  e.method = "graph_rae";
  e.dim = static_cast<int>(model.dim());
  e.z = fit_all ? model.embed(graphs) : embed_streamed(stores, model, r.graph, in_part, n);
  return e;
}

}  // namespace autoscale::encode

namespace autoscale::encode {

mixture::Embeddings merge_embeddings(const std::vector<const scene::SceneStore*>& stores,
                                     const std::vector<mixture::Embeddings>& parts, const std::vector<std::string>& names) {
  AUTOSCALE_CHECK(!parts.empty() && parts.size() == names.size(), "merge embeddings: {} parts, {} names", parts.size(),
                  names.size());
  std::unordered_map<std::string, std::pair<size_t, size_t>> where;  // token -> (part, row)
  for (size_t p = 0; p < parts.size(); ++p) {
    AUTOSCALE_CHECK(parts[p].method == parts[0].method && parts[p].dim == parts[0].dim,
                    "{}: {} embeddings of {} dims, but {} holds {} of {}", names[p], parts[p].method, parts[p].dim,
                    names[0], parts[0].method, parts[0].dim);
    AUTOSCALE_CHECK(parts[p].clusters() == 0, "{}: already clustered; merge the unclustered parts, then cluster", names[p]);
    for (size_t i = 0; i < parts[p].size(); ++i) {
      AUTOSCALE_CHECK(where.emplace(parts[p].tokens[i], std::pair{p, i}).second, "{}: scene {} is also in another part",
                      names[p], quote(parts[p].tokens[i]));
    }
  }
  mixture::Embeddings out;
  out.method = parts[0].method;
  out.dim = parts[0].dim;
  for (const auto* store : stores) {
    for (const auto& entry : store->index()) {
      const auto it = where.find(entry.token);
      AUTOSCALE_CHECK(it != where.end(), "merge embeddings: scene {} of {} is in no part (a shard missing?)",
                      quote(entry.token), store->dir());
      const auto& [p, i] = it->second;
      const auto& src = parts[p];
      out.tokens.push_back(src.tokens[i]), out.logs.push_back(src.logs[i]);
      out.source_logs.push_back(src.source_logs[i]), out.domains.push_back(src.domains[i]);
      out.z.insert(out.z.end(), src.z.begin() + static_cast<std::ptrdiff_t>(i * src.dim),
                   src.z.begin() + static_cast<std::ptrdiff_t>((i + 1) * src.dim));
      where.erase(it);
    }
  }
  AUTOSCALE_CHECK(where.empty(), "merge embeddings: {} scenes of the parts are in none of the stores (e.g. {})",
                  where.size(), quote(where.begin()->first));
  return out;
}

}  // namespace autoscale::encode
