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

  // Velocity: unknowns [v0, a_0 .. a_{M-2}]; Δp_k = dt v_k (cos θ_k, sin θ_k).
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(2 * M, M);
  Eigen::VectorXd y(2 * M);
  for (int k = 0; k < M; ++k) {
    const double c = std::cos(ref[k].heading), s = std::sin(ref[k].heading);
    y(2 * k) = ref[k + 1].x - ref[k].x;
    y(2 * k + 1) = ref[k + 1].y - ref[k].y;
    A(2 * k, 0) = dt * c;
    A(2 * k + 1, 0) = dt * s;
    for (int j = 0; j < k; ++j) {
      A(2 * k, 1 + j) = dt * dt * c;
      A(2 * k + 1, 1 + j) = dt * dt * s;
    }
  }
  // Jerk penalty: forward differences of the accelerations.
  Eigen::MatrixXd R = Eigen::MatrixXd::Zero(M - 2, M);
  for (int j = 0; j < M - 2; ++j) {
    R(j, 1 + j) = -1.0;
    R(j, 2 + j) = 1.0;
  }
  const Eigen::VectorXd z = solve(A.transpose() * A + p.jerk_penalty * R.transpose() * R, A.transpose() * y);
  ReferenceProfiles out;
  out.velocity.resize(M);
  double v = z(0);
  for (int k = 0; k < M; ++k) {
    out.velocity[k] = v;
    if (k < M - 1) v += dt * z(1 + k);
  }

  // Curvature: unknowns [κ0, κ̇_0 .. κ̇_{M-2}]; Δθ_k = dt v_k κ_k.
  Eigen::MatrixXd B = Eigen::MatrixXd::Zero(M, M);
  Eigen::VectorXd dtheta(M);
  for (int k = 0; k < M; ++k) {
    dtheta(k) = wrap(ref[k + 1].heading - ref[k].heading);
    B(k, 0) = dt * out.velocity[k];
    for (int j = 0; j < k; ++j) B(k, 1 + j) = dt * out.velocity[k] * dt;
  }
  Eigen::VectorXd q = Eigen::VectorXd::Constant(M, p.curvature_rate_penalty);
  q(0) = p.initial_curvature_penalty;
  Eigen::MatrixXd normal = B.transpose() * B;
  normal.diagonal() += q;
  const Eigen::VectorXd w = solve(normal, B.transpose() * dtheta);
  out.curvature.resize(M);
  double kappa = w(0);
  for (int k = 0; k < M; ++k) {
    out.curvature[k] = kappa;
    if (k < M - 1) kappa += dt * w(1 + k);
  }
  return out;
}

}  // namespace autoscale::sim
