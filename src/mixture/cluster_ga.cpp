#include "autoscale/mixture/cluster_ga.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autoscale/core/error.h"

namespace autoscale::mixture {

void ClusterGaOptions::visit(ConfigVisitor& v) {
  v.field("eta", eta, "step size of the exponentiated update on standardised signals", at_least(0));
  v.field("epsilon", epsilon, "share mixed toward uniform after each step; every weight stays >= epsilon/K",
          in_range(0, 1));
  v.field("gamma_alignment", gamma_alignment, "weight of the gradient-alignment signal", at_least(0));
  v.field("gamma_finite_difference", gamma_finite_difference,
          "weight of the closed-loop finite-difference signal (from the second iteration)", at_least(0));
  v.field("shrinkage", shrinkage, "pseudo-scenes at the global mean PDMS added to each cluster [scenes]",
          at_least(0));
  v.field("clip", clip, "limit of the combined standardised signal before the step", positive());
  v.field("use_deficit", use_deficit, "use the closed-loop PDMS deficit signal");
  v.field("use_alignment", use_alignment, "use the gradient-alignment signal");
  v.field("use_finite_difference", use_finite_difference, "use the finite-difference signal");
  v.field("init", init, "initial weights: the real validation distribution (with a floor) or uniform",
          Choices{"val_proportional", "uniform"});
}

namespace {

// Options may be built in code, bypassing visit()'s range checks.
void check_options(const ClusterGaOptions& o) {
  AUTOSCALE_CHECK(std::isfinite(o.eta) && o.eta >= 0, "cluster_ga: eta = {}: expected a number >= 0", o.eta);
  AUTOSCALE_CHECK(o.epsilon >= 0 && o.epsilon <= 1, "cluster_ga: epsilon = {}: expected a number in [0, 1]",
                  o.epsilon);
  AUTOSCALE_CHECK(std::isfinite(o.gamma_alignment) && o.gamma_alignment >= 0,
                  "cluster_ga: gamma_alignment = {}: expected a number >= 0", o.gamma_alignment);
  AUTOSCALE_CHECK(std::isfinite(o.gamma_finite_difference) && o.gamma_finite_difference >= 0,
                  "cluster_ga: gamma_finite_difference = {}: expected a number >= 0", o.gamma_finite_difference);
  AUTOSCALE_CHECK(std::isfinite(o.shrinkage) && o.shrinkage >= 0, "cluster_ga: shrinkage = {}: expected a number >= 0",
                  o.shrinkage);
  AUTOSCALE_CHECK(o.clip > 0, "cluster_ga: clip = {}: expected a positive number", o.clip);
  AUTOSCALE_CHECK(o.init == "val_proportional" || o.init == "uniform",
                  "cluster_ga: init = {}: expected val_proportional or uniform", quote(o.init));
}

// z(x) = (x − mean)/std across clusters, over the measured (non-NaN) entries. A constant signal
// carries no information about which cluster to favour: it contributes 0 rather than 0/0.
// Unmeasured entries become 0, the mean, so they neither gain nor lose from this signal.
std::vector<double> standardise(const std::vector<double>& x) {
  std::vector<double> z(x.size(), 0.0);
  double sum = 0, largest = 0;
  size_t n = 0;
  for (double v : x) {
    if (std::isnan(v)) continue;
    sum += v;
    largest = std::max(largest, std::abs(v));
    ++n;
  }
  if (n < 2) return z;
  const double mean = sum / n;
  double var = 0;
  for (double v : x) {
    if (!std::isnan(v)) var += (v - mean) * (v - mean);
  }
  const double sd = std::sqrt(var / n);  // population std: the K clusters are the whole population
  // Rounding can leave a "constant" signal with a std of a few ulps; that is still constant.
  if (!(sd > 1e-12 * largest)) return z;
  for (size_t k = 0; k < x.size(); ++k) z[k] = std::isnan(x[k]) ? 0.0 : (x[k] - mean) / sd;
  return z;
}

void check_weights(const std::vector<double>& w, size_t K, const char* name) {
  AUTOSCALE_CHECK(w.size() == K, "cluster_ga: {} has {} entries for {} clusters", name, w.size(), K);
  double sum = 0;
  for (size_t k = 0; k < K; ++k) {
    AUTOSCALE_CHECK(std::isfinite(w[k]) && w[k] > 0,
                    "cluster_ga: {}[{}] = {}: weights must be positive (epsilon > 0 keeps them so)", name, k, w[k]);
    sum += w[k];
  }
  AUTOSCALE_CHECK(std::abs(sum - 1.0) < 1e-6, "cluster_ga: {} sum to {}, not 1", name, sum);
}

void check_feedback(const ClusterFeedback& f, size_t K) {
  AUTOSCALE_CHECK(f.pdms_sum.size() == K, "cluster_ga: feedback.pdms_sum has {} entries for {} clusters",
                  f.pdms_sum.size(), K);
  AUTOSCALE_CHECK(f.count.size() == K, "cluster_ga: feedback.count has {} entries for {} clusters", f.count.size(), K);
  AUTOSCALE_CHECK(f.alignment.empty() || f.alignment.size() == K,
                  "cluster_ga: feedback.alignment has {} entries for {} clusters (empty = not measured)",
                  f.alignment.size(), K);
  int64_t total = 0;
  for (size_t k = 0; k < K; ++k) {
    AUTOSCALE_CHECK(f.count[k] >= 0, "cluster_ga: feedback.count[{}] = {}: expected a count >= 0", k, f.count[k]);
    const double s = f.pdms_sum[k], n = static_cast<double>(f.count[k]);
    // A PDMS is in [0, 1], so the sum over n scenes is in [0, n].
    AUTOSCALE_CHECK(std::isfinite(s) && s >= -1e-9 && s <= n * (1 + 1e-9) + 1e-9,
                    "cluster_ga: feedback.pdms_sum[{}] = {}: expected a number in [0, count = {}]", k, s, f.count[k]);
    total += f.count[k];
  }
  AUTOSCALE_CHECK(total > 0, "cluster_ga: feedback.count is 0 in every cluster: no real validation scene was scored");
  for (size_t k = 0; k < f.alignment.size(); ++k) {
    const double a = f.alignment[k];
    AUTOSCALE_CHECK(std::isnan(a) || (a >= -1 - 1e-6 && a <= 1 + 1e-6),
                    "cluster_ga: feedback.alignment[{}] = {}: expected a cosine in [-1, 1] or NaN (no samples)", k, a);
  }
}

}  // namespace

ClusterGaState cluster_ga_init(const ClusterGaOptions& o, const std::vector<int64_t>& val_count) {
  check_options(o);
  const size_t K = val_count.size();
  AUTOSCALE_CHECK(K > 0, "cluster_ga: no clusters (val_count_per_cluster is empty)");
  int64_t total = 0;
  for (size_t k = 0; k < K; ++k) {
    AUTOSCALE_CHECK(val_count[k] >= 0, "cluster_ga: val_count_per_cluster[{}] = {}: expected a count >= 0", k,
                    val_count[k]);
    total += val_count[k];
  }
  ClusterGaState s;
  s.weights.assign(K, 1.0 / K);
  if (o.init == "val_proportional" && total > 0) {
    // The floor: a cluster without validation scenes still has synthetic scenes worth trying,
    // and a multiplicative update can never raise a weight of 0. Mixing in the same ε/K that
    // every later step keeps makes w^0 look like any other iterate (at least 0.001 when ε = 0).
    const double floor = std::max(o.epsilon, 1e-3);
    for (size_t k = 0; k < K; ++k) {
      s.weights[k] = (1 - floor) * static_cast<double>(val_count[k]) / total + floor / K;
    }
  }
  s.history.push_back(s.weights);
  return s;
}

ClusterGaStep cluster_ga_step(const ClusterGaOptions& o, ClusterGaState& state, const ClusterFeedback& f) {
  check_options(o);
  const size_t K = state.weights.size();
  AUTOSCALE_CHECK(K > 0, "cluster_ga: state.weights is empty (call cluster_ga_init first)");
  check_weights(state.weights, K, "state.weights");
  check_feedback(f, K);
  const bool finite_difference = o.use_finite_difference && state.iteration >= 1;
  if (finite_difference) {
    check_weights(state.previous_weights, K, "state.previous_weights");
    AUTOSCALE_CHECK(state.previous_cluster_pdms.size() == K,
                    "cluster_ga: state.previous_cluster_pdms has {} entries for {} clusters at iteration {}",
                    state.previous_cluster_pdms.size(), K, state.iteration);
  }

  ClusterGaStep step;
  double sum = 0;
  int64_t total = 0;
  for (size_t k = 0; k < K; ++k) sum += f.pdms_sum[k], total += f.count[k];
  const double mean = sum / total;
  step.cluster_pdms.resize(K);
  step.deficit.resize(K);
  for (size_t k = 0; k < K; ++k) {
    const double n = static_cast<double>(f.count[k]);
    // Shrinkage keeps a cluster with a handful of scenes from swinging on one bad score; with no
    // scenes and no shrinkage the global mean is the only estimate there is.
    step.cluster_pdms[k] = n + o.shrinkage > 0 ? (f.pdms_sum[k] + o.shrinkage * mean) / (n + o.shrinkage) : mean;
    step.deficit[k] = (1 - step.cluster_pdms[k]) * n / total;
  }
  step.alignment = f.alignment.empty() ? std::vector<double>(K, std::numeric_limits<double>::quiet_NaN()) : f.alignment;
  step.finite_difference.assign(K, 0.0);
  if (finite_difference) {
    for (size_t k = 0; k < K; ++k) {
      step.finite_difference[k] = (step.cluster_pdms[k] - state.previous_cluster_pdms[k]) *
                                  (std::log(state.weights[k]) - std::log(state.previous_weights[k]));
    }
  }

  const auto zd = standardise(step.deficit), za = standardise(step.alignment),
             zf = standardise(step.finite_difference);
  step.gradient.assign(K, 0.0);
  for (size_t k = 0; k < K; ++k) {
    if (o.use_deficit) step.gradient[k] += zd[k];
    if (o.use_alignment) step.gradient[k] += o.gamma_alignment * za[k];
    if (finite_difference) step.gradient[k] += o.gamma_finite_difference * zf[k];
  }

  std::vector<double> logit(K);
  for (size_t k = 0; k < K; ++k) {
    logit[k] = std::log(state.weights[k]) + o.eta * std::clamp(step.gradient[k], -o.clip, o.clip);
  }
  const double top = *std::max_element(logit.begin(), logit.end());  // softmax without overflow
  double z = 0;
  for (double& l : logit) z += (l = std::exp(l - top));
  step.weights.resize(K);
  for (size_t k = 0; k < K; ++k) step.weights[k] = (1 - o.epsilon) * logit[k] / z + o.epsilon / K;

  state.previous_weights = state.weights;
  state.previous_cluster_pdms = step.cluster_pdms;
  state.weights = step.weights;
  state.history.push_back(step.weights);
  ++state.iteration;
  return step;
}

std::vector<double> cluster_ga_average(const ClusterGaState& state) {
  AUTOSCALE_CHECK(!state.history.empty(), "cluster_ga: state.history is empty (call cluster_ga_init first)");
  if (state.history.size() == 1) return state.history.front();
  const size_t K = state.history.front().size();
  std::vector<double> avg(K, 0.0);
  for (size_t t = 1; t < state.history.size(); ++t) {
    AUTOSCALE_CHECK(state.history[t].size() == K, "cluster_ga: state.history[{}] has {} entries for {} clusters", t,
                    state.history[t].size(), K);
    for (size_t k = 0; k < K; ++k) avg[k] += state.history[t][k];
  }
  for (double& a : avg) a /= static_cast<double>(state.history.size() - 1);
  return avg;
}

}  // namespace autoscale::mixture
