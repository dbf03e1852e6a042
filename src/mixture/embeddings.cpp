#include "autoscale/mixture/embeddings.h"

#include <fmt/format.h>

#include <cmath>
#include <mutex>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/mixture/kmeans.h"
#include "autoscale/store/features.h"
#include "autoscale/store/h5.h"

namespace autoscale::mixture {

void write_embeddings(const std::string& path, const Embeddings& e) {
  AUTOSCALE_CHECK(e.z.size() == e.size() * static_cast<size_t>(e.dim), "embeddings: {} values for {} x {}",
                  e.z.size(), e.size(), e.dim);
  AtomicFile out(path);
  {
    std::lock_guard<std::mutex> lock(scene::h5::global_mutex());
    auto f = scene::h5::File::create(out.temp_path());
    f.write_attr("format", std::string("autoscale-embeddings"));
    f.write_attr("schema_version", int64_t{1});
    f.write_attr("embedding", e.method);
    f.write("token", e.tokens, 4);
    f.write("log", e.logs, 4);
    f.write("source_log", e.source_logs, 4);
    f.write("domain", e.domains, 4);
    f.write("z", e.z, static_cast<size_t>(e.dim), 0);
    if (!e.assignment.empty()) {
      f.write("cluster/assignment", e.assignment, 4);
      f.write("cluster/similarity", e.similarity, 1, 0);
      f.write("cluster/centroids", e.centroids, static_cast<size_t>(e.dim), 0);
    }
    f.close();  // a failed write (full disk) throws here, naming the file, before anything is published
  }
  out.commit();
}

Embeddings read_embeddings(const std::string& path) {
  // The file is the context: HDF5's own errors already start with it, so it is named once.
  return with_context(path, [&] {
    std::lock_guard<std::mutex> lock(scene::h5::global_mutex());
    const auto f = scene::h5::File::open(path);
    AUTOSCALE_CHECK(f.has_attr("format") && f.read_attr_str("format") == "autoscale-embeddings",
                    "not an autoscale embeddings file");
    Embeddings e;
    e.method = f.read_attr_str("embedding");
    e.tokens = f.read_str("token");
    e.logs = f.read_str("log");
    e.source_logs = f.read_str("source_log");
    e.domains = f.read_u8("domain");
    e.dim = static_cast<int>(f.columns("z"));
    e.z = f.read_f32("z", static_cast<size_t>(e.dim));
    AUTOSCALE_CHECK(e.z.size() == e.size() * e.dim && e.logs.size() == e.size() && e.domains.size() == e.size(),
                    "columns differ in length");
    if (f.exists("cluster/assignment")) {
      e.assignment = f.read_i64("cluster/assignment");
      e.similarity = f.read_f32("cluster/similarity", 1);
      e.centroids = f.read_f32("cluster/centroids", static_cast<size_t>(e.dim));
    }
    return e;
  });
}

Embeddings descriptor_embeddings(const std::vector<const scene::SceneStore*>& stores,
                                 std::vector<std::vector<float>>* standardised) {
  Embeddings e;
  e.method = "descriptor";
  e.dim = static_cast<int>(scene::descriptor_names().size());
  for (const auto* store : stores) {
    store->for_each([&](const scene::Scene& s) {
      const auto d = scene::scene_descriptor(s, *store->map(s.map_id));
      for (size_t j = 0; j < d.size(); ++j) {
        AUTOSCALE_CHECK(std::isfinite(d[j]), "scene {}: descriptor {} is {}", s.token, scene::descriptor_names()[j], d[j]);
      }
      e.tokens.push_back(s.token);
      e.logs.push_back(s.log);
      e.source_logs.push_back(s.source_log);
      e.domains.push_back(static_cast<uint8_t>(s.domain));
      e.z.insert(e.z.end(), d.begin(), d.end());
    });
  }
  AUTOSCALE_CHECK(!e.tokens.empty(), "no scenes to embed");
  // Standardise each dimension (constant ones stay 0), then project onto the unit sphere.
  const size_t n = e.size();
  for (int j = 0; j < e.dim; ++j) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; ++i) mean += e.z[i * e.dim + j];
    mean /= n;
    for (size_t i = 0; i < n; ++i) var += (e.z[i * e.dim + j] - mean) * (e.z[i * e.dim + j] - mean);
    const double sd = std::sqrt(var / n);
    for (size_t i = 0; i < n; ++i) e.z[i * e.dim + j] = sd > 1e-12 ? float((e.z[i * e.dim + j] - mean) / sd) : 0.f;
  }
  if (standardised) {
    standardised->clear();
    for (size_t i = 0; i < n; ++i) standardised->emplace_back(e.z.begin() + i * e.dim, e.z.begin() + (i + 1) * e.dim);
  }
  l2_normalize_rows(e.z, e.dim);
  return e;
}

std::string cluster_report(const Embeddings& e) {
  if (e.assignment.empty()) return "not clustered\n";
  std::vector<size_t> real(e.clusters(), 0), synthetic(e.clusters(), 0);
  for (size_t i = 0; i < e.size(); ++i) (e.domains[i] ? synthetic : real)[e.assignment[i]]++;
  std::string out = fmt::format("{} clusters of {} scenes ({} embedding, {} dims)\n", e.clusters(), e.size(), e.method,
                                e.dim);
  out += "cluster     real  synthetic  note\n";
  for (int k = 0; k < e.clusters(); ++k) {
    const size_t total = real[k] + synthetic[k];
    const bool one_domain = total > 0 && (real[k] * 100 >= total * 95 || synthetic[k] * 100 >= total * 95);
    out += fmt::format("{:>7} {:>8} {:>10}  {}\n", k, real[k], synthetic[k],
                       total == 0 ? "empty" : (one_domain ? ">= 95% one domain" : ""));
  }
  return out;
}

}  // namespace autoscale::mixture
