// Per-sample losses and head gradients (what DoReMi, ODM and Cluster-GA measure) on real NGSIM
// recordings (tests/data, BSD-3).
#include "autoscale/train/gradients.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "autoscale/core/error.h"
#include "autoscale/import/commonroad.h"

namespace autoscale::train {
namespace {

const std::string kData = std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/";

PlannerDataset ngsim_dataset() {
  encode::GraphOptions g;
  g.max_agents = 8;
  g.max_lanes = 16;
  PlannerDataset d(g);
  auto imported = scene::import_commonroad(kData + "USA_Peach-4_8_T-1.xml", {});
  for (auto& s : imported.scenes) {
    d.add(build_planner_sample(s, imported.map, d.graph()), {s.token, s.log, "", scene::Domain::kReal});
  }
  return d;
}

PlannerOptions tiny(const std::string& kind) {
  PlannerOptions o;
  o.kind = kind;
  o.d_model = 32;
  o.layers = 1;
  o.heads = 2;
  o.feedforward = 64;
  return o;
}

double norm(const std::vector<float>& g) {
  double s = 0;
  for (float v : g) s += double(v) * v;
  return std::sqrt(s);
}

class GradientsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GradientsTest, LossesAndGradientsAreLinearInTheSamples) {
  const auto data = ngsim_dataset();
  ASSERT_GE(data.size(), 6u);
  const Planner planner(tiny(GetParam()), data.graph(), 7, "cpu");
  std::vector<int64_t> all(data.size());
  std::iota(all.begin(), all.end(), 0);

  const auto losses = sample_losses(planner, data, all, 4);  // several batches
  ASSERT_EQ(losses.size(), all.size());
  for (double l : losses) EXPECT_TRUE(std::isfinite(l) && l > 0);
  // Batching does not change a sample's loss.
  EXPECT_NEAR(sample_losses(planner, data, {all[3]})[0], losses[3], 1e-5);

  // The weighted mean gradient over all rows is the weighted mix of the gradients of two halves.
  const std::vector<int64_t> a(all.begin(), all.begin() + 3), b(all.begin() + 3, all.end());
  const auto ga = head_gradient(planner, data, a, std::vector<double>(a.size(), 1.0));
  const auto gb = head_gradient(planner, data, b, std::vector<double>(b.size(), 1.0));
  const auto g = head_gradient(planner, data, all, std::vector<double>(all.size(), 1.0), 4);
  ASSERT_EQ(g.size(), ga.size());
  ASSERT_GT(norm(g), 0);
  const double wa = double(a.size()) / all.size(), wb = double(b.size()) / all.size();
  double err = 0;
  for (size_t i = 0; i < g.size(); ++i) err = std::max(err, std::abs(g[i] - (wa * ga[i] + wb * gb[i])));
  EXPECT_LT(err, 1e-4 * std::max(1.0, norm(g)));

  // Weights select samples: weight only on row 0 equals the gradient of row 0 alone.
  std::vector<double> only0(all.size(), 0.0);
  only0[0] = 2.5;
  EXPECT_NEAR(cosine(head_gradient(planner, data, all, only0), head_gradient(planner, data, {all[0]}, {1.0})), 1.0, 1e-5);
  EXPECT_NEAR(cosine(g, g), 1.0, 1e-9);
  EXPECT_EQ(norm(head_gradient(planner, data, a, std::vector<double>(a.size(), 0.0))), 0.0);
  EXPECT_TRUE(std::isnan(cosine(g, std::vector<float>(g.size(), 0.0f))));

  // Measuring does not change the model: the same predictions afterwards.
  const auto before = planner.predict(data, all);
  (void)head_gradient(planner, data, all, std::vector<double>(all.size(), 1.0));
  EXPECT_EQ(planner.predict(data, all), before);
}

INSTANTIATE_TEST_SUITE_P(Planners, GradientsTest, ::testing::Values("transformer", "ego_mlp"));

TEST(Gradients, RejectsBadWeights) {
  const auto data = ngsim_dataset();
  const Planner planner(tiny("ego_mlp"), data.graph(), 7, "cpu");
  EXPECT_THROW(head_gradient(planner, data, {0, 1}, {1.0}), Error);
  EXPECT_THROW(head_gradient(planner, data, {0, 1}, {1.0, -1.0}), Error);
  EXPECT_THROW(head_gradient(planner, data, {0, 1}, {1.0, std::nan("")}), Error);
}

}  // namespace
}  // namespace autoscale::train
