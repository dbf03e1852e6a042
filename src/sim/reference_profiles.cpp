// Velocity and curvature profiles of the reference poses (navsim-pdms.md 3.3): NAVSIM's two
// regularised least-squares fits, solved in an equivalent banded form.
//
// NAVSIM solves for z = [v0, a_0 .. a_{M-2}] with pinv(AᵀA + λRᵀR) Aᵀy, and for
// w = [κ0, κ̇_0 .. κ̇_{M-2}] with pinv(BᵀB + Q) Bᵀθ. Both normal matrices are symmetric positive
// definite (the regularisers see to it), so pinv is the inverse and each fit is the unique
// minimiser of its objective. The minimiser does not depend on the parametrisation: written in
// the profile values themselves (v_k = v0 + dt Σ_{j<k} a_j, likewise κ_k) the objectives are
//   velocity:  Σ_k |Δp_k - dt v_k (cos θ_k, sin θ_k)|² + λ Σ_{j<M-3} ((v_{j+1} - v_j) / dt)²
//                                                    + λ ((v_{M-1} - 2 v_{M-2} + v_{M-3}) / dt)²
//   curvature: Σ_k (Δθ_k - dt v_k κ_k)² + q0 κ_0² + q Σ_j ((κ_{j+1} - κ_j) / dt)²
// whose normal matrices are penta- and tridiagonal: O(M) solves instead of two dense 40x40
// factorisations. The velocity regulariser is NAVSIM's, not the jerk penalty its docstring
// describes (see fit_profiles). tests/sim/reference_profiles_test.cpp checks the result against
// NAVSIM's explicit pinv formulation (agreement ~1e-12) and the NumPy golden values.
#include <vector>

#include "autoscale/core/error.h"
#include "banded.h"
#include "internal.h"

namespace autoscale::sim::detail {
namespace {

// Adds w · rowᵀrow to the lower band for a difference stencil `coef` starting at column `first`.
void add_stencil(double* band, int n, const double* coef, int width, int first, double w) {
  for (int a = 0; a < width; ++a) {
    for (int b = 0; b <= a; ++b) band[(a - b) * n + first + a] += w * coef[a] * coef[b];
  }
}

// Scratch for the banded systems: on the stack for the usual 40 displacements.
class Scratch {
 public:
  explicit Scratch(size_t size) {
    if (size > kStack) heap_.resize(size);
    data_ = size > kStack ? heap_.data() : stack_;
    for (size_t i = 0; i < size; ++i) data_[i] = 0.0;
  }
  double* data() { return data_; }

 private:
  static constexpr size_t kStack = 4 * 64;
  double stack_[kStack];
  std::vector<double> heap_;
  double* data_;
};

}  // namespace

void compute_heading_trig(const Pose* reference, int n, double* cos_out, double* sin_out) {
  for (int k = 0; k < n; ++k) {
    cos_out[k] = std::cos(reference[k].heading);
    sin_out[k] = std::sin(reference[k].heading);
  }
}

void fit_profiles(const Pose* ref, HeadingTrig trig, int n, const TrackerParams& p, double* velocity,
                  double* curvature) {
  AUTOSCALE_CHECK(n >= 3, "reference needs at least 3 poses, got {}", n);
  const int m = n - 1;  // displacements
  const double dt = p.step;

  // Velocity: (dt² I + λ/dt² D2ᵀD2) v = dt · (Δp_k projected on heading k). The unit heading
  // vector makes the data term diagonal.
  {
    Scratch band(3 * static_cast<size_t>(m));
    for (int k = 0; k < m; ++k) {
      const double c = trig.cos[k], s = trig.sin[k];
      band.data()[k] = dt * dt;
      velocity[k] = dt * (c * (ref[k + 1].x - ref[k].x) + s * (ref[k + 1].y - ref[k].y));
    }
    // Kept for parity with NAVSIM's _make_banded_difference_matrix (batch_lqr_utils.py, v1.1 and
    // v2.2): it writes the +1 band of the (M-2) x (M-1) difference matrix D and then overwrites
    // it with the -1 band, so row i of D is -e_i except the last row, which keeps -1, +1. With
    // R = [0 | D] the "jerk" penalty λ|Rz|² is λ(a_0² + ... + a_{M-4}²) + λ(a_{M-2} - a_{M-3})²:
    // accelerations are penalised, plus one last difference. In velocities that is first
    // differences for j < M-3 and a single second difference at the end.
    const double weight = p.jerk_penalty / (dt * dt);
    const double first_difference[2] = {-1.0, 1.0};
    const double second_difference[3] = {1.0, -2.0, 1.0};
    for (int j = 0; j + 3 < m; ++j) add_stencil(band.data(), m, first_difference, 2, j, weight);
    if (m >= 3) add_stencil(band.data(), m, second_difference, 3, m - 3, weight);
    solve_spd_banded(band.data(), m, 2, velocity);
  }

  // Curvature: (diag(dt² v²) + q0 e0e0ᵀ + q/dt² D1ᵀD1) κ = dt v Δθ, Δθ wrapped with atan2.
  {
    Scratch band(2 * static_cast<size_t>(m));
    for (int k = 0; k < m; ++k) {
      const double dv = dt * velocity[k];
      band.data()[k] = dv * dv;
      curvature[k] = dv * normalize_angle(ref[k + 1].heading - ref[k].heading);
    }
    band.data()[0] += p.initial_curvature_penalty;
    const double first_difference[2] = {-1.0, 1.0};
    const double rate_weight = p.curvature_rate_penalty / (dt * dt);
    for (int j = 0; j + 1 < m; ++j) add_stencil(band.data(), m, first_difference, 2, j, rate_weight);
    solve_spd_banded(band.data(), m, 1, curvature);
  }
}

}  // namespace autoscale::sim::detail

namespace autoscale::sim {

ReferenceProfiles fit_reference_profiles(const std::vector<Pose>& reference, const TrackerParams& params) {
  AUTOSCALE_CHECK(reference.size() >= 3, "reference needs at least 3 poses, got {}", reference.size());
  const int n = static_cast<int>(reference.size());
  std::vector<double> trig(2 * static_cast<size_t>(n));
  detail::compute_heading_trig(reference.data(), n, trig.data(), trig.data() + n);
  ReferenceProfiles out;
  out.velocity.resize(n - 1);
  out.curvature.resize(n - 1);
  detail::fit_profiles(reference.data(), {trig.data(), trig.data() + n}, n, params, out.velocity.data(),
                       out.curvature.data());
  return out;
}

}  // namespace autoscale::sim
