// The CUDA path (label `gpu`, run by scripts/gpu-check.sh): device placement, bf16 autocast,
// checkpoints that cross from GPU to CPU, the Graph-RAE on the device, and a process group whose
// CUDA tensors go over NCCL. On a machine without a CUDA device every test skips, unless
// AUTOSCALE_GPU_TEST_DEVICE=cpu asks for a rehearsal of the same code on the CPU (the script's
// --cpu-dry-run), so that the GPU run finds tests that already ran once.
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <thread>

#include "autoscale/encode/graph_rae.h"
#include "autoscale/store/features.h"
#include "autoscale/train/distributed.h"
#include "autoscale/train/trainer.h"
#include "collectives.h"
#include "ngsim_fixture.h"
#include "ranks_fixture.h"
#include "planner_net.h"

namespace autoscale::train {
namespace {

// "cuda" on a GPU machine, "cpu" for a rehearsal, "" to skip.
std::string accelerator() {
  if (torch::cuda::is_available()) return "cuda";
  const char* forced = std::getenv("AUTOSCALE_GPU_TEST_DEVICE");
  return forced && std::string(forced) == "cpu" ? "cpu" : "";
}

#define REQUIRE_ACCELERATOR(dev)                                                                      \
  const std::string dev = accelerator();                                                               \
  if (dev.empty()) GTEST_SKIP() << "no CUDA device (AUTOSCALE_GPU_TEST_DEVICE=cpu rehearses on the CPU)"

std::map<std::string, torch::Tensor> parameters_on_cpu(const Planner& p) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& kv : p.impl().net->named_parameters()) out[kv.key()] = kv.value().detach().to(torch::kCPU).clone();
  return out;
}

double mean_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += std::abs(a[i] - b[i]);
  return sum / std::max<size_t>(a.size(), 1);
}

TEST(GpuTraining, Fp32OnTheDeviceFollowsTheCpuRun) {
  REQUIRE_ACCELERATOR(dev);
  const auto d = dataset();
  const auto rows = all_rows(d);
  auto o = small_training("transformer", 40);
  o.bf16 = false;
  TempDir a, b;
  Planner cpu(o.planner, d.graph(), 3, "cpu"), on_device(o.planner, d.graph(), 3, dev);
  EXPECT_EQ(on_device.device(), dev);
  const auto rc = train_planner(cpu, d, MixtureSpec::uniform_over(d.size()), o, quiet_run(a.path, 3));
  o.device = dev;
  const auto rd = train_planner(on_device, d, MixtureSpec::uniform_over(d.size()), o, quiet_run(b.path, 3));
  EXPECT_EQ(rd.device, dev);
  EXPECT_EQ(rd.steps, 40);
  // Same seed, same batches, same initial weights: the GPU's sums differ only in their order.
  EXPECT_NEAR(rd.last_loss, rc.last_loss, 0.02 * rc.last_loss + 1e-4);
  const double diff = mean_abs_difference(on_device.predict(d, rows), cpu.predict(d, rows));
  EXPECT_LT(diff, 0.05) << "mean |GPU - CPU| over every predicted coordinate, metres";
}

TEST(GpuTraining, Bf16AutocastTrainsCloseToFp32) {
  REQUIRE_ACCELERATOR(dev);
  const auto d = dataset();
  auto o = small_training("transformer", 40);
  o.device = dev;
  TempDir a, b;
  o.bf16 = false;
  Planner fp32(o.planner, d.graph(), 4, dev);
  const auto r32 = train_planner(fp32, d, MixtureSpec::uniform_over(d.size()), o, quiet_run(a.path, 4));
  o.bf16 = true;  // a no-op on the CPU: the rehearsal then checks the fp32 path twice
  Planner bf16(o.planner, d.graph(), 4, dev);
  const auto r16 = train_planner(bf16, d, MixtureSpec::uniform_over(d.size()), o, quiet_run(b.path, 4));
  ASSERT_TRUE(std::isfinite(r16.last_loss));
  EXPECT_NEAR(r16.last_loss, r32.last_loss, 0.25 * r32.last_loss) << "bf16 autocast strays from fp32";
  // The weights stay fp32 (autocast casts per operation), so the file is the same either way.
  for (const auto& kv : bf16.impl().net->named_parameters()) EXPECT_EQ(kv.value().scalar_type(), torch::kFloat32);
}

