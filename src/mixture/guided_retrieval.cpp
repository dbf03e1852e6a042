#include "autoscale/mixture/guided_retrieval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "autoscale/core/error.h"
#include "autoscale/mixture/baselines.h"

namespace autoscale::mixture {

void GuidedRetrievalOptions::visit(ConfigVisitor& v) {
  v.field("max_queries", max_queries, "hardest real validation scenes used as queries per cluster [scenes]",
          at_least(0));
  v.field("candidate_factor", candidate_factor, "candidates retrieved per query = factor * quota / queries",
          positive());
  v.field("mmr_lambda", mmr_lambda, "MMR weight of relevance against diversity", in_range(0, 1));
  v.field("duplicate_cos", duplicate_cos, "cosine above which a candidate is a near-duplicate of a selected scene",
          in_range(-1, 1));
  v.field("keep_fraction", keep_fraction,
          "cumulative mode: share of the quota kept from the previous selection, most relevant first; 0 = off",
          in_range(0, 1));
}

namespace {

void check_options(const GuidedRetrievalOptions& o) {
  AUTOSCALE_CHECK(o.max_queries >= 0, "guided_retrieve: max_queries = {}: expected a count >= 0", o.max_queries);
  AUTOSCALE_CHECK(std::isfinite(o.candidate_factor) && o.candidate_factor > 0,
                  "guided_retrieve: candidate_factor = {}: expected a positive number", o.candidate_factor);
  AUTOSCALE_CHECK(o.mmr_lambda >= 0 && o.mmr_lambda <= 1, "guided_retrieve: mmr_lambda = {}: expected a number in [0, 1]",
                  o.mmr_lambda);
  AUTOSCALE_CHECK(o.duplicate_cos >= -1 && o.duplicate_cos <= 1,
                  "guided_retrieve: duplicate_cos = {}: expected a number in [-1, 1]", o.duplicate_cos);
  AUTOSCALE_CHECK(o.keep_fraction >= 0 && o.keep_fraction <= 1,
                  "guided_retrieve: keep_fraction = {}: expected a number in [0, 1]", o.keep_fraction);
}

// Row `row` of z as a unit vector (a zero row stays zero: cosine 0 with everything).
void unit_row(const std::vector<float>& z, int dim, int64_t row, const char* field, size_t index, float* out,
              const char* matrix = "z") {
  const int64_t n = static_cast<int64_t>(z.size() / dim);
  AUTOSCALE_CHECK(row >= 0 && row < n, "guided_retrieve: {}[{}] = {}: expected a row of z in 0..{}", field, index, row,
                  n - 1);
  double sq = 0;
  for (int j = 0; j < dim; ++j) {
    const float v = z[row * dim + j];
    AUTOSCALE_CHECK(std::isfinite(v), "guided_retrieve: {} row {} column {} is {}", matrix, row, j, v);
    sq += double(v) * v;
  }
  const double inv = sq > 0 ? 1.0 / std::sqrt(sq) : 0.0;
  for (int j = 0; j < dim; ++j) out[j] = static_cast<float>(z[row * dim + j] * inv);
}

double dot(const float* a, const float* b, int dim) {
  double s = 0;
  for (int j = 0; j < dim; ++j) s += double(a[j]) * b[j];
  return s;
}

}  // namespace

GuidedSelection guided_retrieve(const GuidedRetrievalOptions& o, const std::vector<float>& z, int dim,
                                const ClusterQueries& in, const std::vector<int64_t>& candidate_rows, int64_t quota,
                                uint64_t seed, const std::vector<int64_t>& previous) {
  check_options(o);
  AUTOSCALE_CHECK(dim > 0, "guided_retrieve: dim = {}: expected a positive number", dim);
  AUTOSCALE_CHECK(z.size() % dim == 0, "guided_retrieve: z has {} values, not rows of dim = {}", z.size(), dim);
  AUTOSCALE_CHECK(quota >= 0, "guided_retrieve: quota = {}: expected a count >= 0", quota);
  AUTOSCALE_CHECK(in.val_pdms.size() == in.val_rows.size(), "guided_retrieve: {} val_pdms for {} val_rows",
                  in.val_pdms.size(), in.val_rows.size());
  for (size_t i = 0; i < in.val_pdms.size(); ++i) {
    AUTOSCALE_CHECK(in.val_pdms[i] >= 0 && in.val_pdms[i] <= 1,
                    "guided_retrieve: val_pdms[{}] = {}: expected a PDMS in [0, 1]", i, in.val_pdms[i]);
  }
  AUTOSCALE_CHECK(in.cluster_pdms >= 0 && in.cluster_pdms <= 1,
                  "guided_retrieve: cluster_pdms = {}: expected a PDMS in [0, 1]", in.cluster_pdms);
  AUTOSCALE_CHECK(in.centroid.empty() || in.centroid.size() == static_cast<size_t>(dim),
                  "guided_retrieve: centroid has {} values for dim = {}", in.centroid.size(), dim);

  // Candidates as unit vectors, and where each row sits among them.
  const size_t nc = candidate_rows.size();
  std::vector<float> cand(nc * dim);
  std::unordered_map<int64_t, size_t> position;
  for (size_t i = 0; i < nc; ++i) {
    unit_row(z, dim, candidate_rows[i], "candidate_rows", i, &cand[i * dim]);
    AUTOSCALE_CHECK(position.emplace(candidate_rows[i], i).second,
                    "guided_retrieve: candidate_rows[{}] = {} appears twice", i, candidate_rows[i]);
  }

  // Step 1: the hardest validation scenes first (stable: equal failures keep the caller's order).
  std::vector<size_t> order(in.val_rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return in.val_pdms[a] < in.val_pdms[b]; });
  order.resize(std::min<size_t>(order.size(), static_cast<size_t>(o.max_queries)));
  const size_t nq = order.size() + (in.centroid.empty() ? 0 : 1);
  std::vector<float> query(nq * dim);
  std::vector<double> weight(nq);
  for (size_t q = 0; q < order.size(); ++q) {
    unit_row(z, dim, in.val_rows[order[q]], "val_rows", order[q], &query[q * dim]);
    weight[q] = 1 - in.val_pdms[order[q]];
  }
  if (!in.centroid.empty()) {
    unit_row(in.centroid, dim, 0, "centroid", 0, &query[(nq - 1) * dim], "centroid");
    weight[nq - 1] = 1 - in.cluster_pdms;
  }

