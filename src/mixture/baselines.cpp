#include "autoscale/mixture/baselines.h"

#include <faiss/IndexFlat.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "autoscale/core/error.h"

namespace autoscale::mixture {
namespace {

// std::uniform_*_distribution differ between standard libraries; mt19937_64's raw output does
// not, so a seed gives the same selection everywhere.
uint64_t below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t x;
  do x = rng();
  while (x >= limit);
  return x % n;
}
double open_unit(std::mt19937_64& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }  // (0, 1)

size_t rows(const std::vector<float>& z, int dim, const char* fn, const char* name) {
  AUTOSCALE_CHECK(dim > 0, "{}: dim = {}: expected a positive number", fn, dim);
  AUTOSCALE_CHECK(z.size() % dim == 0, "{}: {} has {} values, not rows of dim = {}", fn, name, z.size(), dim);
  for (size_t i = 0; i < z.size(); ++i) {
    AUTOSCALE_CHECK(std::isfinite(z[i]), "{}: {} row {} column {} is {}", fn, name, i / dim, i % dim, z[i]);
  }
  return z.size() / dim;
}

// Indices 0..n-1 ordered by `score` (highest first); equal scores in the order of `tie`.
std::vector<int64_t> top_n(const std::vector<double>& score, const std::vector<uint64_t>& tie, int64_t n) {
  std::vector<int64_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  const auto m = std::min<size_t>(static_cast<size_t>(n), order.size());
  std::partial_sort(order.begin(), order.begin() + m, order.end(), [&](int64_t a, int64_t b) {
    if (score[a] != score[b]) return score[a] > score[b];
    return tie[a] != tie[b] ? tie[a] < tie[b] : a < b;
  });
  order.resize(m);
  return order;
}

// Squared L2 distance to the k-th nearest row of `base` for every row of `query` (exact, FAISS).
// skip_self: query == base; the query row itself is not its own neighbour.
std::vector<double> kth_distance(const std::vector<float>& base, const std::vector<float>& query, int dim, int k,
                                 bool skip_self) {
  faiss::IndexFlatL2 index(dim);
  index.add(static_cast<int64_t>(base.size() / dim), base.data());
  const int64_t nq = static_cast<int64_t>(query.size() / dim);
  const int fetch = k + (skip_self ? 1 : 0);
  std::vector<float> d2(static_cast<size_t>(nq) * fetch);
  std::vector<faiss::Index::idx_t> ids(d2.size());
  index.search(nq, query.data(), fetch, d2.data(), ids.data());
  std::vector<double> out(nq);
  for (int64_t i = 0; i < nq; ++i) {
    const float* d = &d2[i * fetch];
    const faiss::Index::idx_t* id = &ids[i * fetch];
    int pos = k - 1;
    if (skip_self) {
      // Among duplicates the row itself need not come first; drop it wherever it is (or the last
      // hit when exact ties pushed it out: the distances are equal then).
      const int self = static_cast<int>(std::find(id, id + fetch, static_cast<faiss::Index::idx_t>(i)) - id);
      pos = self <= k - 1 ? k : k - 1;
    }
    out[i] = std::max(0.0f, d[pos]);
  }
  return out;
}

}  // namespace

std::vector<int64_t> random_subset(const std::vector<int64_t>& pool_rows, int64_t n, uint64_t seed) {
  AUTOSCALE_CHECK(n >= 0, "random_subset: n = {}: expected a count >= 0", n);
  std::vector<int64_t> rows = pool_rows;
  const size_t m = std::min<size_t>(static_cast<size_t>(n), rows.size());
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < m; ++i) std::swap(rows[i], rows[i + below(rng, rows.size() - i)]);  // partial Fisher-Yates
  rows.resize(m);
  return rows;
}

std::vector<double> stratified_weights(int64_t clusters) {
  AUTOSCALE_CHECK(clusters >= 1, "stratified_weights: clusters = {}: expected at least 1", clusters);
  return std::vector<double>(static_cast<size_t>(clusters), 1.0 / static_cast<double>(clusters));
}

