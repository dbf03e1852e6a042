// `autoscale encode` (scene embeddings) and `autoscale cluster` (scene types).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "autoscale/core/error.h"
#include "autoscale/mixture/embeddings.h"
#include "autoscale/mixture/kmeans.h"
#include "commands.h"

namespace autoscale::cli {

int run_encode(const EncodeArgs& args, const Invocation& inv) {
  AUTOSCALE_CHECK(!args.scenes.empty(), "encode: no --scenes stores");
  std::vector<scene::SceneStore> stores;
  for (const auto& dir : args.scenes) stores.push_back(scene::SceneStore::open(dir));
  std::vector<const scene::SceneStore*> ptrs;
  for (const auto& s : stores) ptrs.push_back(&s);
  const auto t0 = std::chrono::steady_clock::now();
  const auto e = mixture::descriptor_embeddings(ptrs);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  mixture::write_embeddings(args.out, e);
  std::printf("embedded %zu scenes (%s, %d dims) into %s (%.0f scenes/s)\n", e.size(), e.method.c_str(), e.dim,
              args.out.c_str(), e.size() / std::max(secs, 1e-9));
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
  std::printf("clustered in %.2f s\n%s", secs, mixture::cluster_report(e).c_str());
  return 0;
}

}  // namespace autoscale::cli
