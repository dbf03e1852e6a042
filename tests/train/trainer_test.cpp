// The planner, its inputs and the trainer on real NGSIM recordings (tests/data, BSD-3).
#include "autoscale/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <thread>
#include <filesystem>
#include <fstream>

#include "autoscale/core/error.h"
#include "autoscale/core/termination.h"
#include "autoscale/eval/agents.h"
#include "autoscale/eval/metric_cache.h"
#include "autoscale/import/commonroad.h"
#include "autoscale/train/planner.h"
#include "ngsim_fixture.h"
#include "planner_net.h"

namespace autoscale::train {
namespace {

TEST(PlannerInput, TargetIsTheRecordedFutureInTheFrameTheScorerUses) {
  const auto& r = ngsim();
  const auto human = eval::make_agent("human");
  for (size_t i = 0; i < r.scenes.size(); i += 7) {
    const auto sample = build_planner_sample(r.scenes[i], *r.maps[i], small_graph());
    ASSERT_EQ(sample.target.size(), size_t(kTargetSize));
    ASSERT_EQ(sample.prior.size(), size_t(kTargetSize));
    ASSERT_EQ(sample.path.size(), size_t(kPathInput));
    ASSERT_EQ(sample.ego.size(), size_t(kEgoInput));
    const auto cache = eval::MetricCache::build(eval::inputs_from_scene(r.scenes[i], r.maps[i]), {});
    const auto plan = human->plan(r.scenes[i], cache);
    for (int k = 0; k < kPlanPoses; ++k) {
      EXPECT_NEAR(sample.target[3 * k], plan.poses[k].x, 1e-3);
      EXPECT_NEAR(sample.target[3 * k + 1], plan.poses[k].y, 1e-3);
    }
    // The centerline starts where the ego is (within a lane width) and the prior never backs up.
    EXPECT_LT(std::hypot(sample.path[0], sample.path[1]), 3.0);
    EXPECT_GE(sample.prior[3 * 7], sample.prior[0] - 0.05);  // stopped egos re-centre in place
  }
}

TEST(PlannerInput, CenterlinePriorIsCloserToTheExpertThanDrivingStraight) {
  // Real drivers follow their lanes: the route-centerline prior should beat constant velocity.
  const auto d = dataset();
  double prior = 0, straight = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    const auto& s = d.sample(i);
    const double v = s.ego[0];
    prior += std::hypot(s.prior[21] - s.target[21], s.prior[22] - s.target[22]);
    straight += std::hypot(v * 4.0 - s.target[21], s.target[22]);
  }
  EXPECT_LT(prior, straight) << "4 s displacement error summed over " << d.size() << " scenes";
}

TEST(Planner, GatedPlannerStartsAsTheEgoMlpAndOpensItsGateWithTraining) {
  const auto d = dataset();
  const auto rows = all_rows(d);
  const auto o = small_training("gated", 60);
  auto mlp_options = o.planner;
  mlp_options.kind = "ego_mlp";
  Planner gated(o.planner, d.graph(), 5, "cpu"), mlp(mlp_options, d.graph(), 5, "cpu");
  // Same seed, the ego MLP is built first: at a closed gate the scene residual adds exactly 0.
  EXPECT_EQ(gated.predict(d, rows), mlp.predict(d, rows));
  EXPECT_GT(gated.parameters(), mlp.parameters());
  TempDir dir;
  const auto gate = [&] { return gated.impl().net->named_parameters()["gate"].abs().sum().item<double>(); };
  EXPECT_EQ(gate(), 0.0);
  train_planner(gated, d, MixtureSpec::uniform_over(d.size()), o, quiet_run(dir.path, 5));
  EXPECT_GT(gate(), 1e-4) << "training must open the gate where the scene residual lowers the loss";
}

TEST(Trainer, LossFallsAndTheModelRoundTrips) {
  const auto d = dataset();
  for (const std::string kind : {"transformer", "ego_mlp", "gated"}) {
    TempDir dir;
    Planner planner(small_training(kind, 60).planner, d.graph(), 1, "cpu");
    const auto untrained = l2_at_seconds(d, all_rows(d), planner.predict(d, all_rows(d)));
    TrainRun run;
    run.out_dir = dir.path;
    run.show_progress = false;
    run.validation = &d;
    const auto report = train_planner(planner, d, MixtureSpec::uniform_over(d.size()), small_training(kind, 60), run);
    EXPECT_EQ(report.steps, 60);
    ASSERT_EQ(report.val_l2.size(), 4u);
    EXPECT_LT(report.val_l2[3], untrained[3]) << kind << ": training must reduce the 4 s displacement error";
    std::ifstream metrics(dir.path + "/metrics.jsonl");
    std::string first, line, last;
    std::getline(metrics, first);
    while (std::getline(metrics, line)) last = line;
    const auto loss = [](const std::string& l) { return std::stod(l.substr(l.find("\"loss\":") + 7)); };
    EXPECT_LT(loss(last), loss(first)) << kind << ": " << first << " -> " << last;

    const auto rows = all_rows(d);
    const auto before = planner.predict(d, rows);
    const Planner loaded = Planner::load(dir.path + "/planner.pt", "cpu");
    EXPECT_EQ(loaded.predict(d, rows), before) << kind;
    EXPECT_EQ(Planner::load(dir.path + "/checkpoint.pt", "cpu").predict(d, rows), before) << kind;
  }
}

TEST(Trainer, ResumedRunIsBitIdenticalToAnUninterruptedOne) {
  const auto d = dataset();
  auto o = small_training("transformer", 40);  // dropout on: the RNG state must be restored too
  o.mirror = 0.5;                              // and the mirrored samples must be the same ones
  const MixtureSpec mix = two_groups(d, 0.7, 0.3);
  TempDir whole, parts;
  TrainRun run = quiet_run(whole.path, 9);
  Planner a(o.planner, d.graph(), 9, "cpu");
  train_planner(a, d, mix, o, run);

  run.out_dir = parts.path;
  run.stop_after = 20;  // "killed" after the checkpoint at step 20
  Planner b(o.planner, d.graph(), 9, "cpu");
  EXPECT_EQ(train_planner(b, d, mix, o, run).steps, 20);
  EXPECT_FALSE(fs::exists(parts.path + "/planner.pt"));
  run.stop_after = -1;
  run.resume = true;
  Planner c(o.planner, d.graph(), 123, "cpu");  // fresh weights: everything must come from the checkpoint
  EXPECT_EQ(train_planner(c, d, mix, o, run).steps, 40);
  const auto rows = all_rows(d);
  EXPECT_EQ(c.predict(d, rows), a.predict(d, rows));
  // The metrics of the resumed run match too, line by line.
  std::ifstream m1(whole.path + "/metrics.jsonl"), m2(parts.path + "/metrics.jsonl");
  std::string l1, l2;
  int lines = 0;
  while (std::getline(m1, l1)) {
    ASSERT_TRUE(std::getline(m2, l2));
    EXPECT_EQ(l1.substr(l1.find("\"loss\""), 30), l2.substr(l2.find("\"loss\""), 30));
    ++lines;
  }
  EXPECT_EQ(lines, 8);
}

TEST(Trainer, SigtermCheckpointsAndTheResumedRunIsBitIdentical) {
  // What Slurm does before it preempts or requeues a job: SIGTERM, then (later) SIGKILL.
  install_termination_handler();
  clear_termination_request();
  const auto d = dataset();
  auto o = small_training("transformer", 150);  // dropout on
  o.checkpoint_every = 1000;                    // only the signal writes a checkpoint
  TempDir whole, parts;
  TrainRun run = quiet_run(whole.path, 3);
  Planner a(o.planner, d.graph(), 3, "cpu");
  train_planner(a, d, MixtureSpec::uniform_over(d.size()), o, run);

  run.out_dir = parts.path;
  std::atomic<bool> done{false};
  std::thread signaller([&] {  // as soon as training is under way (its first metrics line)
    while (!done && (!fs::exists(parts.path + "/metrics.jsonl") || fs::file_size(parts.path + "/metrics.jsonl") == 0)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!done) ::kill(::getpid(), SIGTERM);
  });
  Planner b(o.planner, d.graph(), 3, "cpu");
  std::string message;
  int signal = 0;
  try {
    train_planner(b, d, MixtureSpec::uniform_over(d.size()), o, run);
  } catch (const Interrupted& e) {
    message = e.what();
    signal = e.signal();
  }
  done = true;
  signaller.join();
  clear_termination_request();
  ASSERT_EQ(signal, SIGTERM) << "the run finished before the signal arrived";
  EXPECT_NE(message.find("train: stopped by SIGTERM after step "), std::string::npos) << message;
  EXPECT_NE(message.find("checkpoint saved: " + parts.path + "/checkpoint.pt (continue with --resume)"), std::string::npos)
      << message;
  EXPECT_TRUE(fs::exists(parts.path + "/checkpoint.pt"));
  EXPECT_FALSE(fs::exists(parts.path + "/planner.pt"));

  run.resume = true;
  Planner c(o.planner, d.graph(), 123, "cpu");
  EXPECT_EQ(train_planner(c, d, MixtureSpec::uniform_over(d.size()), o, run).steps, 150);
  const auto rows = all_rows(d);
  EXPECT_EQ(c.predict(d, rows), a.predict(d, rows));
}

TEST(PlannerInput, MirrorFlipsEveryLateralQuantityAndTwiceIsTheIdentity) {
  const auto& r = ngsim();
  int turning = 0;
  for (size_t i = 0; i < r.scenes.size(); i += 5) {
    const auto original = build_planner_sample(r.scenes[i], *r.maps[i], small_graph());
    PlannerSample m = original;
    mirror_planner_sample(m, small_graph());
    for (int k = 0; k < kPlanPoses; ++k) {
      EXPECT_EQ(m.target[3 * k], original.target[3 * k]);           // longitudinal kept
      EXPECT_EQ(m.target[3 * k + 1], -original.target[3 * k + 1]);  // lateral and yaw flipped
      EXPECT_EQ(m.target[3 * k + 2], -original.target[3 * k + 2]);
      EXPECT_EQ(m.prior[3 * k + 1], -original.prior[3 * k + 1]);
    }
    EXPECT_EQ(m.ego[0], original.ego[0]);
    EXPECT_EQ(m.ego[3], original.ego[5]) << "left and right commands swap";
    EXPECT_EQ(m.ego[4], original.ego[4]);
    EXPECT_EQ(m.path[1], -original.path[1]);
    for (int a = 0; a < small_graph().max_agents; ++a) {
      if (!original.agent_mask[a]) continue;
      EXPECT_EQ(m.agents[a * kAgentInput + 4], original.agents[a * kAgentInput + 4]);
      EXPECT_EQ(m.agents[a * kAgentInput + 5], -original.agents[a * kAgentInput + 5]);
      EXPECT_EQ(m.agents[a * kAgentInput + 7], -original.agents[a * kAgentInput + 7]) << "heading sin";
    }
    // The prior-to-target geometry is preserved: a mirrored scene is a scene.
    EXPECT_NEAR(std::hypot(m.prior[21] - m.target[21], m.prior[22] - m.target[22]),
                std::hypot(original.prior[21] - original.target[21], original.prior[22] - original.target[22]), 1e-5);
    if (std::abs(original.target[22]) > 1.0) ++turning;
    mirror_planner_sample(m, small_graph());
    EXPECT_EQ(m.target, original.target);
    EXPECT_EQ(m.agents, original.agents);
    EXPECT_EQ(m.lanes, original.lanes);
    EXPECT_EQ(m.ego, original.ego);
  }
  EXPECT_GT(turning, 0) << "some scenes must move laterally for the test to mean anything";
}

TEST(Trainer, NonFiniteLossStopsWithTheLastGoodCheckpointIntact) {
  auto d = dataset();
  PlannerDataset poisoned(d.graph());
  for (size_t i = 0; i < d.size(); ++i) {
    PlannerSample s = d.sample(i);
    s.target[4] = NAN;  // every sample: the first batch after the checkpoint fails
    poisoned.add(std::move(s), d.info(i));
  }
  TempDir dir;
  auto o = small_training("ego_mlp", 30);
  Planner planner(o.planner, d.graph(), 1, "cpu");
  TrainRun run;
  run.out_dir = dir.path;
  run.show_progress = false;
  try {
    train_planner(planner, poisoned, MixtureSpec::uniform_over(d.size()), o, run);
    FAIL() << "a NaN target must stop training";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("loss is nan at step 0"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir.path + "/checkpoint.pt"));
  EXPECT_FALSE(fs::exists(dir.path + "/planner.pt"));
}

TEST(Trainer, LearningRateWarmsUpThenDecays) {
  TrainOptions o;
  o.lr = 1.0;
  o.warmup_steps = 10;
  o.min_lr_ratio = 0.1;
  EXPECT_NEAR(learning_rate(o, 0, 100), 1.0 / 11, 1e-12);
  EXPECT_NEAR(learning_rate(o, 10, 100), 1.0, 1e-12);
  EXPECT_NEAR(learning_rate(o, 100, 100), 0.1, 1e-12);
  EXPECT_GT(learning_rate(o, 40, 100), learning_rate(o, 60, 100));
}

TEST(Planner, BadFilesAreRejectedByName) {
  TempDir dir;
  fs::create_directories(dir.path);
  const std::string junk = dir.path + "/junk.pt";
  std::ofstream(junk) << "not a model";
  EXPECT_THROW(Planner::load(junk, "cpu"), Error);
  EXPECT_THROW(Planner::load(dir.path + "/missing.pt", "cpu"), Error);
  PlannerOptions bad;
  bad.kind = "diffusion";
  EXPECT_THROW(Planner(bad, small_graph(), 0, "cpu"), Error);
}

std::string planner_load_error(const std::string& path) {
  try {
    Planner::load(path, "cpu");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// planner.pt's options are written through visit() with a format tag (issue 18): format 1
// (JSON, field by field) still reads, a field out of its range is refused by name as in a
// config, a foreign tag is refused. The metadata is read before the weights, so an archive of
// metadata only that gets as far as "no model weights" had metadata that was accepted.
TEST(Planner, OptionsTravelThroughVisitWithAFormatTag) {
  TempDir dir;
  fs::create_directories(dir.path);
  PlannerOptions o;
  o.kind = "ego_mlp";
  o.mlp_hidden = 24;
  const std::string path = dir.path + "/planner.pt";
  Planner(o, small_graph(), 3, "cpu").save(path);
  const Planner back = Planner::load(path, "cpu");
  EXPECT_EQ(back.options().kind, "ego_mlp");
  EXPECT_EQ(back.options().mlp_hidden, 24);
  EXPECT_EQ(back.graph().max_agents, small_graph().max_agents);
  EXPECT_EQ(back.graph().radius_m, small_graph().radius_m);
  const auto meta_only = [&](const std::string& name, const std::string& meta) {
    torch::serialize::OutputArchive out;
    out.write("meta", c10::IValue(meta));
    const std::string file = dir.path + "/" + name;
    out.save_to(file);
    return planner_load_error(file);
  };
  const std::string v1 = R"({"format": "autoscale-planner/1", "planner": {"kind": "ego_mlp", "d_model": 128, )"
                         R"("layers": 3, "heads": 4, "feedforward": 256, "dropout": 0.1, "mlp_hidden": 24}, )"
                         R"("graph": {"max_agents": 8, "max_lanes": 12, "radius_m": 50.0, "lane_points": 10, )"
                         R"("agent_neighbours": 4, "lanes_per_actor": 2}})";
  EXPECT_EQ(meta_only("v1.pt", v1), dir.path + "/v1.pt: no model weights");
  std::string bad = v1;
  bad.replace(bad.find("\"dropout\": 0.1"), 14, "\"dropout\": 2.0");
  EXPECT_NE(meta_only("bad.pt", bad).find("bad.pt:1: planner.dropout: "), std::string::npos)
      << meta_only("bad.pt", bad);
  EXPECT_EQ(meta_only("rae.pt", "format: autoscale-graph-rae/1\n"),
            dir.path + "/rae.pt: unsupported planner file format \"autoscale-graph-rae/1\" (this build reads "
                       "autoscale-planner/1, autoscale-planner/2)");
  EXPECT_EQ(meta_only("none.pt", "planner: {kind: ego_mlp}\n"),
            dir.path + "/none.pt: not an autoscale planner file (its metadata has no format tag)");
}

}  // namespace
}  // namespace autoscale::train
