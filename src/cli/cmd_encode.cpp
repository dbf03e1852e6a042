// `autoscale encode` (scene embeddings) and `autoscale cluster` (scene types).
#include <CLI/CLI.hpp>

#include <memory>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <tuple>
#include <unordered_map>

#include "autoscale/core/error.h"
#include "autoscale/encode/graph.h"
#include "autoscale/encode/scene_embeddings.h"
#include "autoscale/mixture/embeddings.h"
#include "autoscale/mixture/kmeans.h"
#include "autoscale/mixture/report.h"
#include "autoscale/mixture/retrieval.h"
#include "command.h"
#include "commands.h"

namespace autoscale::cli {

int run_encode(const EncodeArgs& args, const Invocation& inv) {
  AUTOSCALE_CHECK(!args.scenes.empty(), "encode: no --scenes stores");
  if (args.fit_only) {
    AUTOSCALE_CHECK(inv.config.encode.embedding == "graph_rae" && !args.checkpoint.empty() && args.load.empty() &&
                        args.out.empty(),
                    "encode --fit-only: trains a Graph-RAE (encode.embedding=graph_rae) into --checkpoint FILE; no -o, no --load");
  } else {
    AUTOSCALE_CHECK(!args.out.empty(), "encode: -o EMB.h5 is required (or --fit-only --checkpoint MODEL)");
  }
  std::vector<scene::SceneStore> stores;
  for (const auto& dir : args.scenes) stores.push_back(scene::SceneStore::open(dir));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<const scene::SceneStore*> ptrs;
  for (const auto& s : stores) ptrs.push_back(&s);
  encode::EmbedRequest request;
  request.method = inv.config.encode.embedding;
  request.graph = inv.config.encode.graph;
  request.graph_rae = inv.config.encode.graph_rae;
  request.fit_scenes = static_cast<size_t>(inv.config.encode.fit_scenes);
  request.seed = static_cast<uint64_t>(inv.config.run.seed);
  request.load = args.load;
  request.save = args.checkpoint;
  std::tie(request.shard, request.shards) = parse_shard(args.shard);
  request.fit_only = args.fit_only;
  const mixture::Embeddings e = encode::embed_stores(ptrs, request);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (args.fit_only) {
    std::printf("saved the Graph-RAE to %s (%.1f s); embed with: encode --load %s [--shard i/N]\n",
                args.checkpoint.c_str(), secs, args.checkpoint.c_str());
    return 0;
  }
  mixture::write_embeddings(args.out, e);
  std::printf("embedded %zu scenes (%s, %d dims) into %s (%.0f scenes/s)\n", e.size(), e.method.c_str(), e.dim,
              args.out.c_str(), e.size() / std::max(secs, 1e-9));
  if (args.report) {
    std::fputs(mixture::embedding_report(e).text.c_str(), stdout);
    if (e.method != "descriptor") {  // the baseline the learned embedding has to beat
      std::printf("baseline:\n%s", mixture::embedding_report(mixture::descriptor_embeddings(ptrs)).text.c_str());
    }
  }
  return 0;
}

int run_merge_embeddings(const MergeEmbeddingsArgs& args, const Invocation&) {
  AUTOSCALE_CHECK(!args.scenes.empty() && !args.parts.empty(), "merge embeddings: needs --scenes and --parts");
  std::vector<scene::SceneStore> stores;
  for (const auto& dir : args.scenes) stores.push_back(scene::SceneStore::open(dir));
  std::vector<const scene::SceneStore*> ptrs;
  for (const auto& s : stores) ptrs.push_back(&s);
  std::vector<mixture::Embeddings> parts;
  for (const auto& p : args.parts) parts.push_back(mixture::read_embeddings(p));
  const auto merged = encode::merge_embeddings(ptrs, parts, args.parts);
  mixture::write_embeddings(args.out, merged);
  std::printf("merged %zu parts: %zu scenes (%s, %d dims) into %s\n", parts.size(), merged.size(), merged.method.c_str(),
              merged.dim, args.out.c_str());
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

Commands bind_encode(CLI::App& app, GlobalOptions&) {
  auto args = std::make_shared<EncodeArgs>();
  auto* cmd = app.add_subcommand("encode", "embed every scene of the stores (encode.embedding)");
  cmd->add_option("--scenes", args->scenes, "scene stores (real and synthetic)")->required()->expected(1, -1);
  cmd->add_option("-o,--out", args->out, "embeddings file (HDF5)");
  cmd->add_flag("--report", args->report, "print same-log neighbour recall of the embedding");
  cmd->add_option("--checkpoint", args->checkpoint, "graph_rae: save the trained model to this file");
  cmd->add_option("--load", args->load, "graph_rae: embed with this trained model (no training)");
  cmd->add_option("--shard", args->shard, "with --load: embed only part i/N (merge with `merge embeddings`)");
  cmd->add_flag("--fit-only", args->fit_only,
                "graph_rae: train the model and save it (--checkpoint), embed nothing (shards embed with --load)");
  return {{cmd, [args](const Invocation& inv) { return run_encode(*args, inv); }}};
}

Commands bind_cluster(CLI::App& app, GlobalOptions&) {
  auto args = std::make_shared<ClusterArgs>();
  auto* cmd = app.add_subcommand("cluster", "spherical k-means of the embeddings into scene types");
  cmd->add_option("--embeddings", args->embeddings, "embeddings file, updated in place")->required();
  return {{cmd, [args](const Invocation& inv) { return run_cluster(*args, inv); }}};
}

Commands bind_index(CLI::App& app, GlobalOptions&) {
  auto args = std::make_shared<IndexArgs>();
  auto* cmd = app.add_subcommand("index", "FAISS indexes of the synthetic scenes, global and per cluster");
  cmd->add_option("--embeddings", args->embeddings, "embeddings file (clustered or not)")->required();
  cmd->add_option("-o,--out", args->out, "index directory")->required();
  return {{cmd, [args](const Invocation& inv) { return run_index(*args, inv); }}};
}

}  // namespace autoscale::cli
