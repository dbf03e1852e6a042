// The perturbation pipeline on real NGSIM scenes, with a stand-in labeller (the PDM-Closed one is
// in eval, which this module precedes): shards, input order, failures and the keep threshold.
#include "autoscale/synth/perturb_store.h"

#include <gtest/gtest.h>

#include <set>

#include "autoscale/core/error.h"
#include "autoscale/import/commonroad.h"
#include "../scene/test_util.h"

namespace autoscale::scene {
namespace {

class PerturbStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("perturb-store");
    const auto imported = import_commonroad(std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/USA_Peach-4_8_T-1.xml",
                                            CommonRoadOptions{});
    SceneStoreWriter w((dir_ / "real").string(), StoreOptions{});
    w.add_map(imported.map);
    for (const auto& s : imported.scenes) w.add(s);
    w.close();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Holds the current state for 40 steps; scores by sample index so the threshold is exercised.
  static PerturbLabel hold(const Scene& s, std::shared_ptr<const Map> map) {
    EXPECT_EQ(map->id, s.map_id);
    if (s.token.back() == '2') throw Error("no route for " + s.token);
    PerturbLabel l;
    for (int k = 1; k <= 40; ++k) {
      EgoState e = s.current_ego();
      e.x += k * kStepSeconds * e.vx;
      e.y += k * kStepSeconds * e.vy;
      l.future.push_back(e);
    }
    l.pdms = s.token.back() == '1' ? 0.5 : 0.95;
    l.dac_ok = true;
    return l;
  }

  PerturbStats run(const std::string& out, size_t shard, size_t shards) {
    PerturbOptions o;
    o.samples_per_scene = 3;
    o.min_pdms = 0.8;
    const auto input = SceneStore::open((dir_ / "real").string());
    SceneStoreWriter w((dir_ / out).string(), StoreOptions{});
    const auto stats = perturb_store(input, shard, shards, o, 7, hold, w);
    w.close();
    return stats;
  }
  std::filesystem::path dir_;
};

TEST_F(PerturbStore, KeepsLabelsAboveTheThresholdInInputOrder) {
  const auto stats = run("all", 0, 1);
  EXPECT_EQ(stats.inputs, 10u);      // the 10 windows of Peach-4_8
  EXPECT_EQ(stats.failed, 10u);      // sample 2 of each cannot be labelled
  EXPECT_EQ(stats.labelled, 20u);
  EXPECT_EQ(stats.kept, 10u);        // sample 1 scores 0.5 < 0.8
  EXPECT_EQ(stats.dac_ok, 20u);
  const auto out = SceneStore::open((dir_ / "all").string());
  ASSERT_EQ(out.size(), 10u);
  const auto real = SceneStore::open((dir_ / "real").string());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out.index()[i].domain, Domain::kSynthetic);
    EXPECT_EQ(out.index()[i].token, real.index()[i].token + "-p0");  // only sample 0 passes, in input order
    EXPECT_EQ(out.read(i).ego.size(), out.read(i).num_history + 1 + 40);
  }
}

TEST_F(PerturbStore, ShardsPartitionTheInputAndRepeatBitForBit) {
  const auto a = run("a", 0, 2), b = run("b", 1, 2);
  EXPECT_EQ(a.inputs + b.inputs, 10u);
  const auto again = run("a2", 0, 2);
  const auto first = SceneStore::open((dir_ / "a").string()), second = SceneStore::open((dir_ / "a2").string());
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first.index()[i].token, second.index()[i].token);
    EXPECT_EQ(first.read(i).ego.front().x, second.read(i).ego.front().x);
  }
  EXPECT_EQ(again.kept, a.kept);
}

}  // namespace
}  // namespace autoscale::scene
