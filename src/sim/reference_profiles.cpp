// Velocity and curvature profiles of the reference poses: two small regularised least-squares
// fits (navsim-pdms.md 3.3), solved once per plan.
#include <Eigen/Dense>
#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/sim/simulator.h"

namespace autoscale::sim {
namespace {

double wrap(double a) { return std::atan2(std::sin(a), std::cos(a)); }

// The devkit solves with pinv(AᵀA + reg) Aᵀy. Both regularised normal matrices are symmetric
// positive definite (the regulariser makes them so even for a standing reference), where the
// pseudo-inverse equals the inverse, so a Cholesky-type solve gives the same numbers faster.
Eigen::VectorXd solve(const Eigen::MatrixXd& normal, const Eigen::VectorXd& rhs) {
  Eigen::LDLT<Eigen::MatrixXd> ldlt(normal);
  return ldlt.solve(rhs);
}

}  // namespace

ReferenceProfiles fit_reference_profiles(const std::vector<Pose>& ref, const TrackerParams& p) {
  AUTOSCALE_CHECK(ref.size() >= 3, "reference needs at least 3 poses, got {}", ref.size());
  const int M = static_cast<int>(ref.size()) - 1;  // displacements
  const double dt = p.step;
  const double dt2 = dt * dt, dt3 = dt2 * dt, dt4 = dt2 * dt2;

  // Velocity: unknowns z = [v0, a_0 .. a_{M-2}]; Δp_k = dt v_k (cos θ_k, sin θ_k) with
  // v_k = v0 + dt Σ_{j<k} a_j. Row k of A is dt (c, s) for v0 and dt² (c, s) for every a_j, j < k,
  // so with c² + s² = 1 the normal matrix has a closed form:
  //   (AᵀA)_00 = dt² M,  (AᵀA)_0j = dt³ (M - j),  (AᵀA)_ij = dt⁴ (M - max(i, j))   (i, j ≥ 1)
  // and Aᵀy needs only suffix sums of the projected displacements.
  Eigen::VectorXd proj(M);  // displacement k projected on heading k
  for (int k = 0; k < M; ++k) {
    const double c = std::cos(ref[k].heading), s = std::sin(ref[k].heading);
    proj(k) = c * (ref[k + 1].x - ref[k].x) + s * (ref[k + 1].y - ref[k].y);
  }
  Eigen::MatrixXd normal(M, M);
  normal(0, 0) = dt2 * M;
  for (int j = 1; j < M; ++j) normal(0, j) = normal(j, 0) = dt3 * (M - j);
  for (int i = 1; i < M; ++i) {
    for (int j = 1; j < M; ++j) normal(i, j) = dt4 * (M - std::max(i, j));
  }
  // Jerk penalty λ RᵀR with R the forward differences of the accelerations.
  for (int j = 0; j < M - 2; ++j) {
    const int a = 1 + j, b = 2 + j;
    normal(a, a) += p.jerk_penalty;
    normal(b, b) += p.jerk_penalty;
    normal(a, b) -= p.jerk_penalty;
    normal(b, a) -= p.jerk_penalty;
  }
  Eigen::VectorXd rhs(M);
  double suffix = 0.0;  // Σ_{k ≥ j+1} proj_k, built from the end
  for (int k = M - 1; k >= 0; --k) {
    if (k >= 1) {
      suffix += proj(k);
      rhs(k) = dt2 * suffix;  // column k (a_{k-1}) touches rows k .. M-1
    }
  }
  rhs(0) = dt * proj.sum();
  const Eigen::VectorXd z = solve(normal, rhs);
  ReferenceProfiles out;
  out.velocity.resize(M);
  double v = z(0);
  for (int k = 0; k < M; ++k) {
    out.velocity[k] = v;
    if (k < M - 1) v += dt * z(1 + k);
  }

  // Curvature: unknowns w = [κ0, κ̇_0 .. κ̇_{M-2}]; Δθ_k = dt v_k κ_k. Row k of B is dt v_k for κ0
  // and dt² v_k for every κ̇_j, j < k: the normal matrix is built from suffix sums of v².
  std::vector<double> v2_suffix(M + 1, 0.0), vt_suffix(M + 1, 0.0);
  for (int k = M - 1; k >= 0; --k) {
    const double dtheta = wrap(ref[k + 1].heading - ref[k].heading);
    v2_suffix[k] = v2_suffix[k + 1] + out.velocity[k] * out.velocity[k];
    vt_suffix[k] = vt_suffix[k + 1] + out.velocity[k] * dtheta;
  }
  Eigen::MatrixXd curv(M, M);
  curv(0, 0) = dt2 * v2_suffix[0] + p.initial_curvature_penalty;
  for (int j = 1; j < M; ++j) curv(0, j) = curv(j, 0) = dt3 * v2_suffix[j];
  for (int i = 1; i < M; ++i) {
    for (int j = 1; j < M; ++j) curv(i, j) = dt4 * v2_suffix[std::max(i, j)];
    curv(i, i) += p.curvature_rate_penalty;
  }
  Eigen::VectorXd curv_rhs(M);
  curv_rhs(0) = dt * vt_suffix[0];
  for (int j = 1; j < M; ++j) curv_rhs(j) = dt2 * vt_suffix[j];
  const Eigen::VectorXd w = solve(curv, curv_rhs);
  out.curvature.resize(M);
  double kappa = w(0);
  for (int k = 0; k < M; ++k) {
    out.curvature[k] = kappa;
    if (k < M - 1) kappa += dt * w(1 + k);
  }
  return out;
}

}  // namespace autoscale::sim
