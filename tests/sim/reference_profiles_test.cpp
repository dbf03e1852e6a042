// Profile fits: physical sanity, and the check that the banded solve used in production equals
// NAVSIM's pinv(AᵀA + reg) Aᵀy formulation (built here densely, pseudo-inverted by SVD with
// NumPy's rcond = 1e-15 cutoff) to far better than 1e-9.
#include <gtest/gtest.h>

#include <cmath>
#include <Eigen/Dense>
#include <random>

#include "autoscale/core/error.h"
#include "autoscale/sim/simulator.h"

namespace autoscale::sim {
namespace {

std::vector<Pose> circle(double radius, double speed, double heading0 = 0.0) {
  std::vector<Pose> out;
  for (int k = 0; k < 41; ++k) {
    const double a = speed * 0.1 * k / radius;
    const double x = radius * std::sin(a), y = radius * (1 - std::cos(a));  // tangent to +x at k = 0
    const double c = std::cos(heading0), s = std::sin(heading0);
    out.push_back({c * x - s * y, s * x + c * y, heading0 + a});
  }
  return out;
}

Eigen::MatrixXd numpy_pinv(const Eigen::MatrixXd& a) {
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeFullU | Eigen::ComputeFullV);
  const Eigen::VectorXd& sv = svd.singularValues();
  Eigen::VectorXd inv = Eigen::VectorXd::Zero(sv.size());
  for (int i = 0; i < sv.size(); ++i) {
    if (sv(i) > 1e-15 * sv(0)) inv(i) = 1.0 / sv(i);
  }
  return svd.matrixV() * inv.asDiagonal() * svd.matrixU().transpose();
}

// NAVSIM's formulation, literally: unknowns [v0, a...] and [κ0, κ̇...], dense A, pinv.
ReferenceProfiles navsim_pinv_profiles(const std::vector<Pose>& ref, const TrackerParams& p) {
  const int m = static_cast<int>(ref.size()) - 1;
  const double dt = p.step;
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(2 * m, m);
  Eigen::VectorXd y(2 * m);
  for (int k = 0; k < m; ++k) {
    const double c = std::cos(ref[k].heading), s = std::sin(ref[k].heading);
    a(2 * k, 0) = c * dt, a(2 * k + 1, 0) = s * dt;
    for (int j = 1; j <= k; ++j) a(2 * k, j) = c * dt * dt, a(2 * k + 1, j) = s * dt * dt;
    y(2 * k) = ref[k + 1].x - ref[k].x, y(2 * k + 1) = ref[k + 1].y - ref[k].y;
  }
  // R = [0 | D] with D built as NAVSIM's _make_banded_difference_matrix does: the +1 band
  // (D[:, 1:] = I) is written first, then overwritten by the -1 band (D[:, :-1] = -I).
  const int rows = m - 2;
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(rows, rows + 1);
  d.rightCols(rows) = Eigen::MatrixXd::Identity(rows, rows);
  d.leftCols(rows) = -Eigen::MatrixXd::Identity(rows, rows);
  Eigen::MatrixXd r = Eigen::MatrixXd::Zero(rows, m);
  r.rightCols(rows + 1) = d;
  const Eigen::VectorXd z = numpy_pinv(a.transpose() * a + p.jerk_penalty * r.transpose() * r) * a.transpose() * y;
  ReferenceProfiles out;
  double v = z(0);
  for (int k = 0; k < m; ++k) {
    out.velocity.push_back(v);
    if (k + 1 < m) v += z(k + 1) * dt;
  }
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(m, m);
  Eigen::VectorXd theta(m);
  for (int k = 0; k < m; ++k) {
    b(k, 0) = out.velocity[k] * dt;
    for (int j = 1; j <= k; ++j) b(k, j) = out.velocity[k] * dt * dt;
    const double d = ref[k + 1].heading - ref[k].heading;
    theta(k) = std::atan2(std::sin(d), std::cos(d));
  }
  Eigen::MatrixXd q = p.curvature_rate_penalty * Eigen::MatrixXd::Identity(m, m);
  q(0, 0) = p.initial_curvature_penalty;
  const Eigen::VectorXd w = numpy_pinv(b.transpose() * b + q) * b.transpose() * theta;
  double kappa = w(0);
  for (int k = 0; k < m; ++k) {
    out.curvature.push_back(kappa);
    if (k + 1 < m) kappa += w(k + 1) * dt;
  }
  return out;
}

TEST(ReferenceProfiles, ConstantSpeedStraightLine) {
  std::vector<Pose> ref;
  for (int k = 0; k < 41; ++k) ref.push_back({3.0 + k * std::cos(0.7), -2.0 + k * std::sin(0.7), 0.7});  // 10 m/s
  const auto prof = fit_reference_profiles(ref, {});
  ASSERT_EQ(prof.velocity.size(), 40u);
  ASSERT_EQ(prof.curvature.size(), 40u);
  for (size_t k = 0; k < 40; ++k) {
    EXPECT_NEAR(prof.velocity[k], 10.0, 1e-9) << k;
    EXPECT_NEAR(prof.curvature[k], 0.0, 1e-12) << k;
  }
}

TEST(ReferenceProfiles, CircleGivesInverseRadius) {
  for (double radius : {50.0, -20.0}) {
    const auto prof = fit_reference_profiles(circle(radius, 10.0, 2.0), {});
    for (size_t k = 0; k < 40; ++k) {
      EXPECT_NEAR(prof.velocity[k], 10.0, 0.05) << k;  // chord vs arc: v = 2R sin(Δ/2)/dt
      EXPECT_NEAR(prof.curvature[k], 1.0 / radius, 2e-3 / std::abs(radius)) << k;
    }
  }
}

TEST(ReferenceProfiles, StandingReferenceIsZero) {
  const std::vector<Pose> ref(41, Pose{5, 6, 1.0});
  const auto prof = fit_reference_profiles(ref, {});
  for (size_t k = 0; k < 40; ++k) {
    EXPECT_EQ(prof.velocity[k], 0.0);
    EXPECT_EQ(prof.curvature[k], 0.0);
  }
}

TEST(ReferenceProfiles, BandedSolveEqualsNavsimPinv) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal;
  std::vector<std::vector<Pose>> plans = {circle(30.0, 8.0), circle(-12.0, 0.05, -3.0)};
  for (double scale : {1.0, 0.1, 1e-3}) {  // random walks, down to creeping
    for (int rep = 0; rep < 3; ++rep) {
      std::vector<Pose> p(41);
      for (int k = 1; k < 41; ++k) {
        p[k] = {p[k - 1].x + scale * normal(rng), p[k - 1].y + scale * normal(rng), p[k - 1].heading + normal(rng)};
      }
      plans.push_back(p);
    }
  }
  std::vector<Pose> stop(41);  // brake to standstill at 2 s
  for (int k = 0; k < 41; ++k) stop[k] = {k <= 20 ? 4.0 * 0.1 * k - 0.1 * k * 0.1 * k : 4.0, 0.0, 0.0};
  plans.push_back(stop);
  for (size_t c = 0; c < plans.size(); ++c) {
    const auto fast = fit_reference_profiles(plans[c], {});
    const auto slow = navsim_pinv_profiles(plans[c], {});
    for (size_t k = 0; k < 40; ++k) {
      EXPECT_NEAR(fast.velocity[k], slow.velocity[k], 1e-9 * std::max(1.0, std::abs(slow.velocity[k])))
          << "plan " << c << " k " << k;
      EXPECT_NEAR(fast.curvature[k], slow.curvature[k], 1e-9 * std::max(1.0, std::abs(slow.curvature[k])))
          << "plan " << c << " k " << k;
    }
  }
}

