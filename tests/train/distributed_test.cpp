// Data-parallel training with a Gloo process group on CPU: ranks run as threads of this process
// (each its own group member over loopback TCP), on real NGSIM recordings.
#include "autoscale/train/distributed.h"

#include "collectives.h"  // private to train: the tensor operations

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <thread>

#include "../error_of.h"
#include "autoscale/core/error.h"
#include "autoscale/train/planner.h"
#include "autoscale/train/trainer.h"
#include "ngsim_fixture.h"
#include "ranks_fixture.h"

namespace autoscale::train {
namespace {

using testing::error_of;

TEST(Distributed, CollectivesSumBroadcastAndGather) {
  if (!distributed_supported()) GTEST_SKIP() << "libtorch without Gloo";
  on_ranks(3, [](int rank, std::shared_ptr<ProcessGroup> g) {
    torch::Tensor x = torch::full({4}, static_cast<float>(rank + 1));
    Collectives::allreduce_sum(*g, x);
    EXPECT_TRUE(torch::equal(x, torch::full({4}, 6.0f)));
    torch::Tensor y = torch::full({2}, static_cast<float>(rank));
    Collectives::broadcast(*g, y, 2);
    EXPECT_TRUE(torch::equal(y, torch::full({2}, 2.0f)));
    const auto all = Collectives::allgather(*g, torch::full({3}, static_cast<int64_t>(10 * rank)));
    ASSERT_EQ(all.size(), 3u);
    for (int r = 0; r < 3; ++r) EXPECT_EQ(all[static_cast<size_t>(r)][1].item<int64_t>(), 10 * r);
    g->barrier();
  });
}

TEST(Distributed, TwoRanksFollowTheSingleProcessRunWithTheSameGlobalBatch) {
  if (!distributed_supported()) GTEST_SKIP() << "libtorch without Gloo";
  const auto d = dataset();
  auto o = small_training("transformer", 30);
  o.planner.dropout = 0;  // ranks drop out different units by design; without dropout the math is the same
  o.mirror = 0.5;         // mirrored by slot in the global batch: the same samples on 1 or 2 ranks
  const MixtureSpec mix = two_groups(d, 0.6, 0.4);

  TempDir single_dir, ddp_dir;
  TrainRun run = quiet_run(single_dir.path, 5);
  Planner single(o.planner, d.graph(), 5, "cpu");
  const auto single_report = train_planner(single, d, mix, o, run);

  // Rank 1 starts from other weights: the broadcast from rank 0 must make them equal.
  std::vector<Planner> ranks;
  ranks.emplace_back(o.planner, d.graph(), 5, "cpu");
  ranks.emplace_back(o.planner, d.graph(), 77, "cpu");
  std::vector<TrainReport> reports(2);
  on_ranks(2, [&](int rank, std::shared_ptr<ProcessGroup> g) {
    TrainRun r = run;
    r.out_dir = ddp_dir.path;
    r.group = std::move(g);
    reports[static_cast<size_t>(rank)] = train_planner(ranks[static_cast<size_t>(rank)], d, mix, o, r);
  });
  EXPECT_EQ(reports[0].steps, 30);
  EXPECT_EQ(reports[0].world, 2);
  EXPECT_EQ(reports[0].drawn, single_report.drawn) << "every rank draws the same global stream";
  const auto rows = all_rows(d);
  const auto p0 = ranks[0].predict(d, rows), p1 = ranks[1].predict(d, rows), p = single.predict(d, rows);
  ASSERT_EQ(p0.size(), p.size());
  EXPECT_EQ(p0, p1) << "the ranks hold one model";
  double worst = 0;
  for (size_t i = 0; i < p.size(); ++i) worst = std::max(worst, std::abs(double(p0[i]) - double(p[i])));
  // Only the summation order differs (half-batch means averaged vs one mean): float rounding.
  EXPECT_LT(worst, 1e-4) << "metres, over " << p.size() << " predicted coordinates";
  EXPECT_NEAR(reports[0].last_loss, single_report.last_loss, 1e-4 * std::abs(single_report.last_loss) + 1e-6);
  EXPECT_TRUE(fs::exists(ddp_dir.path + "/planner.pt"));
  EXPECT_TRUE(fs::exists(ddp_dir.path + "/checkpoint.pt"));
}

TEST(Distributed, ACheckpointResumesOnlyWithTheWorldThatWroteIt) {
  if (!distributed_supported()) GTEST_SKIP() << "libtorch without Gloo";
  const auto d = dataset();
  auto o = small_training("ego_mlp", 20);
  TempDir dir;
  TrainRun run;
  run.show_progress = false;
  run.out_dir = dir.path;
  run.stop_after = 10;
  std::vector<Planner> ranks;
  for (int r = 0; r < 2; ++r) ranks.emplace_back(o.planner, d.graph(), 1, "cpu");
  on_ranks(2, [&](int rank, std::shared_ptr<ProcessGroup> g) {
    TrainRun r = run;
    r.group = std::move(g);
    train_planner(ranks[static_cast<size_t>(rank)], d, MixtureSpec::uniform_over(d.size()), o, r);
  });
  run.stop_after = -1;
  run.resume = true;
  Planner alone(o.planner, d.graph(), 1, "cpu");
  const std::string error = error_of([&] { train_planner(alone, d, MixtureSpec::uniform_over(d.size()), o, run); });
  EXPECT_NE(error.find("checkpoint.pt: written by 2 data-parallel rank(s); resume it with the same number, not 1"),
            std::string::npos)
      << error;
}

TEST(Distributed, TheGlobalBatchMustSplitEvenly) {
  if (!distributed_supported()) GTEST_SKIP() << "libtorch without Gloo";
  const auto d = dataset();
  auto o = small_training("ego_mlp", 5);
  o.batch = 15;
  TempDir dir;
  std::vector<Planner> ranks;
  for (int r = 0; r < 2; ++r) ranks.emplace_back(o.planner, d.graph(), 1, "cpu");
  std::vector<std::string> errors(2);
  on_ranks(2, [&](int rank, std::shared_ptr<ProcessGroup> g) {
    TrainRun r;
    r.out_dir = dir.path;
    r.show_progress = false;
    r.group = std::move(g);
    errors[static_cast<size_t>(rank)] =
        error_of([&] { train_planner(ranks[static_cast<size_t>(rank)], d, MixtureSpec::uniform_over(d.size()), o, r); });
  });
  for (const auto& e : errors) EXPECT_NE(e.find("train.batch 15 is the global batch: it must split evenly over 2 ranks"), std::string::npos) << e;
}

TEST(DistributedEnv, ReadsLaunchersAndSlurmAndNamesBadValues) {
  EXPECT_EQ(first_slurm_host("gpu[03-04,07],cpu1"), "gpu03");
  EXPECT_EQ(first_slurm_host("node7"), "node7");
  EXPECT_EQ(first_slurm_host("a,b"), "a");
  EXPECT_EQ(first_slurm_host("rack1-n[12-13]-ib"), "rack1-n12-ib");
  for (const char* v : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID",
                        "SLURM_STEP_NUM_TASKS", "SLURM_LOCALID", "SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_JOB_ID"}) {
    unsetenv(v);
  }
  EXPECT_EQ(DistributedEnv::from_environment().world, 1);
  setenv("SLURM_STEP_NUM_TASKS", "4", 1);
  setenv("SLURM_PROCID", "3", 1);
  setenv("SLURM_LOCALID", "1", 1);
  setenv("SLURM_STEP_NODELIST", "gpu[12-13]", 1);
  setenv("SLURM_JOB_ID", "123456", 1);
  auto e = DistributedEnv::from_environment();
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.master_addr, "gpu12");
  EXPECT_EQ(e.master_port, 20000 + 123456 % 20000);
  setenv("WORLD_SIZE", "2", 1);  // an explicit launcher wins over Slurm
  setenv("RANK", "1", 1);
  setenv("MASTER_ADDR", "10.0.0.1", 1);
  setenv("MASTER_PORT", "1234", 1);
  e = DistributedEnv::from_environment();
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.world, 2);
  EXPECT_EQ(e.master_addr, "10.0.0.1");
  EXPECT_EQ(e.master_port, 1234);
  setenv("RANK", "2", 1);
  EXPECT_NE(error_of([] { DistributedEnv::from_environment(); }).find("RANK=\"2\": expected an integer in [0, 1]"),
            std::string::npos);
  setenv("RANK", "0", 1);
  setenv("MASTER_PORT", "http", 1);
  EXPECT_NE(error_of([] { DistributedEnv::from_environment(); }).find("MASTER_PORT=\"http\""), std::string::npos);
  for (const char* v : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID", "SLURM_STEP_NUM_TASKS",
                        "SLURM_LOCALID", "SLURM_STEP_NODELIST", "SLURM_JOB_ID"}) {
    unsetenv(v);
  }
}

}  // namespace
}  // namespace autoscale::train
