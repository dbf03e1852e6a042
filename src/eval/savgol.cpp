// scipy.signal.savgol_filter(mode="interp") re-derived: interior outputs are a least-squares
// polynomial fit over the window evaluated at its centre (half a sample right of it for even
// windows, from SciPy's convolution origin), the first and last window//2 outputs come from one
// polynomial fitted to the first/last `window` samples and evaluated at their own positions.
#include "autoscale/eval/savgol.h"

#include <Eigen/Dense>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include "autoscale/core/error.h"

namespace autoscale::eval {
namespace {

// Weights that map the samples at `positions` to the deriv-th derivative, at `at`, of their
// least-squares polynomial of degree `poly` (scaled by 1 / delta^deriv).
Eigen::VectorXd fit_weights(const Eigen::VectorXd& positions, double at, int poly, int deriv, double delta) {
  const int w = static_cast<int>(positions.size());
  const double center = positions.mean();  // centred for conditioning; the fit is unchanged
  Eigen::MatrixXd V(w, poly + 1);
  for (int j = 0; j < w; ++j) {
    double p = 1.0;
    for (int m = 0; m <= poly; ++m, p *= positions(j) - center) V(j, m) = p;
  }
  // Row vector of the derivative of the monomials at `at`.
  Eigen::RowVectorXd d = Eigen::RowVectorXd::Zero(poly + 1);
  const double t = at - center;
  for (int m = deriv; m <= poly; ++m) {
    double c = 1.0;
    for (int k = 0; k < deriv; ++k) c *= (m - k);
    d(m) = c * std::pow(t, m - deriv);
  }
  // Minimum-norm least squares as SciPy's lstsq: the complete orthogonal decomposition.
  const Eigen::MatrixXd solver = V.completeOrthogonalDecomposition().pseudoInverse();
  return (d * solver).transpose() / std::pow(delta, deriv);
}

// For a series of length n: output i = Σ_j weights(i, j) x[first(i) + j].
struct Plan {
  Eigen::MatrixXd weights;
  std::vector<int> first;
};

Plan make_plan(int n, int window, int poly, int deriv, double delta) {
  Plan plan;
  plan.weights.resize(n, window);
  plan.first.resize(n);
  const int half = window / 2;
  const bool even = window % 2 == 0;
  Eigen::VectorXd local(window);
  for (int j = 0; j < window; ++j) local(j) = j;
  // Interior: window starting at i - half (odd) or i - half + 1 (even), evaluated at i.
  const int lead = even ? half - 1 : half;
  const Eigen::VectorXd interior = fit_weights(local, lead + (even ? 0.5 : 0.0), poly, deriv, delta);
  for (int i = 0; i < n; ++i) {
    plan.first[i] = i - lead;
    plan.weights.row(i) = interior.transpose();
  }
  // Edges: one fit over the first / last `window` samples, evaluated at each edge position.
  for (int i = 0; i < half && i < n; ++i) {
    plan.first[i] = 0;
    plan.weights.row(i) = fit_weights(local, i, poly, deriv, delta).transpose();
  }
  for (int i = std::max(0, n - half); i < n; ++i) {
    plan.first[i] = n - window;
    plan.weights.row(i) = fit_weights(local, i - (n - window), poly, deriv, delta).transpose();
  }
  return plan;
}

const Plan& cached_plan(int n, int window, int poly, int deriv, double delta) {
  // The scorer filters a handful of shapes millions of times: build each plan once.
  static std::mutex mutex;
  static std::map<std::tuple<int, int, int, int, double>, Plan> cache;
  std::lock_guard<std::mutex> lock(mutex);
  const auto key = std::make_tuple(n, window, poly, deriv, delta);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, make_plan(n, window, poly, deriv, delta)).first;
  return it->second;
}

}  // namespace

std::vector<double> savgol_filter(const std::vector<double>& x, int window, int polyorder, int deriv, double delta) {
  const int n = static_cast<int>(x.size());
  AUTOSCALE_CHECK(window >= 1 && window <= n, "savgol: window {} must be in [1, {}]", window, n);
  AUTOSCALE_CHECK(polyorder < window, "savgol: polyorder {} must be less than the window {}", polyorder, window);
  AUTOSCALE_CHECK(deriv >= 0 && delta > 0, "savgol: bad deriv {} or delta {}", deriv, delta);
  const Plan& plan = cached_plan(n, window, polyorder, deriv, delta);
  std::vector<double> out(n);
  for (int i = 0; i < n; ++i) {
    double acc = 0.0;
    const double* xs = x.data() + plan.first[i];
    for (int j = 0; j < window; ++j) acc += plan.weights(i, j) * xs[j];
    out[i] = acc;
  }
  return out;
}

}  // namespace autoscale::eval
