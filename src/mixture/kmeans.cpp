#include "autoscale/mixture/kmeans.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include <cmath>
#include <limits>

#include "autoscale/core/error.h"

namespace autoscale::mixture {

void KMeansParams::visit(ConfigVisitor& v) {
  v.field("k", k, "clusters (scene types)", at_least(1));
  v.field("niter", niter, "k-means iterations", at_least(1));
  v.field("nredo", nredo, "k-means restarts; the best is kept", at_least(1));
  v.field("spherical", spherical, "unit-norm centroids and cosine assignment");
  v.field("max_points_per_centroid", max_points_per_centroid,
          "FAISS subsampling cap per centroid; 0 = use every point", at_least(0));
}

void l2_normalize_rows(std::vector<float>& x, int dim) {
  for (size_t i = 0; i < x.size(); i += dim) {
    double n = 0;
    for (int j = 0; j < dim; ++j) n += double(x[i + j]) * x[i + j];
    n = std::sqrt(n);
    if (n > 0) {
      for (int j = 0; j < dim; ++j) x[i + j] = static_cast<float>(x[i + j] / n);
    }
  }
}

KMeansResult kmeans(const std::vector<float>& x_in, int dim, const KMeansParams& p) {
  AUTOSCALE_CHECK(dim > 0 && x_in.size() % dim == 0, "kmeans: {} values are not rows of {}", x_in.size(), dim);
  const size_t n = x_in.size() / dim;
  AUTOSCALE_CHECK(n > 0, "kmeans: no embeddings");
  AUTOSCALE_CHECK(p.k >= 1 && static_cast<size_t>(p.k) <= n, "kmeans: k = {} for {} embeddings", p.k, n);
  for (size_t i = 0; i < x_in.size(); ++i) {
    AUTOSCALE_CHECK(std::isfinite(x_in[i]), "kmeans: embedding row {} column {} is {}", i / dim, i % dim, x_in[i]);
  }
  std::vector<float> x = x_in;
  if (p.spherical) l2_normalize_rows(x, dim);

  faiss::ClusteringParameters cp;
  cp.niter = p.niter;
  cp.nredo = p.nredo;
  cp.spherical = p.spherical;
  cp.seed = static_cast<int>(p.seed % static_cast<uint64_t>(std::numeric_limits<int>::max()));
  cp.verbose = false;
  // No silent subsampling: every point takes part unless a cap was asked for.
  cp.max_points_per_centroid =
      p.max_points_per_centroid > 0 ? p.max_points_per_centroid : static_cast<int>((n + p.k - 1) / p.k) + 1;
  faiss::Clustering clustering(dim, p.k, cp);
  faiss::IndexFlatIP ip(dim);
  faiss::IndexFlatL2 l2(dim);
  faiss::Index& index = p.spherical ? static_cast<faiss::Index&>(ip) : static_cast<faiss::Index&>(l2);
  clustering.train(static_cast<int64_t>(n), x.data(), index);

  KMeansResult r;
  r.k = p.k;
  r.dim = dim;
  r.centroids = clustering.centroids;
  r.objective = clustering.iteration_stats.empty() ? 0.0 : clustering.iteration_stats.back().obj;
  r.assignment.resize(n);
  r.similarity.resize(n);
  index.reset();
  index.add(p.k, r.centroids.data());
  std::vector<float> dist(n);
  index.search(static_cast<int64_t>(n), x.data(), 1, dist.data(), r.assignment.data());
  for (size_t i = 0; i < n; ++i) r.similarity[i] = p.spherical ? dist[i] : -dist[i];
  return r;
}

std::vector<int64_t> assign_brute_force(const std::vector<float>& x, int dim, const std::vector<float>& c,
                                        bool inner_product) {
  const size_t n = x.size() / dim, k = c.size() / dim;
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    double best = -std::numeric_limits<double>::infinity();
    for (size_t j = 0; j < k; ++j) {
      double s = 0;
      for (int d = 0; d < dim; ++d) {
        const double a = x[i * dim + d], b = c[j * dim + d];
        s += inner_product ? a * b : -(a - b) * (a - b);
      }
      if (s > best) best = s, out[i] = static_cast<int64_t>(j);
    }
  }
  return out;
}

}  // namespace autoscale::mixture