std::vector<double> importance_log_weights(const std::vector<float>& real_z, const std::vector<float>& syn_z, int dim,
                                           int k) {
  const char* fn = "importance_resample";
  const size_t n_real = rows(real_z, dim, fn, "real_z"), n_syn = rows(syn_z, dim, fn, "syn_z");
  AUTOSCALE_CHECK(k >= 1, "{}: k = {}: expected at least 1", fn, k);
  AUTOSCALE_CHECK(n_real >= 1, "{}: real_z has no rows", fn);
  AUTOSCALE_CHECK(n_syn >= 1, "{}: syn_z has no rows", fn);
  const int kr = static_cast<int>(std::min<size_t>(k, n_real));
  const int ks = static_cast<int>(std::min<size_t>(k, n_syn - 1));
  const auto real_d2 = kth_distance(real_z, syn_z, dim, kr, false);
  const std::vector<double> syn_d2 = ks > 0 ? kth_distance(syn_z, syn_z, dim, ks, true) : std::vector<double>(n_syn, 1.0);
  // kNN density p̂(x) = k / (N V_d r^d); the volume constant V_d cancels in the ratio. A floor on
  // r keeps exact duplicates finite (a synthetic copy of a real scene gets a very large weight).
  const double tiny = 1e-24;
  const double constant = ks > 0 ? std::log(static_cast<double>(kr) / ks) + std::log(double(n_syn - 1) / double(n_real))
                                 : 0.0;
  std::vector<double> w(n_syn);
  for (size_t i = 0; i < n_syn; ++i) {
    const double log_syn = ks > 0 ? 0.5 * std::log(std::max(syn_d2[i], tiny)) : 0.0;
    w[i] = constant + dim * (log_syn - 0.5 * std::log(std::max(real_d2[i], tiny)));
  }
  return w;
}

std::vector<int64_t> importance_resample(const std::vector<float>& real_z, const std::vector<float>& syn_z, int dim,
                                         int64_t n, uint64_t seed, int k) {
  AUTOSCALE_CHECK(n >= 0, "importance_resample: n = {}: expected a count >= 0", n);
  const auto w = importance_log_weights(real_z, syn_z, dim, k);
  std::mt19937_64 rng(seed);
  std::vector<double> key(w.size());
  for (size_t i = 0; i < w.size(); ++i) key[i] = w[i] - std::log(-std::log(open_unit(rng)));  // + Gumbel(0, 1)
  return top_n(key, std::vector<uint64_t>(w.size(), 0), n);
}

