#include "autoscale/train/distributed.h"

#include "collectives.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "autoscale/core/error.h"

#if __has_include(<gloo/context.h>)
#define AUTOSCALE_HAVE_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#else
#define AUTOSCALE_HAVE_GLOO 0
#endif
// NCCL: set by CMake for a CUDA libtorch when nccl.h was found (it also defines USE_C10D_NCCL,
// which the c10d header needs to declare the class).
#if AUTOSCALE_HAVE_GLOO && defined(AUTOSCALE_WITH_NCCL)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#include <unistd.h>

#include <functional>
#include <set>
#define AUTOSCALE_HAVE_NCCL 1
#else
#define AUTOSCALE_HAVE_NCCL 0
#endif

namespace autoscale::train {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int env_int(const char* name, int fallback, int min, int max) {
  const char* v = env(name);
  if (!v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  AUTOSCALE_CHECK(end && *end == '\0' && x >= min && x <= max, "environment variable {}={}: expected an integer in [{}, {}]",
                  name, quote(v), min, max);
  return static_cast<int>(x);
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // Cut at the first comma outside brackets, then expand only the first range of a bracket.
  std::string first;
  int depth = 0;
  for (char c : nodelist) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) break;
    first += c;
  }
  const auto open = first.find('[');
  if (open == std::string::npos) return first;
  const auto close = first.find(']', open);
  AUTOSCALE_CHECK(close != std::string::npos, "Slurm node list {}: unbalanced '['", quote(nodelist));
  std::string range = first.substr(open + 1, close - open - 1);
  range = range.substr(0, range.find(','));
  range = range.substr(0, range.find('-'));
  return first.substr(0, open) + range + first.substr(close + 1);
}

DistributedEnv DistributedEnv::from_environment() {
  DistributedEnv e;
  if (env("WORLD_SIZE")) {
    e.world = env_int("WORLD_SIZE", 1, 1, 1 << 20);
    e.rank = env_int("RANK", -1, 0, e.world - 1);
    AUTOSCALE_CHECK(e.rank >= 0, "environment variable WORLD_SIZE={} is set, RANK is not", e.world);
    e.local_rank = env_int("LOCAL_RANK", e.rank, 0, e.world - 1);
    e.source = "RANK/WORLD_SIZE";
  } else if (env("SLURM_STEP_NUM_TASKS") && env("SLURM_PROCID")) {
    e.world = env_int("SLURM_STEP_NUM_TASKS", 1, 1, 1 << 20);
    e.rank = env_int("SLURM_PROCID", 0, 0, e.world - 1);
    e.local_rank = env_int("SLURM_LOCALID", 0, 0, e.world - 1);
    e.source = "Slurm step";
  }
  if (const char* addr = env("MASTER_ADDR")) {
    e.master_addr = addr;
  } else if (const char* nodes = env("SLURM_STEP_NODELIST") ? env("SLURM_STEP_NODELIST") : env("SLURM_JOB_NODELIST")) {
    if (e.world > 1) e.master_addr = first_slurm_host(nodes);
  }
  // A port per Slurm job, so two jobs sharing a node do not meet at the same store.
  const int job_port = env("SLURM_JOB_ID") ? 20000 + env_int("SLURM_JOB_ID", 0, 0, 1 << 30) % 20000 : 29500;
  e.master_port = env_int("MASTER_PORT", job_port, 1, 65535);
  return e;
}

#if AUTOSCALE_HAVE_GLOO

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;  // CPU tensors, barriers, and the fallback
#if AUTOSCALE_HAVE_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;   // CUDA tensors, GPU to GPU (null on CPU runs)
#endif
};

bool distributed_supported() { return true; }
bool nccl_supported() { return AUTOSCALE_HAVE_NCCL; }

#if AUTOSCALE_HAVE_NCCL
// NCCL wants every rank on CUDA and no two ranks of a host on one device (else "duplicate GPU").
// Every rank must choose alike, so each one's (host, device) is gathered over Gloo and judged the
// same way everywhere. Ranks that each see a single GPU under its own CUDA_VISIBLE_DEVICES all
// report device 0 and keep Gloo: a safe, slower choice.
bool every_rank_has_its_own_gpu(c10d::ProcessGroupGloo& gloo, int world, int cuda_device) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::vector<torch::Tensor> mine{torch::tensor({static_cast<int64_t>(std::hash<std::string>{}(host)),
                                                 static_cast<int64_t>(cuda_device)}, torch::kLong)};
  std::vector<std::vector<torch::Tensor>> all(1);
  for (int r = 0; r < world; ++r) all[0].push_back(torch::empty_like(mine[0]));
  gloo.allgather(all, mine)->wait();
  std::set<std::pair<int64_t, int64_t>> seen;
  for (const auto& t : all[0]) {
    const int64_t host_hash = t[0].item<int64_t>(), device = t[1].item<int64_t>();
    if (device < 0 || !seen.emplace(host_hash, device).second) return false;
  }
  return true;
}
#endif

