// Shared by the distributed and GPU tests: data-parallel ranks as threads of this process, each
// its own member of one process group over loopback TCP.
#pragma once

#include <unistd.h>

#include <chrono>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "autoscale/train/distributed.h"

namespace autoscale::train {

inline int free_port() {
  static int next = 0;
  return 21000 + static_cast<int>(getpid() % 15000) + (next++);
}

// Runs f(rank, group) on `world` threads joined into one group (gpu: rank r trains on CUDA
// device r, so NCCL carries their tensors where built); rethrows the first failure.
template <typename F>
void on_ranks(int world, F f, bool gpu = false) {
  const int port = free_port();
  std::vector<std::exception_ptr> failures(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        DistributedEnv env;
        env.rank = r, env.world = world, env.local_rank = r, env.master_port = port;
        f(r, ProcessGroup::connect(env, std::chrono::seconds(60), gpu ? r : -1));
      } catch (...) {
        failures[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : failures) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace autoscale::train
