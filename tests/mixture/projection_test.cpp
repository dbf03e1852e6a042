// The report's 2-D embedding map: principal components.
#include "autoscale/mixture/projection.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autoscale/core/error.h"

namespace autoscale::mixture {
namespace {

TEST(Projection, RecoversTheDominantAxesAndTheirVariance) {
  // Points spread 10x more along (1, 1, 0)/√2 than along (0, 0, 1), none along (1, −1, 0).
  std::vector<float> z;
  std::vector<int64_t> rows;
  for (int i = 0; i < 50; ++i) {
    const double a = (i % 10 - 4.5), b = 0.1 * ((i / 10) - 2);
    z.insert(z.end(), {float(a / std::sqrt(2.0)), float(a / std::sqrt(2.0)), float(b)});
    rows.push_back(i);
  }
  const auto p = pca_2d(z, 3, rows);
  ASSERT_EQ(p.xy.size(), 100u);
  EXPECT_GT(p.explained[0], 0.99);
  EXPECT_NEAR(p.explained[0] + p.explained[1], 1.0, 1e-9);
  for (int i = 0; i < 50; ++i) {
    const double a = (i % 10 - 4.5), b = 0.1 * ((i / 10) - 2);
    EXPECT_NEAR(std::abs(p.xy[2 * i]), std::abs(a), 1e-4);  // centred: the mean of a is 0
    EXPECT_NEAR(std::abs(p.xy[2 * i + 1]), std::abs(b), 1e-4);
  }
  // Deterministic signs: projecting the same points again gives the same map.
  EXPECT_EQ(pca_2d(z, 3, rows).xy, p.xy);
}

TEST(Projection, RejectsBadRows) {
  const std::vector<float> z(12, 1.0f);
  EXPECT_THROW(pca_2d(z, 3, {0}), Error);
  EXPECT_THROW(pca_2d(z, 3, {0, 4}), Error);
  EXPECT_THROW(pca_2d(z, 1, {0, 1}), Error);
}

}  // namespace
}  // namespace autoscale::mixture
