#include "autoscale/mixture/retrieval.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/store/h5.h"

namespace fs = std::filesystem;

namespace autoscale::mixture {
namespace {

std::vector<float> rows_of(const Embeddings& e, const std::vector<int64_t>& rows) {
  std::vector<float> out;
  out.reserve(rows.size() * e.dim);
  for (int64_t r : rows) out.insert(out.end(), e.z.begin() + r * e.dim, e.z.begin() + (r + 1) * e.dim);
  return out;
}

std::string cluster_file(int k) { return fmt::format("cluster-{:04d}.faiss", k); }

}  // namespace

void RetrievalIndex::build(const Embeddings& e, const IndexParams& params, const std::string& dir) {
  std::vector<int64_t> global;
  std::vector<std::vector<int64_t>> per_cluster(e.clusters());
  for (size_t i = 0; i < e.size(); ++i) {
    if (e.domains[i] != 1) continue;  // only synthetic scenes are retrieved
    global.push_back(static_cast<int64_t>(i));
    if (!e.assignment.empty()) per_cluster[e.assignment[i]].push_back(static_cast<int64_t>(i));
  }
  AUTOSCALE_CHECK(!global.empty(), "index: the embeddings hold no synthetic scene to retrieve");
  fs::create_directories(dir);
  VectorIndex::build(rows_of(e, global), e.dim, params).save((fs::path(dir) / "global.faiss").string());
  for (int k = 0; k < e.clusters(); ++k) {
    if (per_cluster[k].empty()) continue;
    VectorIndex::build(rows_of(e, per_cluster[k]), e.dim, params).save((fs::path(dir) / cluster_file(k)).string());
  }
  AtomicFile out((fs::path(dir) / "rows.h5").string());
  {
    std::lock_guard<std::mutex> lock(scene::h5::global_mutex());
    auto f = scene::h5::File::create(out.temp_path());
    f.write_attr("format", std::string("autoscale-retrieval"));
    f.write_attr("clusters", static_cast<int64_t>(e.clusters()));
    f.write("global", global, 4);
    for (int k = 0; k < e.clusters(); ++k) f.write(fmt::format("cluster/{:04d}", k), per_cluster[k], 4);
    f.close();  // a failed write throws here, naming the file, before rows.h5 is published
  }
  out.commit();  // written last: the directory is complete once rows.h5 exists
}

RetrievalIndex RetrievalIndex::load(const std::string& dir) {
  return with_context("retrieval index " + quote(dir), [&] {
    RetrievalIndex r;
    int64_t clusters = 0;
    {
      std::lock_guard<std::mutex> lock(scene::h5::global_mutex());
      const auto f = scene::h5::File::open((fs::path(dir) / "rows.h5").string());
      AUTOSCALE_CHECK(f.has_attr("format") && f.read_attr_str("format") == "autoscale-retrieval",
                      "rows.h5 is not a retrieval index");
      clusters = f.read_attr_i64("clusters");
      r.global_rows_ = f.read_i64("global");
      for (int64_t k = 0; k < clusters; ++k) r.cluster_rows_.push_back(f.read_i64(fmt::format("cluster/{:04d}", k)));
    }
    r.global_ = VectorIndex::load((fs::path(dir) / "global.faiss").string());
    r.cluster_.resize(clusters);
    for (int64_t k = 0; k < clusters; ++k) {
      if (!r.cluster_rows_[k].empty()) r.cluster_[k] = VectorIndex::load((fs::path(dir) / cluster_file(static_cast<int>(k))).string());
    }
    return r;
  });
}

std::vector<Hit> RetrievalIndex::search(const std::vector<float>& query, int k, int cluster,
                                        const std::set<std::string>& excluded, const Embeddings& e) const {
  AUTOSCALE_CHECK(cluster >= -1 && cluster < clusters(), "retrieve: cluster {} (index has {})", cluster, clusters());
  const VectorIndex& index = cluster < 0 ? global_ : cluster_[cluster];
  const std::vector<int64_t>& rows = cluster < 0 ? global_rows_ : cluster_rows_[cluster];
  std::vector<Hit> hits;
  if (rows.empty()) return hits;
  // Excluded logs are filtered after the search: fetch more until enough remain.
  for (int64_t want = k; hits.size() < static_cast<size_t>(k); want *= 4) {
    const int fetch = static_cast<int>(std::min<int64_t>(want, static_cast<int64_t>(rows.size())));
    std::vector<int64_t> ids;
    std::vector<float> scores;
    index.search(query, fetch, &ids, &scores);
    hits.clear();
    for (size_t j = 0; j < ids.size() && hits.size() < static_cast<size_t>(k); ++j) {
      if (ids[j] < 0) continue;
      const int64_t row = rows[ids[j]];
      if (excluded.count(e.source_logs[row]) || excluded.count(e.logs[row])) continue;
      hits.push_back({row, scores[j]});
    }
    if (fetch == static_cast<int>(rows.size())) break;  // everything has been seen
  }
  return hits;
}

}  // namespace autoscale::mixture