std::vector<double> domain_classifier_scores(const std::vector<float>& real_z, const std::vector<float>& syn_z,
                                             int dim) {
  const char* fn = "most_real_like";
  const size_t n_real = rows(real_z, dim, fn, "real_z"), n_syn = rows(syn_z, dim, fn, "syn_z");
  AUTOSCALE_CHECK(n_real >= 1, "{}: real_z has no rows", fn);
  AUTOSCALE_CHECK(n_syn >= 1, "{}: syn_z has no rows", fn);
  const size_t n = n_real + n_syn;
  auto row = [&](size_t i) { return i < n_real ? &real_z[i * dim] : &syn_z[(i - n_real) * dim]; };

  // Per-dimension standardisation over both sets, so that one step size suits every coefficient.
  // It is folded into the coefficients rather than applied to a copy of the embeddings (a copy
  // of a full pool is hundreds of MB): x̃_j = (x_j − m_j) s_j.
  std::vector<double> mean(dim, 0.0), scale(dim, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (int j = 0; j < dim; ++j) mean[j] += row(i)[j];
  }
  for (double& m : mean) m /= static_cast<double>(n);
  for (size_t i = 0; i < n; ++i) {
    for (int j = 0; j < dim; ++j) scale[j] += (row(i)[j] - mean[j]) * (row(i)[j] - mean[j]);
  }
  for (double& s : scale) s = s > 0 ? 1.0 / std::sqrt(s / static_cast<double>(n)) : 1.0;

  // Equal class weights: the classifier's odds then estimate the density ratio p_real/q_syn,
  // whatever the pool sizes.
  const double c_real = 0.5 / static_cast<double>(n_real), c_syn = 0.5 / static_cast<double>(n_syn), lambda = 0.01;
  const int steps = 300;

  // Step 1/L with L ≥ ‖∇²‖: the logistic Hessian is at most (1/4) Σ c_i ‖x̃_i‖² + λ (x̃ with the
  // bias input 1).
  double L = lambda;
  for (size_t i = 0; i < n; ++i) {
    double sq = 1;
    for (int j = 0; j < dim; ++j) sq += (row(i)[j] - mean[j]) * (row(i)[j] - mean[j]) * scale[j] * scale[j];
    L += 0.25 * (i < n_real ? c_real : c_syn) * sq;
  }
  const double step = 1.0 / L;

  // β over standardised inputs (last entry: bias). On raw inputs the logit is a·x + offset with
  // a_j = s_j β_j and offset = β_bias − Σ m_j a_j; the gradient on β_j is s_j (Σ r_i x_ij − m_j Σ r_i).
  const size_t D = static_cast<size_t>(dim) + 1;
  std::vector<double> beta(D, 0.0), previous(D, 0.0), y(D, 0.0), a(dim), grad(D);
  auto fold = [&](const std::vector<double>& b, double* offset) {
    *offset = b[dim];
    for (int j = 0; j < dim; ++j) a[j] = scale[j] * b[j], *offset -= mean[j] * a[j];
  };
  // Fixed chunks summed in chunk order: the same result for any thread count. Threads only pay
  // off past a few chunks; below that, 300 parallel regions cost more than the work.
  const size_t chunk = 1024, chunks = (n + chunk - 1) / chunk;
  std::vector<double> partial(chunks * D);
  for (int t = 1; t <= steps; ++t) {
    const double momentum = (t - 1.0) / (t + 2.0);  // Nesterov
    for (size_t j = 0; j < D; ++j) y[j] = beta[j] + momentum * (beta[j] - previous[j]);
    double offset = 0;
    fold(y, &offset);
#pragma omp parallel for schedule(static) if (chunks >= 8)
    for (int64_t c = 0; c < static_cast<int64_t>(chunks); ++c) {
      double* g = &partial[c * D];  // Σ r_i x_ij, then Σ r_i in the last entry
      std::fill(g, g + D, 0.0);
      const size_t end = std::min(n, static_cast<size_t>(c + 1) * chunk);
      for (size_t i = static_cast<size_t>(c) * chunk; i < end; ++i) {
        const float* x = row(i);
        double s = offset;
        for (int j = 0; j < dim; ++j) s += x[j] * a[j];
        const double p = 1.0 / (1.0 + std::exp(-s));
        const double r = i < n_real ? c_real * (p - 1.0) : c_syn * p;
        for (int j = 0; j < dim; ++j) g[j] += r * x[j];
        g[dim] += r;
      }
    }
    std::fill(grad.begin(), grad.end(), 0.0);
    for (size_t c = 0; c < chunks; ++c) {
      for (size_t j = 0; j < D; ++j) grad[j] += partial[c * D + j];
    }
    for (int j = 0; j < dim; ++j) grad[j] = scale[j] * (grad[j] - mean[j] * grad[dim]) + lambda * y[j];  // bias unpenalised
    previous = beta;
    for (size_t j = 0; j < D; ++j) beta[j] = y[j] - step * grad[j];
  }

  double offset = 0;
  fold(beta, &offset);
  std::vector<double> p(n_syn);
  for (size_t i = 0; i < n_syn; ++i) {
    double s = offset;
    for (int j = 0; j < dim; ++j) s += syn_z[i * dim + j] * a[j];
    p[i] = 1.0 / (1.0 + std::exp(-s));
  }
  return p;
}

std::vector<int64_t> most_real_like(const std::vector<float>& real_z, const std::vector<float>& syn_z, int dim,
                                    int64_t n, uint64_t seed) {
  AUTOSCALE_CHECK(n >= 0, "most_real_like: n = {}: expected a count >= 0", n);
  return top_scored(domain_classifier_scores(real_z, syn_z, dim), n, seed);
}

std::vector<int64_t> top_scored(const std::vector<double>& score, int64_t n, uint64_t seed) {
  AUTOSCALE_CHECK(n >= 0, "top_scored: n = {}: expected a count >= 0", n);
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> tie(score.size());
  for (auto& t : tie) t = rng();
  return top_n(score, tie, n);
}

void DoremiOptions::visit(ConfigVisitor& v) {
  v.field("eta", eta, "step size on the clipped excess loss (DoReMi reweight_eta)", at_least(0));
  v.field("epsilon", epsilon, "share mixed toward uniform after each update (DoReMi reweight_eps)", in_range(0, 1));
}

DoremiState doremi_init(const std::vector<double>& initial) {
  AUTOSCALE_CHECK(!initial.empty(), "doremi: initial weights are empty");
  double sum = 0;
  for (size_t k = 0; k < initial.size(); ++k) {
    // A weight of 0 could never grow under a multiplicative update.
    AUTOSCALE_CHECK(std::isfinite(initial[k]) && initial[k] > 0, "doremi: initial[{}] = {}: expected a positive number",
                    k, initial[k]);
    sum += initial[k];
  }
  DoremiState s;
  s.weights = initial;
  for (double& w : s.weights) w /= sum;
  s.average = s.weights;
  return s;
}