// NAVSIM's velocity regulariser penalises accelerations (plus the last acceleration difference),
// not jerk. Five poses on a straight line braking at d = 2 m/s² from 10 m/s (Δp_k = dt v̂_k, so
// the data are exact). With e = v - v̂ and λ/dt⁴ = 1 the objective divided by dt² is
//   |e|² + (e_1 - e_0 - d dt)² + (e_3 - 2 e_2 + e_1)²,
// whose stationary point is e = (-0.35, 0.3, 0.1, -0.05) · d dt: the fitted deceleration
// a_0 = (v_1 - v_0)/dt shrinks to 0.35 d. A jerk penalty would reproduce v̂ exactly.
TEST(ReferenceProfiles, VelocityFitPenalisesAccelerationsAsNavsimDoes) {
  const double heading = 0.4, d = 2.0, dt = 0.1;
  const double v_hat[4] = {10.0, 9.8, 9.6, 9.4};
  std::vector<Pose> ref{{1.0, -3.0, heading}};
  for (double v : v_hat) {
    ref.push_back({ref.back().x + dt * v * std::cos(heading), ref.back().y + dt * v * std::sin(heading), heading});
  }
  const auto prof = fit_reference_profiles(ref, {});
  ASSERT_EQ(prof.velocity.size(), 4u);
  const double e[4] = {-0.35, 0.3, 0.1, -0.05};
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(prof.velocity[k], v_hat[k] + e[k] * d * dt, 1e-9) << k;
  EXPECT_NEAR((prof.velocity[1] - prof.velocity[0]) / dt, -0.35 * d, 1e-8);

  // On the usual 41 poses the fitted deceleration of a constant-deceleration reference is
  // likewise shrunk at the start (accelerations are pulled towards 0), unlike a jerk penalty.
  std::vector<Pose> brake{{0.0, 0.0, 0.0}};
  for (int k = 0; k < 40; ++k) brake.push_back({brake.back().x + dt * (10.0 - d * dt * k), 0.0, 0.0});
  const auto fit = fit_reference_profiles(brake, {});
  const auto literal = navsim_pinv_profiles(brake, {});
  for (size_t k = 0; k < 40; ++k) EXPECT_NEAR(fit.velocity[k], literal.velocity[k], 1e-9) << k;
  EXPECT_GT((fit.velocity[1] - fit.velocity[0]) / dt, -d + 0.5);
  EXPECT_GT(std::abs(fit.velocity[0] - 10.0), 0.01);
}

TEST(ReferenceProfiles, ShortAndLongReferences) {
  const auto three = fit_reference_profiles({{0, 0, 0}, {1, 0, 0}, {2, 0, 0}}, {});
  ASSERT_EQ(three.velocity.size(), 2u);
  EXPECT_NEAR(three.velocity[0], 10.0, 1e-9);
  std::vector<Pose> long_ref;
  for (int k = 0; k < 301; ++k) long_ref.push_back({0.5 * k, 0.0, 0.0});  // beyond the stack scratch
  const auto prof = fit_reference_profiles(long_ref, {});
  ASSERT_EQ(prof.velocity.size(), 300u);
  EXPECT_NEAR(prof.velocity[150], 5.0, 1e-9);
  EXPECT_THROW(fit_reference_profiles({{0, 0, 0}, {1, 0, 0}}, {}), Error);
}

}  // namespace
}  // namespace autoscale::sim
