// Data-parallel training across processes with LibTorch's c10d process groups (Gloo: CPU tensors,
// and CUDA tensors through host staging unless the build has NCCL, which carries them directly). Ranks find each other through a TCP store that rank 0
// serves at MASTER_ADDR:MASTER_PORT. Where the rank and world come from, first match wins:
//   RANK / WORLD_SIZE / LOCAL_RANK                     (torchrun-style launchers, tests)
//   SLURM_PROCID / SLURM_STEP_NUM_TASKS / SLURM_LOCALID (one `srun` task per rank)
// MASTER_ADDR defaults to the first host of the Slurm step's node list (else 127.0.0.1) and
// MASTER_PORT to a port derived from the Slurm job id (else 29500), so an `srun` needs no set-up.
// This header is torch-free: the collectives on tensors are private to train (collectives.h),
// and the c10d and Gloo headers stay in distributed.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace autoscale::train {

struct DistributedEnv {
  int rank = 0;
  int world = 1;
  int local_rank = 0;          // the rank among those on this node (picks the GPU)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "single process";  // which variables set it, for logs and errors

  // Reads the variables above; Error naming the variable when one is malformed.
  static DistributedEnv from_environment();
};

// The first host of a Slurm host list: "gpu[03-04,07],cpu1" -> "gpu03".
std::string first_slurm_host(const std::string& nodelist);

// Whether this libtorch build has the Gloo process group (Debian's and the PyTorch wheels do).
bool distributed_supported();
// Whether CUDA tensors go GPU to GPU over NCCL (a CUDA build with nccl.h: AUTOSCALE_NCCL).
bool nccl_supported();

class ProcessGroup {
 public:
  // Joins the group (rank 0 serves the store); Error when a peer does not arrive within timeout.
  // cuda_device: the CUDA device this rank trains on (-1: the CPU). Where the build has NCCL and
  // every rank has a GPU of its own (no two ranks of a host on one device), CUDA tensors go over
  // NCCL; the ranks agree on that over Gloo, so a mixed group falls back to Gloo as a whole.
  static std::shared_ptr<ProcessGroup> connect(const DistributedEnv& env,
                                               std::chrono::seconds timeout = std::chrono::seconds(300),
                                               int cuda_device = -1);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int world() const { return world_; }
  std::string backend() const;  // "nccl" (CUDA tensors over NCCL, the rest over Gloo) or "gloo"
  void barrier();

 private:
  friend struct Collectives;  // the tensor operations (src/train/collectives.h)
  struct Impl;
  ProcessGroup(std::unique_ptr<Impl> impl, int rank, int world);
  std::unique_ptr<Impl> impl_;
  int rank_, world_;
};

}  // namespace autoscale::train
