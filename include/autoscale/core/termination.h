// Graceful stop on SIGTERM / SIGINT for work that can checkpoint (planner training): Slurm sends
// SIGTERM before it preempts or requeues a job, and a user presses Ctrl-C. While a
// TerminationScope is alive the signal only raises a flag, which the training loop polls after
// each optimiser step: it writes its checkpoint and throws Interrupted. Outside a scope (and on a
// second signal) the default action stands: the process dies, and every output being atomic,
// `--resume` redoes only the interrupted step.
#pragma once

#include "autoscale/core/error.h"

namespace autoscale {

// Thrown by work that stopped on a signal after saving its state; exit status 128 + signal.
class Interrupted : public Error {
 public:
  Interrupted(std::string message, int signal) : Error(std::move(message)), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// Installs the SIGTERM / SIGINT handler (once, at program start).
void install_termination_handler();

class TerminationScope {
 public:
  TerminationScope();
  ~TerminationScope();
  TerminationScope(const TerminationScope&) = delete;
  TerminationScope& operator=(const TerminationScope&) = delete;
};

// The signal received inside a scope, or 0.
int termination_requested();

// Tests: forget a received signal.
void clear_termination_request();

}  // namespace autoscale