std::shared_ptr<ProcessGroup> ProcessGroup::connect(const DistributedEnv& e, std::chrono::seconds timeout, int cuda_device) {
  auto impl = std::make_unique<Impl>();
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(e.master_port);
    so.isServer = e.rank == 0;
    so.numWorkers = static_cast<size_t>(e.world);
    so.waitWorkers = true;
    so.timeout = timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(e.master_addr, so);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // Gloo binds to the interface GLOO_SOCKET_IFNAME names, else to the address the master is
    // reached at when that is loopback (single node), else to this host's name.
    if (const char* ifname = env("GLOO_SOCKET_IFNAME")) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (e.master_addr == "127.0.0.1" || e.master_addr == "localhost") {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, e.rank, e.world, options);
#if AUTOSCALE_HAVE_NCCL
    if (every_rank_has_its_own_gpu(*impl->group, e.world, cuda_device)) {  // its own key space in the store
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = timeout;
      c10::intrusive_ptr<c10d::Store> prefixed = c10::make_intrusive<c10d::PrefixStore>("nccl", impl->store);
      impl->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, e.rank, e.world, nccl_options);
    }
#else
    (void)cuda_device;
#endif
  } catch (const std::exception& err) {
    AUTOSCALE_THROW("distributed: rank {} of {} ({}) could not join the group at {}:{}: {}", e.rank, e.world, e.source,
                    e.master_addr, e.master_port, err.what());
  }
  auto group = std::shared_ptr<ProcessGroup>(new ProcessGroup(std::move(impl), e.rank, e.world));
  spdlog::info("distributed: rank {} of {} joined at {}:{} ({}, {})", e.rank, e.world, e.master_addr, e.master_port,
               e.source, group->backend());
  return group;
}

std::string ProcessGroup::backend() const {
#if AUTOSCALE_HAVE_NCCL
  if (impl_->nccl) return "nccl";
#endif
  return "gloo";
}

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl, int rank, int world)
    : impl_(std::move(impl)), rank_(rank), world_(world) {}
ProcessGroup::~ProcessGroup() = default;

namespace {

// Gloo reduces host memory: device tensors are staged through a CPU copy.
template <typename Op>
void on_host(torch::Tensor& tensor, Op op) {
  if (tensor.device().is_cpu() && tensor.is_contiguous()) {
    op(tensor);
    return;
  }
  torch::Tensor host = tensor.to(torch::kCPU).contiguous();
  op(host);
  tensor.copy_(host);
}

template <typename WorkPtr>
void wait(const WorkPtr& work, const char* what) {
  try {
    work->wait();
  } catch (const std::exception& err) {
    AUTOSCALE_THROW("distributed: {} failed (a peer died or timed out?): {}", what, err.what());
  }
}

}  // namespace

void Collectives::allreduce_sum(ProcessGroup& g, torch::Tensor& tensor) {
#if AUTOSCALE_HAVE_NCCL
  if (g.impl_->nccl && tensor.is_cuda()) {
    std::vector<torch::Tensor> ts{tensor};
    wait(g.impl_->nccl->allreduce(ts), "allreduce (NCCL)");
    return;
  }
#endif
  on_host(tensor, [&](torch::Tensor& t) {
    std::vector<torch::Tensor> ts{t};
    wait(g.impl_->group->allreduce(ts), "allreduce");
  });
}

void Collectives::broadcast(ProcessGroup& g, torch::Tensor& tensor, int root) {
#if AUTOSCALE_HAVE_NCCL
  if (g.impl_->nccl && tensor.is_cuda() && tensor.is_contiguous()) {
    std::vector<torch::Tensor> ts{tensor};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    wait(g.impl_->nccl->broadcast(ts, options), "broadcast (NCCL)");
    return;
  }
#endif
  on_host(tensor, [&](torch::Tensor& t) {
    std::vector<torch::Tensor> ts{t};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    wait(g.impl_->group->broadcast(ts, options), "broadcast");
  });
}

std::vector<torch::Tensor> Collectives::allgather(ProcessGroup& g, const torch::Tensor& tensor) {
  std::vector<torch::Tensor> input{tensor.to(torch::kCPU).contiguous()};
  std::vector<std::vector<torch::Tensor>> output(1);
  for (int r = 0; r < g.world_; ++r) output[0].push_back(torch::empty_like(input[0]));
  wait(g.impl_->group->allgather(output, input), "allgather");
  return output[0];
}

void ProcessGroup::barrier() { wait(impl_->group->barrier(), "barrier"); }

#else  // a libtorch without the Gloo headers: single-process training only

struct ProcessGroup::Impl {};

bool distributed_supported() { return false; }
bool nccl_supported() { return false; }

std::shared_ptr<ProcessGroup> ProcessGroup::connect(const DistributedEnv& e, std::chrono::seconds, int) {
  AUTOSCALE_THROW("distributed: {} asks for {} ranks, but autoscale was built without the Gloo headers "
                  "(install libgloo-dev, or use a libtorch that ships them)", e.source, e.world);
}

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl, int rank, int world)
    : impl_(std::move(impl)), rank_(rank), world_(world) {}
ProcessGroup::~ProcessGroup() = default;
void Collectives::allreduce_sum(ProcessGroup&, torch::Tensor&) {}
void Collectives::broadcast(ProcessGroup&, torch::Tensor&, int) {}
std::vector<torch::Tensor> Collectives::allgather(ProcessGroup&, const torch::Tensor& t) { return {t}; }
void ProcessGroup::barrier() {}
std::string ProcessGroup::backend() const { return "none"; }

#endif

}  // namespace autoscale::train
