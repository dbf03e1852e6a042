#include "autoscale/mixture/projection.h"

#include <Eigen/Dense>

#include "autoscale/core/error.h"

namespace autoscale::mixture {

Projection2d pca_2d(const std::vector<float>& z, int dim, const std::vector<int64_t>& rows) {
  AUTOSCALE_CHECK(dim >= 2, "pca_2d: dim {} < 2", dim);
  AUTOSCALE_CHECK(rows.size() >= 2, "pca_2d: {} rows; at least 2 are needed", rows.size());
  const auto n_total = static_cast<int64_t>(z.size() / static_cast<size_t>(dim));
  Eigen::MatrixXd x(static_cast<Eigen::Index>(rows.size()), dim);
  for (size_t i = 0; i < rows.size(); ++i) {
    AUTOSCALE_CHECK(rows[i] >= 0 && rows[i] < n_total, "pca_2d: row {} is outside [0, {})", rows[i], n_total);
    for (int c = 0; c < dim; ++c) x(static_cast<Eigen::Index>(i), c) = z[static_cast<size_t>(rows[i]) * dim + c];
  }
  x.rowwise() -= x.colwise().mean();
  const Eigen::MatrixXd cov = x.transpose() * x / static_cast<double>(rows.size() - 1);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  const Eigen::VectorXd values = eig.eigenvalues();  // ascending
  Eigen::MatrixXd axes(dim, 2);
  axes.col(0) = eig.eigenvectors().col(dim - 1);
  axes.col(1) = eig.eigenvectors().col(dim - 2);
  // Eigenvectors have no sign of their own: fix it so the map does not flip between runs.
  for (int a = 0; a < 2; ++a) {
    Eigen::Index big = 0;
    axes.col(a).cwiseAbs().maxCoeff(&big);
    if (axes(big, a) < 0) axes.col(a) = -axes.col(a);
  }
  const Eigen::MatrixXd p = x * axes;
  Projection2d out;
  out.xy.resize(rows.size() * 2);
  for (size_t i = 0; i < rows.size(); ++i) {
    out.xy[2 * i] = static_cast<float>(p(static_cast<Eigen::Index>(i), 0));
    out.xy[2 * i + 1] = static_cast<float>(p(static_cast<Eigen::Index>(i), 1));
  }
  const double total = std::max(values.sum(), 1e-300);
  out.explained[0] = values(dim - 1) / total;
  out.explained[1] = values(dim - 2) / total;
  return out;
}

}  // namespace autoscale::mixture
