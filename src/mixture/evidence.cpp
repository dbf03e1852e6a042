#include "autoscale/mixture/evidence.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "autoscale/core/error.h"

namespace autoscale::mixture {

void EvidenceOptions::visit(ConfigVisitor& v) {
  v.field("trust", trust, "share of the budget a candidate may move away from the prior (0 = the prior)",
          in_range(0, 1));
  v.field("expand", expand,
          "after an accepted step the next step's trust is min(1, trust * expand): evidence earns larger steps "
          "(1 = a fixed trust region)",
          at_least(1));
  v.field("z", z, "accept a candidate only when its paired gain minus z standard errors is above 0", at_least(0));
  v.field("solvable_pdms", solvable_pdms, "a window is solvable when the logged plan scores at least this",
          in_range(0, 1));
  v.field("failure_pdms", failure_pdms, "a solvable window is a failure when the planner scores below this",
          in_range(0, 1));
  v.field("relevance", relevance, "weight of failure relevance against real-likeness when ranking inside a cluster",
          at_least(0));
}

std::vector<double> cluster_histogram(const std::vector<int64_t>& cluster_of_rows, int64_t clusters) {
  AUTOSCALE_CHECK(clusters > 0, "cluster_histogram: {} clusters", clusters);
  std::vector<double> h(static_cast<size_t>(clusters), 0.0);
  for (int64_t k : cluster_of_rows) {
    AUTOSCALE_CHECK(k >= 0 && k < clusters, "cluster_histogram: cluster {} outside [0, {})", k, clusters);
    h[static_cast<size_t>(k)] += 1;
  }
  if (!cluster_of_rows.empty()) {
    for (double& x : h) x /= static_cast<double>(cluster_of_rows.size());
  }
  return h;
}

namespace {
std::vector<double> normalised(const std::vector<double>& w, const char* name) {
  double sum = 0;
  for (double x : w) {
    AUTOSCALE_CHECK(std::isfinite(x) && x >= 0, "tilt: {} holds {}: expected finite weights >= 0", name, x);
    sum += x;
  }
  AUTOSCALE_CHECK(sum > 0, "tilt: {} weights are all zero", name);
  std::vector<double> out(w);
  for (double& x : out) x /= sum;
  return out;
}
}  // namespace

double grown_trust(double trust, const EvidenceOptions& options) {
  AUTOSCALE_CHECK(trust >= 0 && trust <= 1, "grown_trust: trust {} outside [0, 1]", trust);
  AUTOSCALE_CHECK(options.expand >= 1 && std::isfinite(options.expand), "grown_trust: expand {} is not a finite value >= 1",
                  options.expand);
  return std::min(1.0, trust * options.expand);
}

std::vector<double> tilt(const std::vector<double>& prior, const std::vector<double>& target, double trust) {
  AUTOSCALE_CHECK(prior.size() == target.size(), "tilt: {} prior weights but {} target weights", prior.size(),
                  target.size());
  AUTOSCALE_CHECK(trust >= 0 && trust <= 1, "tilt: trust {} outside [0, 1]", trust);
  const auto p = normalised(prior, "prior");
  if (trust == 0) return p;  // exactly the prior, whatever the target
  const auto t = normalised(target, "target");
  std::vector<double> w(p.size());
  for (size_t k = 0; k < w.size(); ++k) w[k] = (1 - trust) * p[k] + trust * t[k];
  return w;
}

std::vector<double> failure_target(const std::vector<WindowOutcome>& windows, int64_t clusters,
                                   const EvidenceOptions& options) {
  std::vector<double> t(static_cast<size_t>(clusters), 0.0);
  double sum = 0;
  for (const auto& w : windows) {
    AUTOSCALE_CHECK(w.cluster >= 0 && w.cluster < clusters, "failure_target: cluster {} outside [0, {})", w.cluster,
                    clusters);
    if (!std::isfinite(w.planner_pdms) || !std::isfinite(w.human_pdms)) continue;  // unscored window
    if (w.human_pdms < options.solvable_pdms || w.planner_pdms >= options.failure_pdms) continue;
    const double headroom = w.human_pdms - w.planner_pdms;
    t[static_cast<size_t>(w.cluster)] += headroom;
    sum += headroom;
  }
  if (sum > 0) {
    for (double& x : t) x /= sum;
  }
  return t;
}

PairedEvidence paired_evidence(const std::vector<double>& unit_gain_sum, const std::vector<int64_t>& unit_windows,
                               double z) {
  AUTOSCALE_CHECK(unit_gain_sum.size() == unit_windows.size(), "paired_evidence: {} gain sums for {} units",
                  unit_gain_sum.size(), unit_windows.size());
  PairedEvidence e;
  double total = 0;
  for (size_t u = 0; u < unit_windows.size(); ++u) {
    AUTOSCALE_CHECK(unit_windows[u] >= 0 && std::isfinite(unit_gain_sum[u]),
                    "paired_evidence: unit {} has {} windows and gain sum {}", u, unit_windows[u], unit_gain_sum[u]);
    if (unit_windows[u] == 0) continue;
    ++e.units;
    e.windows += unit_windows[u];
    total += unit_gain_sum[u];
  }
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (e.windows == 0) {
    e.mean = e.se = e.lower = kNaN;
    return e;
  }
  e.mean = total / static_cast<double>(e.windows);
  if (e.units < 2) {
    e.se = e.lower = kNaN;
    return e;
  }
  // Sandwich SE of a ratio of sums: each unit contributes its residual sum Σ_i (g_i − ḡ).
  double s2 = 0;
  for (size_t u = 0; u < unit_windows.size(); ++u) {
    const double r = unit_gain_sum[u] - e.mean * static_cast<double>(unit_windows[u]);
    s2 += r * r;
  }
  const double n = static_cast<double>(e.units);
  e.se = std::sqrt(s2 * n / (n - 1)) / static_cast<double>(e.windows);
  e.lower = e.mean - z * e.se;
  e.accept = e.lower > 0;
  return e;
}

std::vector<double> blended_rank(const std::vector<double>& real_likeness, const std::vector<double>& relevance,
                                 double beta) {
  AUTOSCALE_CHECK(real_likeness.size() == relevance.size(), "blended_rank: {} real-likeness scores, {} relevances",
                  real_likeness.size(), relevance.size());
  const size_t n = real_likeness.size();
  auto fractional_rank = [n](const std::vector<double>& v) {  // 1 for the highest, → 0 for the lowest
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(n, 0.0);
    for (size_t i = 0; i < n; ++i) r[order[i]] = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 1.0;
    return r;
  };
  if (beta == 0) return real_likeness;  // the real-likeness order itself, ties and all
  auto key = fractional_rank(real_likeness);
  const auto rel = fractional_rank(relevance);
  for (size_t i = 0; i < n; ++i) key[i] += beta * rel[i];
  return key;
}

}  // namespace autoscale::mixture
