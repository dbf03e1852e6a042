// Scale-test copies of real NGSIM scenes: distinct tokens and logs, synthetic copies traceable to
// the real copy of their round (the leakage guard's key), agents moved, the ego untouched, and
// the same seed giving the same store.
#include "autoscale/synth/replicate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "autoscale/core/error.h"
#include "autoscale/import/commonroad.h"
#include "../scene/test_util.h"

namespace autoscale::scene {
namespace {

class Replicate : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("replicate");
    const auto imported = import_commonroad(std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/USA_Peach-4_8_T-1.xml",
                                            CommonRoadOptions{});
    SceneStoreWriter w((dir_ / "source").string(), StoreOptions{});
    w.add_map(imported.map);
    for (const auto& s : imported.scenes) w.add(s);
    w.close();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Replicates into DIR/<name>/{real,synthetic}.
  ReplicateStats make(const std::string& name, size_t real, size_t synthetic, uint64_t seed = 7) {
    const auto source = SceneStore::open((dir_ / "source").string());
    ReplicateOptions o;
    o.real = real, o.synthetic = synthetic, o.seed = seed;
    SceneStoreWriter r((dir_ / name / "real").string(), StoreOptions{});
    SceneStoreWriter s((dir_ / name / "synthetic").string(), StoreOptions{});
    const auto stats = replicate_store(source, o, r, &s);
    r.close(), s.close();
    return stats;
  }
  std::filesystem::path dir_;
};

TEST_F(Replicate, CopiesAreDistinctTraceableAndStayScenesOfTheSource) {
  const auto source = SceneStore::open((dir_ / "source").string());
  const size_t n = source.size();
  ASSERT_GT(n, 3u);
  const auto stats = make("a", 2 * n + 3, 5 * n);  // three rounds of real copies, partly the last
  EXPECT_EQ(stats.real, 2 * n + 3);
  EXPECT_EQ(stats.synthetic, 5 * n);
  const auto real = SceneStore::open((dir_ / "a" / "real").string());
  const auto syn = SceneStore::open((dir_ / "a" / "synthetic").string());
  ASSERT_EQ(real.size(), 2 * n + 3);
  ASSERT_EQ(syn.size(), 5 * n);
  std::set<std::string> real_logs;
  for (const auto& e : real.index()) {
    EXPECT_EQ(e.domain, Domain::kReal);
    real_logs.insert(e.log);
  }
  std::set<std::string> source_logs;
  for (const auto& e : source.index()) source_logs.insert(e.log);
  EXPECT_EQ(real_logs.size(), 3u * source_logs.size());  // one log per source log and round
  for (const auto& e : syn.index()) EXPECT_EQ(e.domain, Domain::kSynthetic);
  // Every synthetic scene derives from a real copy's log; its ego is the source scene's, its agents moved.
  size_t moved = 0, agents = 0;
  for (size_t i = 0; i < syn.size(); i += 7) {
    const Scene s = syn.read(i);
    EXPECT_EQ(s.generator, "replica");
    EXPECT_TRUE(real_logs.count(s.source_log)) << s.source_log;
    const Scene original = source.read(s.token.substr(0, s.token.rfind('~')));
    ASSERT_EQ(s.ego.size(), original.ego.size());
    for (size_t k = 0; k < s.ego.size(); ++k) EXPECT_EQ(s.ego[k].x, original.ego[k].x);
    ASSERT_EQ(s.agents.size(), original.agents.size());
    for (size_t a = 0; a < s.agents.size(); ++a, ++agents) {
      const double d = std::hypot(s.agents[a].states[0].x - original.agents[a].states[0].x,
                                  s.agents[a].states[0].y - original.agents[a].states[0].y);
      EXPECT_LT(d, 2.0);
      moved += d > 0;
    }
    EXPECT_EQ(s.map_id, original.map_id);
  }
  EXPECT_GT(agents, 0u);
  EXPECT_EQ(moved, agents);
}

TEST_F(Replicate, TheSameSeedMakesTheSameStore) {
  make("a", 30, 60, 7), make("b", 30, 60, 7), make("c", 30, 60, 8);
  const auto read = [&](const char* name, size_t i) { return SceneStore::open((dir_ / name / "synthetic").string()).read(i); };
  for (size_t i : {0, 17, 59}) {
    const Scene a = read("a", i), b = read("b", i), c = read("c", i);
    EXPECT_EQ(a.token, b.token);
    ASSERT_FALSE(a.agents.empty());
    EXPECT_EQ(a.agents[0].states[3].x, b.agents[0].states[3].x);
    EXPECT_NE(a.agents[0].states[3].x, c.agents[0].states[3].x);
  }
}

TEST_F(Replicate, BadRequestsAreRefused) {
  const auto source = SceneStore::open((dir_ / "source").string());
  SceneStoreWriter w((dir_ / "x").string(), StoreOptions{});
  ReplicateOptions o;
  o.real = 1, o.synthetic = 1;
  EXPECT_THROW(replicate_store(source, o, w, nullptr), Error);
  o.synthetic = 0, o.agent_jitter_m = std::nan("");
  EXPECT_THROW(replicate_store(source, o, w, nullptr), Error);
}

}  // namespace
}  // namespace autoscale::scene
