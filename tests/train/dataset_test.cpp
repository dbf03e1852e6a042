// Deferred rows: a pool's samples are built when drawn, bit-identical to building them up front,
// and training on a deferred pool follows the eager run exactly (real NGSIM recordings).
#include <gtest/gtest.h>

#include "autoscale/core/error.h"
#include "autoscale/store/store.h"
#include "ngsim_fixture.h"

namespace autoscale::train {
namespace {

// The NGSIM recordings as a store, every other scene marked synthetic (a stand-in pool).
std::string write_ngsim_store(const std::string& dir) {
  scene::SceneStoreWriter w(dir, {});
  const auto& r = ngsim();
  for (size_t i = 0; i < r.scenes.size(); ++i) {
    if (!w.has_map(r.maps[i]->id)) w.add_map(*r.maps[i]);
    scene::Scene s = r.scenes[i];
    if (i % 2) s.domain = scene::Domain::kSynthetic;
    w.add(s);
  }
  w.close();
  return dir;
}

bool synthetic(const scene::IndexEntry& e) { return e.domain != scene::Domain::kReal; }

void expect_same_sample(const PlannerSample& a, const PlannerSample& b) {
  EXPECT_EQ(a.ego, b.ego);
  EXPECT_EQ(a.agents, b.agents);
  EXPECT_EQ(a.agent_mask, b.agent_mask);
  EXPECT_EQ(a.lanes, b.lanes);
  EXPECT_EQ(a.lane_mask, b.lane_mask);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.prior, b.prior);
  EXPECT_EQ(a.target, b.target);
}

TEST(PlannerDataset, DeferredRowsAreBuiltOnDemandBitIdentical) {
  TempDir dir;
  const auto store = scene::SceneStore::open(write_ngsim_store(dir.path + "/store"));
  PlannerDataset eager(small_graph()), lazy(small_graph());
  eager.add_store(store, {}, false);
  lazy.add_store(store, {}, false, synthetic);
  ASSERT_EQ(lazy.size(), eager.size());
  ASSERT_GT(lazy.deferred(), 10u);
  EXPECT_EQ(lazy.in_memory(), lazy.size() - lazy.deferred());

  std::vector<int64_t> pool;
  for (size_t i = 0; i < lazy.size(); ++i) {
    EXPECT_EQ(lazy.info(i).token, eager.info(i).token);
    if (lazy.info(i).domain != scene::Domain::kReal) pool.push_back(static_cast<int64_t>(i));
  }
  ASSERT_EQ(pool.size(), lazy.deferred());
  // Reading a deferred row before ensure() is a caller's bug: an error naming the scene.
  try {
    (void)lazy.sample(static_cast<size_t>(pool[0]));
    FAIL() << "a deferred row was readable before ensure()";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(lazy.info(static_cast<size_t>(pool[0])).token), std::string::npos) << e.what();
  }
  const std::vector<int64_t> some(pool.begin(), pool.begin() + 3);
  lazy.ensure(some);
  EXPECT_EQ(lazy.in_memory(), lazy.size() - lazy.deferred() + 3);
  lazy.ensure(pool);
  EXPECT_EQ(lazy.in_memory(), lazy.size());
  for (size_t i = 0; i < lazy.size(); ++i) expect_same_sample(lazy.sample(i), eager.sample(i));

  lazy.release_deferred();
  EXPECT_EQ(lazy.in_memory(), lazy.size() - lazy.deferred());
  EXPECT_THROW((void)lazy.sample(static_cast<size_t>(pool[0])), Error);
}

TEST(PlannerDataset, TrainingOnADeferredPoolFollowsTheEagerRun) {
  TempDir dir, a_out, b_out, c_out;
  const auto store = scene::SceneStore::open(write_ngsim_store(dir.path + "/store"));
  PlannerDataset eager(small_graph()), lazy(small_graph()), drawn(small_graph());
  eager.add_store(store, {}, false);
  lazy.add_store(store, {}, false, synthetic);
  drawn.add_store(store, {}, false, synthetic);
  const auto o = small_training("transformer", 12);
  const MixtureSpec mix = two_groups(eager, 0.5, 0.5);
  Planner a(o.planner, eager.graph(), 5, "cpu"), b(o.planner, lazy.graph(), 5, "cpu");
  train_planner(a, eager, mix, o, quiet_run(a_out.path, 5));
  train_planner(b, lazy, mix, o, quiet_run(b_out.path, 5));  // groups <= drawn samples: built up front
  EXPECT_EQ(lazy.in_memory(), lazy.size());

  // A training that draws fewer samples than the groups hold builds only the batches it draws.
  auto short_o = o;
  short_o.steps = 1;
  short_o.batch = 4;
  Planner c(short_o.planner, drawn.graph(), 5, "cpu");
  train_planner(c, drawn, mix, short_o, quiet_run(c_out.path, 5));
  EXPECT_LT(drawn.in_memory(), drawn.size());

  const auto rows = all_rows(eager);
  EXPECT_EQ(b.predict(lazy, rows), a.predict(eager, rows));
}

}  // namespace
}  // namespace autoscale::train
