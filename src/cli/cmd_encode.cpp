// `autoscale encode` (scene embeddings) and `autoscale cluster` (scene types).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <unordered_map>

#include "autoscale/core/error.h"
#include "autoscale/encode/graph.h"
#include "autoscale/encode/graph_rae.h"
#include "autoscale/mixture/embeddings.h"
#include "autoscale/mixture/kmeans.h"
#include "autoscale/mixture/report.h"
#include "autoscale/mixture/retrieval.h"
#include "commands.h"

namespace autoscale::cli {

namespace {

// The Graph-RAE path: graphs and standardised descriptors of every scene, train (or load), embed.
mixture::Embeddings graph_rae_embeddings(const std::vector<scene::SceneStore>& stores, const EncodeArgs& args,
                                         const Invocation& inv) {
  const auto& cfg = inv.config.encode;
  std::vector<const scene::SceneStore*> ptrs;
  for (const auto& s : stores) ptrs.push_back(&s);
  // The descriptor pass gives the row metadata and the standardised descriptors the Graph-RAE
  // reconstructs; the graphs are built in the same store order.
  std::vector<std::vector<float>> descriptors;
  mixture::Embeddings e = mixture::descriptor_embeddings(ptrs, &descriptors);
  std::vector<encode::SceneGraph> graphs;
  for (const auto& store : stores) {
    store.for_each([&](const scene::Scene& s) { graphs.push_back(encode::build_graph(s, *store.map(s.map_id), cfg.graph)); });
  }
  encode::GraphRae model(cfg.graph, cfg.graph_rae, static_cast<uint64_t>(inv.config.run.seed));
  if (!args.load.empty()) {
    model.load(args.load);
  } else {
    const auto stats = model.train(graphs, descriptors);
    std::printf("trained the Graph-RAE on %zu scenes (%s): loss %.3f -> %.3f over %zu epochs in %.1f s\n", graphs.size(),
                stats.device.c_str(), stats.epoch_loss.front(), stats.epoch_loss.back(), stats.epoch_loss.size(),
                stats.seconds);
    if (!args.checkpoint.empty()) model.save(args.checkpoint);
  }
  e.method = "graph_rae";
  e.dim = static_cast<int>(model.dim());
  e.z = model.embed(graphs);
  return e;
}

}  // namespace

int run_encode(const EncodeArgs& args, const Invocation& inv) {
  AUTOSCALE_CHECK(!args.scenes.empty(), "encode: no --scenes stores");
  std::vector<scene::SceneStore> stores;
  for (const auto& dir : args.scenes) stores.push_back(scene::SceneStore::open(dir));
  const auto t0 = std::chrono::steady_clock::now();
  mixture::Embeddings e;
  if (inv.config.encode.embedding == "descriptor") {
    std::vector<const scene::SceneStore*> ptrs;
    for (const auto& s : stores) ptrs.push_back(&s);
    e = mixture::descriptor_embeddings(ptrs);
  } else {
    e = graph_rae_embeddings(stores, args, inv);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  mixture::write_embeddings(args.out, e);
  std::printf("embedded %zu scenes (%s, %d dims) into %s (%.0f scenes/s)\n", e.size(), e.method.c_str(), e.dim,
              args.out.c_str(), e.size() / std::max(secs, 1e-9));
  if (args.report) {
    std::fputs(mixture::embedding_report(e).text.c_str(), stdout);
    if (e.method != "descriptor") {  // the baseline the learned embedding has to beat
      std::vector<const scene::SceneStore*> ptrs;
      for (const auto& s : stores) ptrs.push_back(&s);
      std::printf("baseline:\n%s", mixture::embedding_report(mixture::descriptor_embeddings(ptrs)).text.c_str());
    }
  }
  return 0;
}

int run_cluster(const ClusterArgs& args, const Invocation& inv) {
  auto e = mixture::read_embeddings(args.embeddings);
  auto params = inv.config.mixture.kmeans;
  params.seed = static_cast<uint64_t>(inv.config.run.seed);
  AUTOSCALE_CHECK(static_cast<size_t>(params.k) <= e.size(), "mixture.kmeans.k: {} clusters for {} scenes", params.k,
                  e.size());
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = mixture::kmeans(e.z, e.dim, params);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  e.assignment = r.assignment;
  e.similarity = r.similarity;
  e.centroids = r.centroids;
  mixture::write_embeddings(args.embeddings, e);
  std::printf("clustered in %.2f s\n%s%s", secs, mixture::cluster_report(e).c_str(),
              mixture::embedding_report(e, 10, 3000, params.seed).text.c_str());
  return 0;
}

int run_index(const IndexArgs& args, const Invocation& inv) {
  const auto e = mixture::read_embeddings(args.embeddings);
  const auto t0 = std::chrono::steady_clock::now();
  mixture::RetrievalIndex::build(e, inv.config.mixture.index, args.out);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto index = mixture::RetrievalIndex::load(args.out);
  std::printf("indexed the synthetic scenes of %s: global %s index and %d per-cluster indexes in %s (%.2f s)\n",
              args.embeddings.c_str(), index.kind().c_str(), index.clusters(), args.out.c_str(), secs);
  return 0;
}

int run_retrieve(const RetrieveArgs& args, const Invocation& inv) {
  const auto e = mixture::read_embeddings(args.embeddings);
  const auto index = mixture::RetrievalIndex::load(args.index);
  std::unordered_map<std::string, size_t> row_of;
  for (size_t i = 0; i < e.size(); ++i) row_of[e.tokens[i]] = i;
  const std::set<std::string> excluded(args.exclude_logs.begin(), args.exclude_logs.end());
  for (const auto& token : args.queries) {
    const auto it = row_of.find(token);
    AUTOSCALE_CHECK(it != row_of.end(), "retrieve: token {} is not in {}", quote(token), args.embeddings);
    const std::vector<float> q(e.z.begin() + it->second * e.dim, e.z.begin() + (it->second + 1) * e.dim);
    for (const auto& hit : index.search(q, args.k, args.cluster, excluded, e)) {
      std::printf("%s\t%s\t%.4f\tcluster %lld\tsource_log %s\n", token.c_str(), e.tokens[hit.row].c_str(),
                  hit.similarity, e.assignment.empty() ? -1LL : static_cast<long long>(e.assignment[hit.row]),
                  e.source_logs[hit.row].empty() ? "-" : e.source_logs[hit.row].c_str());
    }
  }
  return 0;
}

}  // namespace autoscale::cli