TEST(GpuCheckpoint, WrittenOnTheDeviceLoadsAndResumesOnTheCpu) {
  REQUIRE_ACCELERATOR(dev);
  const auto d = dataset();
  auto o = small_training("ego_mlp", 40);
  o.device = dev;
  TempDir dir;
  Planner killed(o.planner, d.graph(), 6, dev);
  auto run = quiet_run(dir.path, 6);
  run.stop_after = 20;  // checkpoint_every 10: the checkpoint holds step 20, as the model does
  train_planner(killed, d, MixtureSpec::uniform_over(d.size()), o, run);
  const std::string checkpoint = dir.path + "/checkpoint.pt";
  ASSERT_TRUE(fs::exists(checkpoint));

  // Read as a planner file on the CPU: the weights are the device's, bit for bit.
  const Planner loaded = Planner::load(checkpoint, "cpu");
  EXPECT_EQ(loaded.device(), "cpu");
  const auto want = parameters_on_cpu(killed);
  const auto got = parameters_on_cpu(loaded);
  ASSERT_EQ(want.size(), got.size());
  for (const auto& [name, w] : want) EXPECT_TRUE(torch::equal(w, got.at(name))) << name;

  // Resumed on the CPU (optimiser moments included), it finishes the schedule.
  o.device = "cpu";
  Planner resumed(o.planner, d.graph(), 6, "cpu");
  run.stop_after = -1;
  run.resume = true;
  const auto r = train_planner(resumed, d, MixtureSpec::uniform_over(d.size()), o, run);
  EXPECT_EQ(r.steps, 40);
  EXPECT_TRUE(std::isfinite(r.last_loss));
  const Planner final_model = Planner::load(dir.path + "/planner.pt", "cpu");
  EXPECT_EQ(final_model.parameters(), resumed.parameters());
}

TEST(GpuEncode, GraphRaeTrainsAndEmbedsOnTheDevice) {
  REQUIRE_ACCELERATOR(dev);
  const auto& r = ngsim();
  std::vector<encode::SceneGraph> graphs;
  std::vector<std::vector<float>> descriptors;
  for (size_t i = 0; i < r.scenes.size(); ++i) {
    graphs.push_back(encode::build_graph(r.scenes[i], *r.maps[i], small_graph()));
    descriptors.push_back(scene::scene_descriptor(r.scenes[i], *r.maps[i]));
  }
  encode::GraphRaeOptions o;
  o.dim = 16, o.hidden = 32, o.heads = 4, o.rounds = 2, o.epochs = 2, o.batch = 16;
  encode::GraphRae rae(small_graph(), o, 9);
  const auto stats = rae.train(graphs, descriptors);
  EXPECT_EQ(stats.device, dev);
  const auto z = rae.embed(graphs);
  ASSERT_EQ(z.size(), graphs.size() * 16);
  for (size_t i = 0; i < graphs.size(); ++i) {
    double norm = 0;
    for (int k = 0; k < 16; ++k) norm += double(z[i * 16 + k]) * z[i * 16 + k];
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-3) << "scene " << i;
  }
  // Saved from the device, read back: the same embeddings (bf16 autocast rounds on the GPU).
  TempDir dir;
  fs::create_directories(dir.path);
  rae.save(dir.path + "/rae.pt");
  encode::GraphRae again(small_graph(), o, 1);
  again.load(dir.path + "/rae.pt");
  const auto z2 = again.embed(graphs);
  EXPECT_LT(mean_abs_difference(z, z2), 1e-6);
}

TEST(GpuDistributed, ADeviceGroupReducesAndBroadcastsDeviceTensors) {
  REQUIRE_ACCELERATOR(dev);
  // One rank per GPU (one rank when there is one GPU, or on the CPU), as threads of this process.
  const int world = dev == "cuda" ? std::min<int>(2, static_cast<int>(torch::cuda::device_count())) : 1;
  std::vector<std::string> backends(static_cast<size_t>(world));
  on_ranks(
      world,
      [&](int rank, std::shared_ptr<ProcessGroup> g) {
        backends[static_cast<size_t>(rank)] = g->backend();
        const torch::Device device = dev == "cuda" ? torch::Device(torch::kCUDA, rank) : torch::Device(torch::kCPU);
        torch::Tensor x = torch::full({1000}, static_cast<float>(rank + 1), torch::TensorOptions().device(device));
        Collectives::allreduce_sum(*g, x);
        EXPECT_EQ(x.device(), device);
        EXPECT_FLOAT_EQ(x[999].item<float>(), world * (world + 1) / 2.0f);
        torch::Tensor y = torch::full({7}, static_cast<float>(10 * rank), torch::TensorOptions().device(device));
        Collectives::broadcast(*g, y, world - 1);
        EXPECT_FLOAT_EQ(y[0].item<float>(), 10.0f * (world - 1));
        g->barrier();
      },
      dev == "cuda");
  const std::string want = dev == "cuda" && nccl_supported() ? "nccl" : "gloo";
  for (const auto& b : backends) EXPECT_EQ(b, want);
  std::printf("process group: %d rank(s) on %s, backend %s\n", world, dev.c_str(), backends[0].c_str());
}

}  // namespace
}  // namespace autoscale::train
