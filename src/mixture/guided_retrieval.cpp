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

void check_inputs(const GuidedRetrievalOptions& o, const std::vector<float>& z, int dim, const ClusterQueries& in,
                  int64_t quota) {
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
}

// The candidates as unit vectors, and where each row sits among them.
struct Candidates {
  size_t count = 0;
  std::vector<float> unit;  // count x dim
  std::unordered_map<int64_t, size_t> position;
};

Candidates unit_candidates(const std::vector<float>& z, int dim, const std::vector<int64_t>& rows) {
  Candidates c;
  c.count = rows.size();
  c.unit.resize(c.count * dim);
  for (size_t i = 0; i < c.count; ++i) {
    unit_row(z, dim, rows[i], "candidate_rows", i, &c.unit[i * dim]);
    AUTOSCALE_CHECK(c.position.emplace(rows[i], i).second, "guided_retrieve: candidate_rows[{}] = {} appears twice", i,
                    rows[i]);
  }
  return c;
}

// Step 1: the queries, the hardest validation scenes first (stable: equal failures keep the
// caller's order), then the centroid; each weighted by its failure.
struct Queries {
  size_t count = 0;
  std::vector<float> unit;     // count x dim
  std::vector<double> weight;  // 1 - PDMS
};

Queries hardest_queries(const GuidedRetrievalOptions& o, const std::vector<float>& z, int dim, const ClusterQueries& in) {
  std::vector<size_t> order(in.val_rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return in.val_pdms[a] < in.val_pdms[b]; });
  order.resize(std::min<size_t>(order.size(), static_cast<size_t>(o.max_queries)));
  Queries q;
  q.count = order.size() + (in.centroid.empty() ? 0 : 1);
  q.unit.resize(q.count * dim);
  q.weight.resize(q.count);
  for (size_t i = 0; i < order.size(); ++i) {
    unit_row(z, dim, in.val_rows[order[i]], "val_rows", order[i], &q.unit[i * dim]);
    q.weight[i] = 1 - in.val_pdms[order[i]];
  }
  if (!in.centroid.empty()) {
    unit_row(in.centroid, dim, 0, "centroid", 0, &q.unit[(q.count - 1) * dim], "centroid");
    q.weight[q.count - 1] = 1 - in.cluster_pdms;
  }
  return q;
}

// Step 4: r(c) over every query, with the similarities step 3 ranks by (query-major).
struct Relevance {
  std::vector<float> sim;  // queries x candidates
  std::vector<double> r;   // per candidate
};

Relevance relevance_to(const Queries& q, const Candidates& cand, int dim, bool parallel) {
  const size_t nc = cand.count;
  Relevance out;
  out.sim.resize(q.count * nc);
  out.r.assign(nc, -std::numeric_limits<double>::infinity());
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t c = 0; c < static_cast<int64_t>(nc); ++c) {
    for (size_t i = 0; i < q.count; ++i) {
      const double s = dot(&cand.unit[c * dim], &q.unit[i * dim], dim);
      out.sim[i * nc + c] = static_cast<float>(s);
      out.r[c] = std::max(out.r[c], q.weight[i] * s);
    }
  }
  return out;
}

// Step 3: which candidates are among the k' nearest of some query (ties: the lower position).
std::vector<char> retrieve_nearest(const Relevance& rel, size_t queries, size_t nc, size_t per_query) {
  std::vector<char> retrieved(nc, 0);
  std::vector<size_t> idx(nc);
  for (size_t q = 0; q < queries; ++q) {
    std::iota(idx.begin(), idx.end(), 0);
    const float* s = &rel.sim[q * nc];
    std::partial_sort(idx.begin(), idx.begin() + per_query, idx.end(),
                      [&](size_t a, size_t b) { return s[a] != s[b] ? s[a] > s[b] : a < b; });
    for (size_t i = 0; i < per_query; ++i) retrieved[idx[i]] = 1;
  }
  return retrieved;
}

// Candidate positions ordered by r, highest first (stable).
void sort_by_relevance(std::vector<size_t>& idx, const std::vector<double>& r) {
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return r[a] > r[b]; });
}

// The greedy selection (steps 5 and 8): the retrieved candidates still open (ascending
// position, so ties go to the lower one) and their largest cosine to what is selected.
class GreedySelection {
 public:
  GreedySelection(const GuidedRetrievalOptions& o, const Candidates& cand, const std::vector<int64_t>& rows,
                  const std::vector<double>& relevance, const std::vector<char>& retrieved, int dim, bool parallel,
                  GuidedSelection& out)
      : o_(o), cand_(cand), rows_(rows), relevance_(relevance), dim_(dim), parallel_(parallel), out_(out),
        closest_(cand.count, -std::numeric_limits<double>::infinity()), taken_(cand.count, 0), dead_(cand.count, 0) {
    for (size_t c = 0; c < cand.count; ++c) {
      if (retrieved[c]) open_.push_back(c);
    }
    out_.candidates = static_cast<int64_t>(open_.size());
  }

