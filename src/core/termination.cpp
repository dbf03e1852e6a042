#include "autoscale/core/termination.h"

#include <csignal>

#include <atomic>

#include "autoscale/core/subprocess.h"

namespace autoscale {
namespace {

std::atomic<int> g_scopes{0};
std::atomic<int> g_signal{0};

extern "C" void on_termination(int sig) {
  // Async-signal-safe: lock-free atomics, kill(), signal() and raise() only.
  if (g_scopes.load() > 0 && g_signal.load() == 0) {
    g_signal.store(sig);
    return;
  }
  kill_child_groups();  // a helper (Python importer) must not finish a write after we failed
  std::signal(sig, SIG_DFL);  // no one to checkpoint, or asked twice: die as the signal says
  std::raise(sig);
}

}  // namespace

void install_termination_handler() {
  static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");
  std::signal(SIGTERM, on_termination);
  std::signal(SIGINT, on_termination);
}

TerminationScope::TerminationScope() { g_scopes.fetch_add(1); }
TerminationScope::~TerminationScope() { g_scopes.fetch_sub(1); }

int termination_requested() { return g_signal.load(); }

void clear_termination_request() { g_signal.store(0); }

}  // namespace autoscale
