// Scene embeddings on disk (HDF5, beside the store): one unit-norm row per scene token, with
// the scene's log, source log and domain for splits and leakage guards, and, once clustered,
// the assignment and centroids.
//
//   EMB.h5  attrs format = "autoscale-embeddings", schema_version = 1, embedding = "descriptor" | ...
//     /token, /log, /source_log (str, N)   /domain (uint8, N)   /z (float32, N x D)
//     /cluster/assignment (int64, N)   /cluster/similarity (float32, N)   /cluster/centroids (float32, K x D)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autoscale/store/store.h"

namespace autoscale::mixture {

struct Embeddings {
  std::string method;  // how z was made ("descriptor", later "graph_rae")
  int dim = 0;
  std::vector<std::string> tokens, logs, source_logs;
  std::vector<uint8_t> domains;
  std::vector<float> z;  // size() x dim, unit rows
  // Filled by clustering (empty before).
  std::vector<int64_t> assignment;
  std::vector<float> similarity;
  std::vector<float> centroids;

  size_t size() const { return tokens.size(); }
  int clusters() const { return dim ? static_cast<int>(centroids.size() / dim) : 0; }
};

void write_embeddings(const std::string& path, const Embeddings& e);  // atomic
Embeddings read_embeddings(const std::string& path);                   // Error names file and dataset

// The hand-made descriptor of every scene of the stores, standardised per dimension over all of
// them and L2-normalised: the baseline embedding the Graph-RAE has to beat. `standardised`, when
// given, receives the standardised descriptors before the normalisation (the Graph-RAE's
// reconstruction target), one per scene in the same order.
Embeddings descriptor_embeddings(const std::vector<const scene::SceneStore*>& stores,
                                 std::vector<std::vector<float>>* standardised = nullptr);

// Per-cluster composition: real and synthetic counts; clusters >= 95% one domain are flagged.
std::string cluster_report(const Embeddings& e);

}  // namespace autoscale::mixture