  // Step 8: up to `keep` of the previous selection still among the candidates, most relevant
  // first, skipping near-duplicates of those kept.
  void keep_previous(const std::vector<int64_t>& previous, size_t keep) {
    std::vector<size_t> prev;
    std::vector<char> seen(cand_.count, 0);
    for (int64_t row : previous) {
      const auto it = cand_.position.find(row);
      if (it != cand_.position.end() && !seen[it->second]) prev.push_back(it->second), seen[it->second] = 1;
    }
    sort_by_relevance(prev, relevance_);
    std::vector<size_t> kept;
    for (size_t c : prev) {
      if (kept.size() == keep) break;
      // Previous rows need not be among the retrieved, so add() has not judged them: compare
      // with what was kept so far directly.
      bool duplicate = false;
      for (size_t k : kept) duplicate = duplicate || dot(unit(c), unit(k), dim_) > o_.duplicate_cos;
      if (duplicate) continue;
      add(c);
      kept.push_back(c);
    }
    out_.kept = static_cast<int64_t>(kept.size());
  }

  // Step 5: greedy MMR over the open candidates until `want` are selected or none is open. With
  // nothing selected the diversity term is 0, so the first pick is the most relevant candidate.
  void pick_by_mmr(size_t want) {
    while (out_.rows.size() < want && !open_.empty()) {
      size_t best = cand_.count;
      double best_score = -std::numeric_limits<double>::infinity();
      for (size_t c : open_) {
        const double redundancy = out_.rows.empty() ? 0.0 : closest_[c];
        const double score = o_.mmr_lambda * relevance_[c] - (1 - o_.mmr_lambda) * redundancy;
        if (score > best_score) best_score = score, best = c;
      }
      add(best);
    }
  }

  // Candidates ran out: the rest of the cluster at random, near-duplicates included (the quota
  // is worth more than the diversity).
  void fill_randomly(size_t want, uint64_t seed) {
    if (out_.rows.size() >= want) return;
    std::vector<int64_t> rest;
    for (size_t c = 0; c < cand_.count; ++c) {
      if (!taken_[c]) rest.push_back(static_cast<int64_t>(c));
    }
    for (int64_t c : random_subset(rest, static_cast<int64_t>(want - out_.rows.size()), seed)) {
      out_.rows.push_back(rows_[static_cast<size_t>(c)]);
      out_.relevance.push_back(relevance_[static_cast<size_t>(c)]);
      ++out_.filled_randomly;
    }
  }

 private:
  const float* unit(size_t c) const { return &cand_.unit[c * dim_]; }

  // Selects c, then closes the open candidates that are now near-duplicates of the selection.
  void add(size_t c) {
    out_.rows.push_back(rows_[c]);
    out_.relevance.push_back(relevance_[c]);
    taken_[c] = 1;
    const float* zc = unit(c);
    const auto n_open = static_cast<int64_t>(open_.size());
#pragma omp parallel for schedule(static) if (parallel_)
    for (int64_t i = 0; i < n_open; ++i) {
      const size_t j = open_[i];
      if (taken_[j]) continue;
      closest_[j] = std::max(closest_[j], dot(unit(j), zc, dim_));
      if (closest_[j] > o_.duplicate_cos) dead_[j] = 1;  // SemDeDup-style near-duplicate
    }
    open_.erase(std::remove_if(open_.begin(), open_.end(), [&](size_t j) { return taken_[j] || dead_[j]; }),
                open_.end());
  }

  const GuidedRetrievalOptions& o_;
  const Candidates& cand_;
  const std::vector<int64_t>& rows_;
  const std::vector<double>& relevance_;
  const int dim_;
  const bool parallel_;
  GuidedSelection& out_;
  std::vector<size_t> open_;
  std::vector<double> closest_;
  std::vector<char> taken_, dead_;
};

}  // namespace

GuidedSelection guided_retrieve(const GuidedRetrievalOptions& o, const std::vector<float>& z, int dim,
                                const ClusterQueries& in, const std::vector<int64_t>& candidate_rows, int64_t quota,
                                uint64_t seed, const std::vector<int64_t>& previous) {
  check_inputs(o, z, dim, in, quota);
  const Candidates cand = unit_candidates(z, dim, candidate_rows);
  const Queries queries = hardest_queries(o, z, dim, in);
  const size_t nc = cand.count, nq = queries.count;

  GuidedSelection out;
  out.queries = static_cast<int64_t>(nq);
  const size_t want = std::min<size_t>(static_cast<size_t>(quota), nc);
  if (want == 0) return out;
  AUTOSCALE_CHECK(nq > 0, "guided_retrieve: no query: give validation rows (val_rows) or the centroid");

  // Threads only for large clusters: the greedy loop opens one parallel region per pick.
  const bool parallel = nc * static_cast<size_t>(dim) >= (size_t{1} << 18);
  const Relevance rel = relevance_to(queries, cand, dim, parallel);
  if (want == nc) {  // the quota takes the whole cluster: selection can only change the order
    std::vector<size_t> all(nc);
    std::iota(all.begin(), all.end(), 0);
    sort_by_relevance(all, rel.r);
    for (size_t c : all) out.rows.push_back(candidate_rows[c]), out.relevance.push_back(rel.r[c]);
    out.candidates = static_cast<int64_t>(nc);
    return out;
  }

  const size_t per_query = std::min<size_t>(
      nc, static_cast<size_t>(std::ceil(o.candidate_factor * static_cast<double>(want) / static_cast<double>(nq))));
  GreedySelection selection(o, cand, candidate_rows, rel.r, retrieve_nearest(rel, nq, nc, per_query), dim, parallel,
                            out);
  const auto keep = static_cast<size_t>(std::floor(o.keep_fraction * static_cast<double>(want) + 1e-9));
  if (keep > 0) selection.keep_previous(previous, keep);
  selection.pick_by_mmr(want);
  selection.fill_randomly(want, seed);
  return out;
}

}  // namespace autoscale::mixture
