// `autoscale bench kmeans` and `autoscale bench index`: clustering time and search throughput /
// recall on random unit vectors (a worst case for IVF: real embeddings cluster).
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "autoscale/mixture/kmeans.h"
#include "autoscale/mixture/vector_index.h"
#include "commands.h"

namespace autoscale::cli {
namespace {

std::vector<float> random_unit(size_t n, int dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> x(n * dim);
  for (auto& v : x) v = g(rng);
  mixture::l2_normalize_rows(x, dim);
  return x;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int run_bench_mixture(const BenchMixtureArgs& args, const Invocation& inv) {
  const uint64_t seed = static_cast<uint64_t>(inv.config.run.seed);
  const auto x = random_unit(args.n, args.dim, seed);
  if (args.what == "kmeans") {
    mixture::KMeansParams p;
    p.k = args.k;
    p.seed = seed;
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = mixture::kmeans(x, args.dim, p);
    std::printf("kmeans %zu x %d, k=%d, niter=%d, nredo=%d, no subsampling: %.2f s (objective %.1f)\n", args.n,
                args.dim, p.k, p.niter, p.nredo, seconds_since(t0), r.objective);
    return 0;
  }
  const auto q = random_unit(args.queries, args.dim, seed + 1);
  std::vector<int64_t> truth, ids;
  std::vector<float> scores;
  for (const char* kind : {"flat", "ivf", "hnsw"}) {
    mixture::IndexParams p;
    p.kind = kind;
    auto t0 = std::chrono::steady_clock::now();
    const auto index = mixture::VectorIndex::build(x, args.dim, p);
    const double build = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    index.search(q, 10, &ids, &scores);
    const double search = seconds_since(t0);
    if (truth.empty()) truth = ids;  // flat is exact
    size_t hit = 0;
    for (size_t i = 0; i < truth.size(); i += 10) {
      const std::set<int64_t> want(truth.begin() + i, truth.begin() + i + 10);
      for (int j = 0; j < 10; ++j) hit += want.count(ids[i + j]);
    }
    std::printf("%-5s %zu x %d: build %.2f s, %.0f queries/s, recall@10 vs flat %.3f\n", kind, args.n, args.dim,
                build, args.queries / search, double(hit) / truth.size());
  }
  return 0;
}

}  // namespace autoscale::cli
