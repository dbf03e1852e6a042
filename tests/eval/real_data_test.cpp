// The scorer on real recordings: the NGSIM scenes committed under tests/data (imported here)
// and the nuScenes samples from ../shared (imported with the ScenarioNet importer when present).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "autoscale/core/threads.h"
#include "autoscale/eval/agents.h"
#include "autoscale/eval/evaluate.h"
#include "autoscale/eval/pseudo_expert.h"
#include "autoscale/eval/scoring_cache.h"
#include "autoscale/synth/perturb.h"
#include "autoscale/synth/sumo.h"
#include "autoscale/import/commonroad.h"
#include "autoscale/store/store.h"
#include "../scene/test_util.h"

namespace fs = std::filesystem;

namespace autoscale::eval {
namespace {

const std::string kData = std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/";

// The NGSIM windows long enough for NAVSIM scoring, imported once per test binary.
const scene::SceneStore& ngsim_store() {
  static const scene::SceneStore store = [] {
    const auto dir = scene::testing::removed_at_exit(scene::testing::temp_dir("eval-ngsim"));
    scene::SceneStoreWriter w(dir.string(), {});
    for (const char* f : {"USA_US101-4_1_T-1.xml", "USA_Peach-4_8_T-1.xml"}) {
      const auto r = scene::import_commonroad(kData + f, {});
      w.add_map(r.map);
      for (const auto& s : r.scenes) w.add(s);
    }
    w.close();
    return scene::SceneStore::open(dir.string());
  }();
  return store;
}

// Shifts every pose of a plan sideways (to the left) in the ego frame.
class Shifted final : public Agent {
 public:
  Shifted(std::unique_ptr<Agent> inner, double lateral) : inner_(std::move(inner)), lateral_(lateral) {}
  std::string name() const override { return inner_->name() + "+shift"; }
  Plan plan(const scene::Scene& s, const MetricCache& c) const override {
    Plan p = inner_->plan(s, c);
    for (auto& pose : p.poses) pose.y += lateral_;
    return p;
  }