  GuidedSelection out;
  out.queries = static_cast<int64_t>(nq);
  const size_t want = std::min<size_t>(static_cast<size_t>(quota), nc);
  if (want == 0) return out;
  AUTOSCALE_CHECK(nq > 0, "guided_retrieve: no query: give validation rows (val_rows) or the centroid");

  // Step 4 (r over every query), with the similarities step 3 ranks by.
  std::vector<float> sim(nq * nc);
  std::vector<double> relevance(nc, -std::numeric_limits<double>::infinity());
  // Threads only for large clusters: the greedy loop opens one parallel region per pick.
  const bool parallel = nc * static_cast<size_t>(dim) >= (size_t{1} << 18);
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t c = 0; c < static_cast<int64_t>(nc); ++c) {
    for (size_t q = 0; q < nq; ++q) {
      const double s = dot(&cand[c * dim], &query[q * dim], dim);
      sim[q * nc + c] = static_cast<float>(s);
      relevance[c] = std::max(relevance[c], weight[q] * s);
    }
  }
  auto by_relevance = [&](std::vector<size_t>& idx) {
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return relevance[a] > relevance[b]; });
  };
  auto select = [&](size_t c) {
    out.rows.push_back(candidate_rows[c]);
    out.relevance.push_back(relevance[c]);
  };

  if (want == nc) {  // the quota takes the whole cluster: selection can only change the order
    std::vector<size_t> all(nc);
    std::iota(all.begin(), all.end(), 0);
    by_relevance(all);
    for (size_t c : all) select(c);
    out.candidates = static_cast<int64_t>(nc);
    return out;
  }

  // Step 3: k' nearest candidates of each query (ties: the lower candidate position).
  const size_t per_query = std::min<size_t>(
      nc, static_cast<size_t>(std::ceil(o.candidate_factor * static_cast<double>(want) / static_cast<double>(nq))));
  std::vector<char> retrieved(nc, 0);
  std::vector<size_t> idx(nc);
  for (size_t q = 0; q < nq; ++q) {
    std::iota(idx.begin(), idx.end(), 0);
    const float* s = &sim[q * nc];
    std::partial_sort(idx.begin(), idx.begin() + per_query, idx.end(),
                      [&](size_t a, size_t b) { return s[a] != s[b] ? s[a] > s[b] : a < b; });
    for (size_t i = 0; i < per_query; ++i) retrieved[idx[i]] = 1;
  }

  // State of the greedy selection: the retrieved candidates still open (ascending position, so
  // ties go to the lower one) and their largest cosine to the selection.
  std::vector<size_t> open;
  for (size_t c = 0; c < nc; ++c) {
    if (retrieved[c]) open.push_back(c);
  }
  out.candidates = static_cast<int64_t>(open.size());
  std::vector<double> closest(nc, -std::numeric_limits<double>::infinity());
  std::vector<char> taken(nc, 0), dead(nc, 0);
  auto add = [&](size_t c) {
    select(c);
    taken[c] = 1;
    const float* zc = &cand[c * dim];
    const auto n_open = static_cast<int64_t>(open.size());
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t i = 0; i < n_open; ++i) {
      const size_t j = open[i];
      if (taken[j]) continue;
      closest[j] = std::max(closest[j], dot(&cand[j * dim], zc, dim));
      if (closest[j] > o.duplicate_cos) dead[j] = 1;  // SemDeDup-style near-duplicate
    }
    open.erase(std::remove_if(open.begin(), open.end(), [&](size_t j) { return taken[j] || dead[j]; }), open.end());
  };

  // Step 8: keep the most relevant of the previous selection that are still candidates.
  const auto keep = static_cast<size_t>(std::floor(o.keep_fraction * static_cast<double>(want) + 1e-9));
  if (keep > 0) {
    std::vector<size_t> prev;
    std::vector<char> seen(nc, 0);
    for (int64_t row : previous) {
      const auto it = position.find(row);
      if (it != position.end() && !seen[it->second]) prev.push_back(it->second), seen[it->second] = 1;
    }
    by_relevance(prev);
    std::vector<size_t> kept;
    for (size_t c : prev) {
      if (kept.size() == keep) break;
      // Previous rows need not be among the retrieved, so add() has not judged them: compare
      // with what was kept so far directly.
      bool duplicate = false;
      for (size_t k : kept) duplicate = duplicate || dot(&cand[c * dim], &cand[k * dim], dim) > o.duplicate_cos;
      if (duplicate) continue;
      add(c);
      kept.push_back(c);
    }
    out.kept = static_cast<int64_t>(kept.size());
  }

  // Step 5: greedy MMR over the retrieved candidates. With nothing selected the diversity term
  // is 0, so the first pick is the most relevant candidate.
  while (out.rows.size() < want && !open.empty()) {
    size_t best = nc;
    double best_score = -std::numeric_limits<double>::infinity();
    for (size_t c : open) {
      const double redundancy = out.rows.empty() ? 0.0 : closest[c];
      const double score = o.mmr_lambda * relevance[c] - (1 - o.mmr_lambda) * redundancy;
      if (score > best_score) best_score = score, best = c;
    }
    add(best);
  }

  // Candidates ran out: the rest of the cluster at random, near-duplicates included (the quota
  // is worth more than the diversity).
  if (out.rows.size() < want) {
    std::vector<int64_t> rest;
    for (size_t c = 0; c < nc; ++c) {
      if (!taken[c]) rest.push_back(static_cast<int64_t>(c));
    }
    for (int64_t c : random_subset(rest, static_cast<int64_t>(want - out.rows.size()), seed)) {
      select(static_cast<size_t>(c));
      ++out.filled_randomly;
    }
  }
  return out;
}

}  // namespace autoscale::mixture
