// One thread budget for every pool in the process.
//
// OpenMP (ours and FAISS's), OpenBLAS and, from the train module on, LibTorch each keep their
// own pool; left alone they oversubscribe the cores (see build-stack.md section 7). The CLI's
// --threads N calls configure_threads(N) once at startup: OpenMP gets N, OpenBLAS gets 1 so that
// OpenMP is the only pool, and modules that own another pool (torch) register a hook.
#pragma once

#include <cstddef>
#include <functional>

namespace autoscale {

// N <= 0 means the number of online cores; N above max_threads() is capped there, with one
// warning. Returns the count in force.
int configure_threads(int n);

// The most threads configure_threads grants: 4 per core this process may run on.
int max_threads();

// The count set by configure_threads (the core count before any call).
int num_threads();

// Called by configure_threads with the new count, now and on later calls.
void add_thread_hook(std::function<void(int)> hook);

// Runs fn(i) for i in [0, n) on num_threads() OpenMP threads. The first exception thrown by any
// fn is rethrown on the calling thread after the loop; later iterations are skipped.
void parallel_for(size_t n, const std::function<void(size_t)>& fn);

}  // namespace autoscale
