#include "autoscale/mixture/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "autoscale/mixture/vector_index.h"

namespace autoscale::mixture {
namespace {

double dot(const Embeddings& e, size_t a, size_t b) {
  double s = 0;
  for (int d = 0; d < e.dim; ++d) s += double(e.z[a * e.dim + d]) * e.z[b * e.dim + d];
  return s;
}

}  // namespace

EmbeddingReport embedding_report(const Embeddings& e, int k, size_t max_sample, uint64_t seed) {
  EmbeddingReport r;
  r.k = std::min<int>(k, static_cast<int>(e.size()) - 1);
  const size_t n = e.size();
  if (r.k >= 1) {
    IndexParams flat;
    flat.kind = "flat";
    const auto index = VectorIndex::build(e.z, e.dim, flat);
    std::vector<int64_t> ids;
    std::vector<float> scores;
    index.search(e.z, r.k + 1, &ids, &scores);
    size_t same = 0, total = 0;
    for (size_t i = 0; i < n; ++i) {
      int taken = 0;  // k neighbours other than the scene itself
      for (int j = 0; j <= r.k && taken < r.k; ++j) {
        const int64_t nb = ids[i * (r.k + 1) + j];
        if (nb < 0 || static_cast<size_t>(nb) == i) continue;
        same += e.logs[nb] == e.logs[i];
        ++taken;
        ++total;
      }
    }
    r.same_log_recall = total ? double(same) / total : 0.0;
  }
  std::string text = fmt::format("embedding        {} ({} scenes, {} dims)\n", e.method, n, e.dim);
  text += fmt::format("same-log recall  {:.3f} of the {} nearest neighbours share the scene's log\n", r.same_log_recall,
                      r.k);
  if (!e.assignment.empty() && e.clusters() > 1) {
    // Cosine silhouette on a seeded sample: (b - a) / max(a, b) with a = mean distance within the
    // own cluster, b = the smallest mean distance to another cluster.
    std::vector<size_t> rows(n);
    std::iota(rows.begin(), rows.end(), 0);
    std::mt19937_64 rng(seed);
    std::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(std::min(n, max_sample));
    const int K = e.clusters();
    double sum = 0;
    size_t counted = 0;
    for (size_t a : rows) {
      std::vector<double> dist(K, 0.0);
      std::vector<size_t> cnt(K, 0);
      for (size_t b : rows) {
        if (a == b) continue;
        dist[e.assignment[b]] += 1.0 - dot(e, a, b);
        cnt[e.assignment[b]]++;
      }
      const int own = static_cast<int>(e.assignment[a]);
      if (cnt[own] == 0) continue;  // a singleton: silhouette 0 by convention, left out
      const double in = dist[own] / cnt[own];
      double out = INFINITY;
      for (int c = 0; c < K; ++c) {
        if (c != own && cnt[c]) out = std::min(out, dist[c] / cnt[c]);
      }
      if (!std::isfinite(out)) continue;
      sum += (out - in) / std::max(in, out);
      ++counted;
    }
    r.silhouette = counted ? sum / counted : 0.0;
    r.silhouette_sample = rows.size();
    text += fmt::format("silhouette       {:.3f} (cosine, {} sampled scenes)\n", r.silhouette, r.silhouette_sample);
    // Three exemplars per cluster: the scenes nearest its centroid.
    text += "exemplars        (nearest to each centroid)\n";
    for (int c = 0; c < K; ++c) {
      std::vector<std::pair<float, size_t>> members;
      for (size_t i = 0; i < n; ++i) {
        if (e.assignment[i] == c) members.push_back({-e.similarity[i], i});
      }
      std::sort(members.begin(), members.end());
      std::string names;
      for (size_t j = 0; j < members.size() && j < 3; ++j) names += (j ? ", " : "") + e.tokens[members[j].second];
      text += fmt::format("  {:>4}  {}\n", c, names.empty() ? "-" : names);
    }
  }
  r.text = text;
  return r;
}

}  // namespace autoscale::mixture