 private:
  std::unique_ptr<Agent> inner_;
  double lateral_;
};

// NGSIM experts are not Pacificas: score them with their recorded size.
EvalOptions recorded_size() {
  EvalOptions o;
  o.recorded_ego_size = true;
  return o;
}

TEST(RealData, NgsimExpertHasNoAtFaultCollisionAndStaysOnTheRoad) {
  const auto report = evaluate_store(ngsim_store(), *make_agent("human"), recorded_size(), 0, false);
  ASSERT_EQ(report.valid(), report.scenes.size()) << report_table(report);
  size_t collisions = 0, off_road = 0;
  for (const auto& s : report.scenes) {
    collisions += s.scores.nc < 1.0;
    off_road += s.scores.dac == 0.0;
  }
  // NGSIM is video-tracked: a few windows lose to its artefacts under the devkit's rules (a car
  // first seen in the window's last frame is replicated over the whole horizon; a recorded
  // stop sharper than the LQR tracker follows; corners touching the road edge). Measured:
  // 2 of 86 collisions, 5 of 86 off-road.
  EXPECT_LE(collisions, report.scenes.size() * 5 / 100) << report_table(report);
  EXPECT_LE(off_road, report.scenes.size() * 10 / 100) << report_table(report);
  EXPECT_GT(report.mean().score, 0.75) << report_table(report);
}

// The expert's whole drive (start and plan) moved sideways by `shift` metres: DAC per scene.
std::vector<bool> dac_broken_when_shifted(double shift) {
  const auto& store = ngsim_store();
  std::vector<bool> out;
  const auto human = make_agent("human");
  for (size_t i = 0; i < store.size(); ++i) {
    const auto scene = store.read(i);
    auto inputs = inputs_from_scene(scene, store.map(scene.map_id));
    const auto plan = human->plan(scene, MetricCache::build(inputs, recorded_size()));
    inputs.initial.x -= shift * std::sin(inputs.initial.heading);
    inputs.initial.y += shift * std::cos(inputs.initial.heading);
    out.push_back(MetricCache::build(inputs, recorded_size()).score(plan).scores.dac == 0.0);
  }
  return out;
}

TEST(RealData, LateralShiftBreaksDrivableArea) {
  // CommonRoad's drivable area is the union of all lanelets, both directions included: on the
  // five-lane US-101 a 3 m shift is usually the next lane, so count the scenes where one of the
  // two directions leaves the road; 30 m to either side leaves it everywhere.
  const auto left3 = dac_broken_when_shifted(3.0), right3 = dac_broken_when_shifted(-3.0);
  const auto left30 = dac_broken_when_shifted(30.0), right30 = dac_broken_when_shifted(-30.0);
  size_t either3 = 0, both30 = 0;
  for (size_t i = 0; i < left3.size(); ++i) {
    either3 += left3[i] || right3[i];
    both30 += left30[i] && right30[i];
  }
  std::printf("3 m shift leaves the road in %zu of %zu scenes (one side or the other)\n", either3, left3.size());
  EXPECT_GE(either3 * 2, left3.size());  // measured: 58 of 86
  EXPECT_EQ(both30, left3.size());
}

// The ego standing still with a plan that stays put: no progress at all.
TEST(RealData, FrozenEgoGetsNoProgress) {
  const auto& store = ngsim_store();
  size_t zero = 0;
  for (size_t i = 0; i < store.size(); ++i) {
    const auto scene = store.read(i);
    auto inputs = inputs_from_scene(scene, store.map(scene.map_id));
    inputs.initial.vx = inputs.initial.vy = inputs.initial.ax = inputs.initial.ay = 0.0;
    const auto cache = MetricCache::build(inputs, recorded_size());
    const auto s = cache.score({0.5, std::vector<sim::Pose>(8)}).scores;
    EXPECT_NEAR(s.progress, 0.0, 1e-6) << scene.token;
    // EP 0, unless the reference itself moved less than 5 m (then EP is 1 by rule).
    EXPECT_TRUE(s.ep == 0.0 || s.ep == 1.0) << scene.token;
    zero += s.ep == 0.0;
  }
  EXPECT_GT(zero, store.size() / 2);
}

TEST(RealData, AgentsRankAsExpected) {
  const double human = evaluate_store(ngsim_store(), *make_agent("human"), recorded_size(), 0, false).mean().score;
  const double cv =
      evaluate_store(ngsim_store(), *make_agent("constant_velocity"), recorded_size(), 0, false).mean().score;
  const double pdm = evaluate_store(ngsim_store(), *make_agent("pdm_closed"), recorded_size(), 0, false).mean().score;
  EXPECT_GT(human, cv);
  EXPECT_GT(pdm, cv);
  RecordProperty("human", std::to_string(human));
  RecordProperty("constant_velocity", std::to_string(cv));
  RecordProperty("pdm_closed", std::to_string(pdm));
}

TEST(RealData, ScoresDoNotDependOnThreadCount) {
  configure_threads(1);
  const auto one = evaluate_store(ngsim_store(), *make_agent("pdm_closed"), {}, 30, false);
  configure_threads(2);
  const auto two = evaluate_store(ngsim_store(), *make_agent("pdm_closed"), {}, 30, false);
  ASSERT_EQ(one.scenes.size(), two.scenes.size());
  for (size_t i = 0; i < one.scenes.size(); ++i) {
    EXPECT_EQ(one.scenes[i].scores.score, two.scenes[i].scores.score) << one.scenes[i].token;
  }
  EXPECT_EQ(report_csv(one), report_csv(two));
}

// A store of one NGSIM recording, written (again) at `dir`.
scene::SceneStore write_ngsim_store(const fs::path& dir, const char* file) {
  fs::remove_all(dir);
  scene::SceneStoreWriter w(dir.string(), {});
  const auto r = scene::import_commonroad(kData + file, {});
  w.add_map(r.map);
  for (const auto& s : r.scenes) w.add(s);
  w.close();
  return scene::SceneStore::open(dir.string());
}

std::vector<std::string> csvs(const std::vector<EvalReport>& reports) {
  std::vector<std::string> out;
  for (const auto& r : reports) out.push_back(report_csv(r));
  return out;
}

// The loop rescores the same windows with every planner: a cached scene must give exactly the
// scores of one prepared anew (v1, and v2 whose two-frame comfort pairs consecutive scenes),
// each row prepared once, and no more rows kept than the bound.
TEST(RealData, ScoringCacheGivesTheUncachedScoresAndPreparesEachRowOnce) {
  const auto& store = ngsim_store();
  std::vector<size_t> rows(std::min<size_t>(store.size(), 40));
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const auto human = make_agent("human"), cv = make_agent("constant_velocity");
  const std::vector<const Agent*> agents{human.get(), cv.get()};
  for (const PdmsVersion version : {PdmsVersion::kV1, PdmsVersion::kV2}) {
    EvalOptions options = recorded_size();
    options.version = version;
    const auto fresh = csvs(evaluate_store(store, agents, options, rows, false));
    ScoringCache cache(options);
    EXPECT_EQ(csvs(evaluate_store(store, agents, rows, cache, false)), fresh);
    EXPECT_EQ(cache.stats().misses, rows.size());
    EXPECT_EQ(cache.stats().entries, rows.size());
    EXPECT_EQ(cache.stats().hits, 0u);
    // Again, and in another order: every row served from the cache.
    std::vector<size_t> reversed(rows.rbegin(), rows.rend());
    EXPECT_EQ(csvs(evaluate_store(store, agents, rows, cache, false)), fresh);
    const auto back = evaluate_store(store, agents, reversed, cache, false);
    EXPECT_EQ(back[0].scenes.front().token, store.index()[rows.back()].token);
    EXPECT_EQ(cache.stats().hits, 2 * rows.size());
    EXPECT_EQ(cache.stats().misses, rows.size());
  }
  ScoringCache small(recorded_size(), 5);
  const auto fresh = csvs(evaluate_store(store, agents, recorded_size(), rows, false));
  EXPECT_EQ(csvs(evaluate_store(store, agents, rows, small, false)), fresh);
  EXPECT_EQ(csvs(evaluate_store(store, agents, rows, small, false)), fresh);
  EXPECT_EQ(small.stats().entries, 5u);
  EXPECT_EQ(small.stats().not_kept, 2 * (rows.size() - 5));
  EXPECT_EQ(small.stats().hits, 5u) << "the first rows stay; the rest is prepared each time";
}

// A store rewritten in the same directory holds other scenes at the same rows: the cache must
// not serve the old ones.
TEST(RealData, ScoringCacheDoesNotServeTheScenesOfARewrittenStore) {
  const auto dir = fs::temp_directory_path() / ("autoscale-eval-rewritten-" + std::to_string(::getpid()));
  const auto agent = make_agent("constant_velocity");
  ScoringCache cache(recorded_size());
  const auto first = write_ngsim_store(dir, "USA_US101-4_1_T-1.xml");
  const std::vector<size_t> rows{0, 1, 2};
  evaluate_store(first, {agent.get()}, rows, cache, false);
  const auto second = write_ngsim_store(dir, "USA_Peach-4_8_T-1.xml");
  ASSERT_NE(second.index()[0].token, first.index()[0].token);
  const auto cached = evaluate_store(second, {agent.get()}, rows, cache, false);
  EXPECT_EQ(cache.stats().hits, 0u);
  EXPECT_EQ(report_csv(cached[0]), report_csv(evaluate_store(second, *agent, recorded_size(), rows, false)));
  EXPECT_EQ(cached[0].scenes[0].token, second.index()[0].token);
  evaluate_store(second, {agent.get()}, rows, cache, false);
  EXPECT_EQ(cache.stats().hits, rows.size()) << "the replaced entries serve the new store";
  fs::remove_all(dir);
}

// Perturbed starts (synthetic data): PDM-Closed labels a future from the perturbed state. Counts
// the samples without a DAC or at-fault collision failure, and those ending on one of
// PDM-Closed's paths along their lane.
struct RecoveryCounts {
  size_t labelled = 0, clean = 0, back_to_lane = 0;
};

RecoveryCounts pseudo_expert_recovery(const scene::SceneStore& store) {
  scene::PerturbOptions options;
  RecoveryCounts n;
  for (size_t i = 0; i < store.size(); ++i) {
    const auto real = store.read(i);
    const auto start = scene::perturb_start(real, scene::draw_perturbation(options, 0, real.token, 0), 0);
    const auto map = store.map(start.map_id);
    const auto label = label_with_pdm_closed(start, map, recorded_size(), 40);
    EXPECT_EQ(label.future.size(), 40u);
    ++n.labelled;
    n.clean += label.scores.dac == 1.0 && label.scores.nc == 1.0;
    const auto cache = MetricCache::build(inputs_from_scene(start, map), recorded_size());
    const auto& line = cache.route().centerline;
    const auto& e1 = label.future.back();
    // PDM-Closed drives its lane's centerline or a path 1 m beside it (whichever scores best:
    // returning 1.5 m within 4 s can cost comfort), so "back" means within 1.1 m of the centerline.
    n.back_to_lane += line.distance({e1.x, e1.y}) <= 1.1;
  }
  return n;
}

TEST(RealData, PseudoExpertRecoversFromPerturbedStarts) {
  const auto n = pseudo_expert_recovery(ngsim_store());
  std::printf("NGSIM perturbed starts: %zu of %zu labels without DAC/NC failure, %zu back to the lane\n", n.clean,
              n.labelled, n.back_to_lane);
  // Dense highway queues: a 1.5 m shift often lands on a neighbour. Measured: 42 of 86 clean.
  EXPECT_GE(n.clean * 10, n.labelled * 4);
  EXPECT_GE(n.back_to_lane * 10, n.labelled * 8);
}

// SUMO's experts, scored by the PDM evaluator: they stay on the drivable area.
TEST(RealData, SumoExpertStaysOnTheDrivableArea) {
  if (std::system("command -v netgenerate >/dev/null 2>&1") != 0) GTEST_SKIP() << "SKIPPED: SUMO is not installed";
  const auto dir = fs::temp_directory_path() / ("autoscale-eval-sumo-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  scene::SumoOptions o;
  o.duration_s = 60;
  o.warmup_s = 10;
  o.max_egos_per_world = 6;
  const auto world = scene::generate_sumo_world(o, 3, 0, (dir / "work").string());
  {
    scene::SceneStoreWriter w((dir / "store").string(), {});
    w.add_map(world.map);
    for (const auto& s : world.scenes) w.add(s);
    w.close();
  }
  const auto report =
      evaluate_store(scene::SceneStore::open((dir / "store").string()), *make_agent("human"), recorded_size(), 0, false);
  size_t on_road = 0;
  for (const auto& s : report.scenes) on_road += s.valid && s.scores.dac == 1.0;
  std::printf("SUMO expert: DAC 1 in %zu of %zu scenes\n", on_road, report.scenes.size());
  // Measured: 89% here, 94.5% on the default 120 s world; the misses are corners sweeping past
  // the junction polygon in tight turns.
  EXPECT_GE(on_road * 100, report.scenes.size() * 85) << report_table(report);
  fs::remove_all(dir);
}

// ---- nuScenes-mini (ScenarioNet pickles from ../shared, imported with the Python importer) ----

const std::string kNuscenes = std::string(AUTOSCALE_SHARED_DIR) + "/data-samples/nuscenes-scenarionet";

const scene::SceneStore* nuscenes_store() {
  static const std::unique_ptr<scene::SceneStore> store = []() -> std::unique_ptr<scene::SceneStore> {
    if (!fs::is_directory(kNuscenes)) return nullptr;
    const auto dir = scene::testing::removed_at_exit(scene::testing::temp_dir("eval-nusc"));
    const std::string cmd = std::string(AUTOSCALE_PYTHON) + " " + AUTOSCALE_SCRIPTS_DIR +
                            "/import_scenarionet.py --quiet --out " + dir.string() + " " + kNuscenes + "/*.pkl";
    if (std::system(cmd.c_str()) != 0) return nullptr;
    return std::make_unique<scene::SceneStore>(scene::SceneStore::open(dir.string()));
  }();
  return store.get();
}

#define REQUIRE_NUSCENES()                                                                   \
  if (!fs::is_directory(kNuscenes)) GTEST_SKIP() << "SKIPPED: " << kNuscenes << " is absent"; \
  ASSERT_NE(nuscenes_store(), nullptr) << "the ScenarioNet import failed"

TEST(RealData, NuscenesExpertHasNoAtFaultCollisionAndStaysOnTheRoad) {
  REQUIRE_NUSCENES();
  const auto report = evaluate_store(*nuscenes_store(), *make_agent("human"), recorded_size(), 0, false);
  ASSERT_EQ(report.valid(), report.scenes.size());
  size_t collisions = 0, off_road = 0;
  for (const auto& s : report.scenes) {
    collisions += s.scores.nc < 1.0;
    off_road += s.scores.dac == 0.0;
  }
  // Measured on the 119 windows: 1 collision, 12 off-road, all at three junction turns where
  // the car sweeps past the lane polygons (the samples carry no drivable-area layer).
  EXPECT_LE(collisions, report.scenes.size() * 2 / 100) << report_table(report);
  EXPECT_LE(off_road, report.scenes.size() * 15 / 100) << report_table(report);
}

TEST(RealData, NuscenesAgentsRankAndShiftBreaksDac) {
  REQUIRE_NUSCENES();
  const auto& store = *nuscenes_store();
  const double human = evaluate_store(store, *make_agent("human"), recorded_size(), 0, false).mean().score;
  const double cv = evaluate_store(store, *make_agent("constant_velocity"), recorded_size(), 0, false).mean().score;
  const double pdm = evaluate_store(store, *make_agent("pdm_closed"), recorded_size(), 0, false).mean().score;
  std::printf("nuScenes PDMS: human %.3f, constant velocity %.3f, PDM-Closed %.3f\n", human, cv, pdm);
  EXPECT_GT(human, cv + 0.05);
  EXPECT_GT(pdm, cv + 0.1);
  // The plan shifted 3 m sideways (the urban roads here are one or two lanes each way).
  size_t broken = 0;
  for (double shift : {3.0, -3.0}) {
    for (const auto& s : evaluate_store(store, Shifted(make_agent("human"), shift), recorded_size(), 0, false).scenes) {
      broken += s.scores.dac == 0.0;
    }
  }
  std::printf("3 m shifted plans leave the road in %zu of %zu cases\n", broken, 2 * store.size());
  EXPECT_GE(broken * 2, store.size());
}

TEST(RealData, NuscenesPseudoExpertRecoversFromPerturbedStarts) {
  REQUIRE_NUSCENES();
  const auto n = pseudo_expert_recovery(*nuscenes_store());
  std::printf("nuScenes perturbed starts: %zu of %zu labels without DAC/NC failure, %zu back to the lane\n", n.clean,
              n.labelled, n.back_to_lane);
  EXPECT_GE(n.clean * 10, n.labelled * 7);  // "in most samples"
  // Measured 164 of 208 (179 before NAVSIM's route correction was reproduced, issue 17). The
  // ScenarioNet importer's routes list every successor of the last lane, i.e. sibling connectors
  // through one junction, which nuPlan routes never do; NAVSIM's gap filling and
  // remove_route_loops then cut or detour those routes (scenes 0103, 0655, 0757).
  EXPECT_GE(n.back_to_lane * 100, n.labelled * 75);
}

TEST(RealData, NuscenesV2PairsConsecutiveFramesForExtendedComfort) {
  REQUIRE_NUSCENES();
  EvalOptions v2 = recorded_size();
  v2.version = PdmsVersion::kV2;
  const auto report = evaluate_store(*nuscenes_store(), *make_agent("human"), v2, 0, false);
  std::map<std::string, size_t> without_predecessor;
  std::set<std::string> logs;
  for (const auto& s : report.scenes) {
    ASSERT_TRUE(s.valid) << s.error;
    const std::string log = s.token.substr(0, s.token.rfind('-'));
    logs.insert(log);
    if (std::isnan(s.scores.ec)) {
      without_predecessor[log]++;
      EXPECT_NEAR(s.scores.score, s.scores.nc * s.scores.dac * s.scores.ddc * s.scores.tlc *
                                      (5 * s.scores.ep + 5 * s.scores.ttc + 2 * s.scores.lk + 2 * s.scores.hc) / 14,
                  1e-12);
    } else {
      EXPECT_TRUE(s.scores.ec == 0.0 || s.scores.ec == 1.0);
    }
  }
  // Windows are 0.5 s apart: only the first window of each recording has no predecessor.
  EXPECT_EQ(without_predecessor.size(), logs.size());  // 7 recordings in ../shared now (4 before)
  for (const auto& [log, n] : without_predecessor) EXPECT_EQ(n, 1u) << log;
}

}  // namespace
}  // namespace autoscale::eval
