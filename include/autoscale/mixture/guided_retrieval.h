// Cluster-guided retrieval (mixture-design 4.5, steps 1-5 and 8): which synthetic scenes of one
// cluster fill its quota n_k. Queries are the cluster's worst-driven real validation scenes and
// its centroid; candidates near them are scored by failure-weighted similarity and picked by
// greedy MMR, so the quota goes to scenes like the failures without spending it on near-copies.
//
//   Q      = top m = min(max_queries, |V_k|) validation rows by 1 − PDMS, plus the centroid μ_k
//   w_q    = 1 − PDMS_q  (centroid: 1 − P_k)
//   k'     = ⌈candidate_factor · n_k / |Q|⌉ nearest candidates per query (exact cosine)
//   r(c)   = max_{q∈Q} w_q cos(z_c, z_q)
//   pick   argmax_c λ r(c) − (1 − λ) max_{s∈S} cos(z_c, z_s), skipping c with cos > duplicate_cos
//          to a selected s; when the retrieved candidates run out, the rest of the cluster's rows
//          fill the quota at random (seeded).
//
// Plain inputs, no index files: the caller passes the embedding matrix and the cluster's
// synthetic rows, already filtered by the leakage guard (step 6) and any quality gate (step 7).
#pragma once

#include <cstdint>
#include <vector>

#include "autoscale/core/config.h"

namespace autoscale::mixture {

struct GuidedRetrievalOptions {
  int64_t max_queries = 64;     // m: validation scenes used as queries, hardest first
  double candidate_factor = 3;  // candidates retrieved per query = ⌈factor · n_k / |Q|⌉
  double mmr_lambda = 0.7;      // λ: relevance against diversity
  double duplicate_cos = 0.98;  // a candidate this close to a selected scene is a near-duplicate
  // Cumulative mode (step 8): up to this share of n_k is kept from the previous selection,
  // highest r first, so consecutive iterations change only their least relevant scenes. 0 = off.
  double keep_fraction = 0;

  void visit(ConfigVisitor& v);
};

// The real side of one cluster. At t = 0 (no scores yet) pass no validation rows and
// cluster_pdms = 0: the centroid is then the only query, with weight 1.
struct ClusterQueries {
  std::vector<int64_t> val_rows;  // real validation scenes of the cluster, rows of z
  std::vector<double> val_pdms;   // their PDMS in [0, 1], same order
  std::vector<float> centroid;    // μ_k, dim values; empty = no centroid query
  double cluster_pdms = 0;        // P_k in [0, 1]
};

struct GuidedSelection {
  std::vector<int64_t> rows;       // selected synthetic rows (of z), in selection order
  std::vector<double> relevance;   // r(c) of each selected row
  int64_t queries = 0;             // |Q|
  int64_t candidates = 0;          // distinct candidates retrieved by the queries
  int64_t kept = 0;                // taken over from `previous` (cumulative mode)
  int64_t filled_randomly = 0;     // the last rows, drawn at random once candidates ran out
};

// Selects min(quota, |candidate_rows|) distinct rows of candidate_rows. z: row-major embeddings,
// dim values per row (cosines are computed, so rows need not be unit-norm). previous: the
// cluster's selection of the last iteration (cumulative mode); rows no longer among the
// candidates are ignored. When the quota takes every candidate, all are returned, by r.
// Throws Error naming the field and value for rows out of range, repeated candidates, PDMS
// outside [0, 1], a centroid of the wrong size, or no query at all.
GuidedSelection guided_retrieve(const GuidedRetrievalOptions& options, const std::vector<float>& z, int dim,
                                const ClusterQueries& queries, const std::vector<int64_t>& candidate_rows,
                                int64_t quota, uint64_t seed, const std::vector<int64_t>& previous = {});

}  // namespace autoscale::mixture
