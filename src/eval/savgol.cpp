// scipy.signal.savgol_filter(x, window, polyorder, deriv, delta, mode="interp"), re-derived
// (navsim-pdms.md 4.6):
//  - interior: SciPy convolves with savgol_coeffs, the least-squares polynomial over the window
//    evaluated at its centre. For an even window ndimage's convolution origin puts the window at
//    [i - w/2 + 1, i + w/2] and the centre half a sample right of i (the "half-sample shift").
//  - edges: the first and last window // 2 outputs come from one polynomial fitted to the first /
//    last `window` samples (np.polyfit), differentiated and evaluated at those samples' positions.
//  - deriv > polyorder gives zeros; derivatives are divided by delta^deriv.
// The fits depend only on the shape (n, window, polyorder, deriv, delta), so each shape's weights
// are built once per thread and applied as dot products.
#include "autoscale/eval/savgol.h"

#include <Eigen/Dense>
#include <cmath>
#include <memory>

#include "autoscale/core/error.h"

namespace autoscale::eval {
namespace {

// Least-squares polynomial fit over sample positions 0 .. w-1, in the centred coordinate
// t = position - (w-1)/2 for conditioning (the fit itself is unchanged): coefficients = fit * x.
Eigen::MatrixXd polynomial_fit(int w, int poly) {
  const double centre = 0.5 * (w - 1);
  Eigen::MatrixXd vandermonde(w, poly + 1);
  for (int j = 0; j < w; ++j) {
    double power = 1.0;
    for (int m = 0; m <= poly; ++m, power *= j - centre) vandermonde(j, m) = power;
  }
  // Full column rank (poly < w): the pseudo-inverse is the least-squares solution operator.
  return vandermonde.completeOrthogonalDecomposition().pseudoInverse();
}

// Row vector d such that d * coefficients = the deriv-th derivative at `position` / delta^deriv.
Eigen::RowVectorXd derivative_at(double position, int w, int poly, int deriv, double delta) {
  const double t = position - 0.5 * (w - 1);
  Eigen::RowVectorXd d = Eigen::RowVectorXd::Zero(poly + 1);
  for (int m = deriv; m <= poly; ++m) {
    double falling = 1.0;
    for (int k = 0; k < deriv; ++k) falling *= m - k;
    d(m) = falling * std::pow(t, m - deriv) / std::pow(delta, deriv);
  }
  return d;
}

struct Shape {
  int n, window, poly, deriv;
  double delta;
  bool operator==(const Shape& o) const {
    return n == o.n && window == o.window && poly == o.poly && deriv == o.deriv && delta == o.delta;
  }
};

// Applying a plan: interior output i = Σ_j interior[j] x[i - lead + j]; an edge output is
// evaluate.row(k) · (fit · window samples), i.e. the polynomial's coefficients first.
struct Plan {
  Shape shape;
  int half = 0, lead = 0, terms = 0;
  std::vector<double> interior;  // window weights
  std::vector<double> fit;       // terms x window, row-major
  std::vector<double> left;      // half x terms: derivative rows at positions 0 .. half-1
  std::vector<double> right;     // half x terms: at positions window-half .. window-1
};

std::unique_ptr<Plan> make_plan(const Shape& s) {
  auto plan = std::make_unique<Plan>();
  plan->shape = s;
  const int w = s.window;
  plan->half = w / 2;
  plan->lead = w % 2 == 0 ? plan->half - 1 : plan->half;
  plan->terms = s.poly + 1;
  const Eigen::MatrixXd fit = polynomial_fit(w, s.poly);
  const double centre = w % 2 == 0 ? plan->lead + 0.5 : plan->lead;
  const Eigen::RowVectorXd interior = derivative_at(centre, w, s.poly, s.deriv, s.delta) * fit;
  plan->interior.assign(interior.data(), interior.data() + w);
  for (int m = 0; m < plan->terms; ++m) {
    for (int j = 0; j < w; ++j) plan->fit.push_back(fit(m, j));
  }
  for (int k = 0; k < plan->half; ++k) {
    const Eigen::RowVectorXd l = derivative_at(k, w, s.poly, s.deriv, s.delta);
    const Eigen::RowVectorXd r = derivative_at(w - plan->half + k, w, s.poly, s.deriv, s.delta);
    plan->left.insert(plan->left.end(), l.data(), l.data() + plan->terms);
    plan->right.insert(plan->right.end(), r.data(), r.data() + plan->terms);
  }
  return plan;
}

const Plan& plan_for(const Shape& shape) {
  // The scorer filters a handful of shapes millions of times from many threads: a per-thread
  // cache needs no lock. Bounded in case a caller feeds many different lengths.
  thread_local std::vector<std::unique_ptr<Plan>> cache;
  for (const auto& p : cache) {
    if (p->shape == shape) return *p;
  }
  if (cache.size() >= 64) cache.clear();
  cache.push_back(make_plan(shape));
  return *cache.back();
}

// Writes half edge outputs: the window's polynomial coefficients, then the derivative rows.
void fit_edge(const Plan& p, const double* window, const std::vector<double>& rows, double* out) {
  double coefficients[16];
  for (int m = 0; m < p.terms; ++m) {
    const double* f = p.fit.data() + static_cast<size_t>(m) * p.shape.window;
    double acc = 0.0;
    for (int j = 0; j < p.shape.window; ++j) acc += f[j] * window[j];
    coefficients[m] = acc;
  }
  for (int k = 0; k < p.half; ++k) {
    double acc = 0.0;
    for (int m = 0; m < p.terms; ++m) acc += rows[static_cast<size_t>(k) * p.terms + m] * coefficients[m];
    out[k] = acc;
  }
}

}  // namespace

std::vector<double> savgol_filter(const std::vector<double>& x, int window, int polyorder, int deriv, double delta) {
  const int n = static_cast<int>(x.size());
  AUTOSCALE_CHECK(window >= 1 && window <= n, "savgol: window {} must be in [1, {}]", window, n);
  AUTOSCALE_CHECK(polyorder >= 0 && polyorder < window, "savgol: polyorder {} must be in [0, window {})", polyorder,
                  window);
  AUTOSCALE_CHECK(polyorder < 16, "savgol: polyorder {} is beyond this implementation's 15", polyorder);
  AUTOSCALE_CHECK(deriv >= 0 && delta > 0, "savgol: bad deriv {} or delta {}", deriv, delta);
  std::vector<double> out(n, 0.0);
  if (deriv > polyorder) return out;  // SciPy: all-zero coefficients
  const Plan& p = plan_for({n, window, polyorder, deriv, delta});
  // Interior (SciPy's convolution); its first and last `half` outputs are replaced below.
  for (int i = p.half; i < n - p.half; ++i) {
    const double* xs = x.data() + (i - p.lead);
    double acc = 0.0;
    for (int j = 0; j < window; ++j) acc += p.interior[j] * xs[j];
    out[i] = acc;
  }
  fit_edge(p, x.data(), p.left, out.data());
  fit_edge(p, x.data() + (n - window), p.right, out.data() + (n - p.half));
  return out;
}

}  // namespace autoscale::eval
