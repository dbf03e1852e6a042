#include "autoscale/eval/savgol.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "autoscale/core/error.h"

namespace autoscale::eval {
namespace {

// SciPy 1.10's savgol_filter outputs, from tests/sim/make_golden.py.
#include "savgol_golden.inc"

TEST(Savgol, MatchesScipyOnEveryShapeTheScorerUses) {
  ASSERT_EQ(kSavgolGolden.size(), 20u);
  for (const auto& g : kSavgolGolden) {
    const auto y = savgol_filter(g.x, g.window, g.poly, g.deriv, g.delta);
    ASSERT_EQ(y.size(), g.y.size());
    for (size_t i = 0; i < y.size(); ++i) {
      // Derivatives divide by delta^deriv; compare relative to the output's scale.
      EXPECT_NEAR(y[i], g.y[i], 1e-9 * (1 + std::abs(g.y[i])))
          << "n=" << g.x.size() << " window=" << g.window << " poly=" << g.poly << " deriv=" << g.deriv << " i=" << i;
    }
  }
}

TEST(Savgol, PolynomialsPassThroughUnchanged) {
  std::vector<double> x(30);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 1.0 + 0.5 * i - 0.02 * i * i;
  for (int window : {7, 29, 30}) {  // an odd interior window, or the whole series
    const auto y = savgol_filter(x, window, 2);
    for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], x[i], 1e-9) << window << " " << i;
  }
  // Odd window: derivative at the sample itself.
  const auto dy = savgol_filter(x, 7, 2, 1, 0.1);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(dy[i], (0.5 - 0.04 * i) / 0.1, 1e-8);
  const auto ddy = savgol_filter(x, 5, 3, 2, 0.1);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(ddy[i], -0.04 / 0.01, 1e-8);
}

TEST(Savgol, EvenWindowInteriorIsShiftedHalfASample) {
  // A line through an even window is evaluated half a sample to the right in the interior (the
  // window is [i-3, i+4] for w = 8), but exactly at the sample at the edges.
  std::vector<double> x(20);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 2.0 * i;
  const auto y = savgol_filter(x, 8, 1);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], 2.0 * i, 1e-12) << i;
  for (int i = 4; i < 16; ++i) EXPECT_NEAR(y[i], 2.0 * i + 1.0, 1e-12) << i;
  for (int i = 16; i < 20; ++i) EXPECT_NEAR(y[i], 2.0 * i, 1e-12) << i;
}

TEST(Savgol, DerivativeAbovePolyorderIsZero) {
  const auto y = savgol_filter({1, 4, 9, 16, 25, 36}, 5, 2, 3, 0.1);
  for (double v : y) EXPECT_EQ(v, 0.0);
}

TEST(Savgol, ThreadsGetTheSameAnswer) {
  std::vector<double> x(41);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.2 * i);
  const auto expected = savgol_filter(x, 41, 2, 1, 0.1);
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { got[t] = savgol_filter(x, 41, 2, 1, 0.1); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

TEST(Savgol, RejectsBadArguments) {
  EXPECT_THROW(savgol_filter({1, 2, 3}, 5, 2), Error);
  EXPECT_THROW(savgol_filter({1, 2, 3, 4, 5}, 3, 3), Error);
  EXPECT_THROW(savgol_filter({1, 2, 3, 4, 5}, 3, 1, 1, 0.0), Error);
}

}  // namespace
}  // namespace autoscale::eval