const std::vector<double>& doremi_step(const DoremiOptions& o, DoremiState& s, const std::vector<double>& excess) {
  AUTOSCALE_CHECK(std::isfinite(o.eta) && o.eta >= 0, "doremi: eta = {}: expected a number >= 0", o.eta);
  AUTOSCALE_CHECK(o.epsilon >= 0 && o.epsilon <= 1, "doremi: epsilon = {}: expected a number in [0, 1]", o.epsilon);
  const size_t K = s.weights.size();
  AUTOSCALE_CHECK(K > 0, "doremi: state.weights is empty (call doremi_init first)");
  AUTOSCALE_CHECK(excess.size() == K, "doremi: excess_loss has {} entries for {} clusters", excess.size(), K);
  AUTOSCALE_CHECK(s.average.size() == K, "doremi: state.average has {} entries for {} clusters", s.average.size(), K);
  std::vector<double> logit(K);
  for (size_t k = 0; k < K; ++k) {
    AUTOSCALE_CHECK(std::isfinite(excess[k]), "doremi: excess_loss[{}] = {}: expected a finite number", k, excess[k]);
    AUTOSCALE_CHECK(std::isfinite(s.weights[k]) && s.weights[k] > 0, "doremi: state.weights[{}] = {}: expected > 0", k,
                    s.weights[k]);
    logit[k] = std::log(s.weights[k]) + o.eta * std::max(excess[k], 0.0);
  }
  const double top = *std::max_element(logit.begin(), logit.end());
  double z = 0;
  for (double& l : logit) z += (l = std::exp(l - top));
  ++s.steps;
  for (size_t k = 0; k < K; ++k) {
    s.weights[k] = (1 - o.epsilon) * logit[k] / z + o.epsilon / K;
    // Running mean over updates: the first update replaces the initial weights.
    s.average[k] += (s.weights[k] - s.average[k]) / static_cast<double>(s.steps);
  }
  return s.weights;
}

Exp3::Exp3(int64_t clusters, double scale) : reward_scale(scale) {
  AUTOSCALE_CHECK(clusters >= 1, "exp3: clusters = {}: expected at least 1", clusters);
  AUTOSCALE_CHECK(std::isfinite(scale) && scale > 0, "exp3: reward_scale = {}: expected a positive number", scale);
  cumulative_reward.assign(static_cast<size_t>(clusters), 0.0);
  probabilities.assign(static_cast<size_t>(clusters), 1.0 / static_cast<double>(clusters));
}

double Exp3::exploration(int64_t K, int64_t t) {
  const double uniform = 1.0 / static_cast<double>(K);
  if (t <= 0) return uniform;
  return std::min(uniform, std::sqrt(std::log(static_cast<double>(K)) / (static_cast<double>(K) * t)));
}

void Exp3::update(int64_t cluster, double loss) {
  const auto K = static_cast<int64_t>(probabilities.size());
  AUTOSCALE_CHECK(cluster >= 0 && cluster < K, "exp3: cluster = {}: expected one of 0..{}", cluster, K - 1);
  AUTOSCALE_CHECK(std::isfinite(loss), "exp3: loss = {}: expected a finite number", loss);
  cumulative_reward[cluster] += loss / reward_scale / probabilities[cluster];
  ++steps;
  const double rate = exploration(K, steps - 1), eps = exploration(K, steps);
  const double top = rate * *std::max_element(cumulative_reward.begin(), cumulative_reward.end());
  double z = 0;
  for (int64_t k = 0; k < K; ++k) z += (probabilities[k] = std::exp(rate * cumulative_reward[k] - top));
  for (auto& p : probabilities) p = p / z * (1 - K * eps) + eps;
}

int64_t Exp3::sample(double u) const {
  AUTOSCALE_CHECK(u >= 0 && u < 1, "exp3: u = {}: expected a number in [0, 1)", u);
  double cumulative = 0;
  for (size_t k = 0; k < probabilities.size(); ++k) {
    cumulative += probabilities[k];
    if (u < cumulative) return static_cast<int64_t>(k);
  }
  return static_cast<int64_t>(probabilities.size()) - 1;  // rounding left the sum just below 1
}

}  // namespace autoscale::mixture
