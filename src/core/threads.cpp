#include "autoscale/core/threads.h"

#include <dlfcn.h>
#include <omp.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

namespace autoscale {
namespace {

std::mutex g_mutex;
int g_threads = 0;
std::vector<std::function<void(int)>> g_hooks;
int g_warned_for = 0;  // the last request the cap was reported for: one warning, not one per call

// Threads per core beyond which more threads only add contention (OpenMP barriers, BLAS and
// torch pools): 20,000 threads made a 1 s command take 18.5 s.
constexpr int kMaxThreadsPerCore = 4;

// The cores this process may run on: a Slurm task (or taskset) bound to a subset gets that many,
// so several ranks or array tasks on one node do not oversubscribe it.
int online_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

// Looked up at run time so that any libblas.so.3 works (OpenBLAS has the symbol, others don't).
void set_openblas_threads(int n) {
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(n);
}

}  // namespace

int max_threads() { return kMaxThreadsPerCore * online_cores(); }

int configure_threads(int n) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const int cap = max_threads();
  if (n > cap && n != g_warned_for) {
    spdlog::warn("threads: {} requested; using {} ({} per core on the {} cores this process may run on)", n, cap,
                 kMaxThreadsPerCore, online_cores());
    g_warned_for = n;
  }
  g_threads = n > 0 ? std::min(n, cap) : online_cores();
  // The environment matters for threads created later (std::thread workers start from the
  // OMP_NUM_THREADS default, not from this thread's omp_set_num_threads).
  ::setenv("OMP_NUM_THREADS", std::to_string(g_threads).c_str(), 1);
  ::setenv("OPENBLAS_NUM_THREADS", "1", 1);
  omp_set_num_threads(g_threads);
  set_openblas_threads(1);
  for (auto& hook : g_hooks) hook(g_threads);
  return g_threads;
}

int num_threads() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_threads > 0 ? g_threads : online_cores();
}

void add_thread_hook(std::function<void(int)> hook) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_threads > 0) hook(g_threads);
  g_hooks.push_back(std::move(hook));
}

void parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  std::exception_ptr first_error;
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  const int threads = num_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (long long i = 0; i < static_cast<long long>(n); ++i) {
    if (failed.load(std::memory_order_relaxed)) continue;
    try {
      fn(static_cast<size_t>(i));
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
      failed = true;
    }
  }
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace autoscale
