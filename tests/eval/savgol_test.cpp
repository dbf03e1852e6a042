#include "autoscale/eval/savgol.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "autoscale/core/error.h"

namespace autoscale::eval {
namespace {

#include "savgol_golden.inc"

TEST(Savgol, MatchesScipyOnEveryShapeTheScorerUses) {
  ASSERT_FALSE(kSavgolGolden.empty());
  for (const auto& g : kSavgolGolden) {
    const auto y = savgol_filter(g.x, g.window, g.poly, g.deriv, 0.1);
    ASSERT_EQ(y.size(), g.y.size());
    for (size_t i = 0; i < y.size(); ++i) {
      // Derivatives divide by 0.1^deriv; compare relative to the series' scale.
      EXPECT_NEAR(y[i], g.y[i], 1e-9 * (1 + std::abs(g.y[i])))
          << "n=" << g.x.size() << " window=" << g.window << " poly=" << g.poly << " deriv=" << g.deriv << " i=" << i;
    }
  }
}

TEST(Savgol, PolynomialsPassThroughUnchanged) {
  std::vector<double> x(30);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 1.0 + 0.5 * i - 0.02 * i * i;
  const auto y = savgol_filter(x, 7, 2);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], x[i], 1e-9);
  const auto dy = savgol_filter(x, 7, 2, 1, 0.1);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(dy[i], (0.5 - 0.04 * i) / 0.1, 1e-8);
}

TEST(Savgol, RejectsBadArguments) {
  EXPECT_THROW(savgol_filter({1, 2, 3}, 5, 2), Error);
  EXPECT_THROW(savgol_filter({1, 2, 3, 4, 5}, 3, 3), Error);
}

}  // namespace
}  // namespace autoscale::eval
