// Runs helper programs (Python importers, SUMO's tools) with an explicit argv: no shell, so file
// names are never interpreted.
#pragma once

#include <string>
#include <vector>

namespace autoscale {

// Runs argv[0] (searched on PATH when it has no '/'), waits, returns the exit code (128 +
// signal when killed). Its stdout/stderr go to ours, or both to `output_file` when given.
// Throws Error when it cannot be started. The child dies with us: it runs in its own process
// group with SIGKILL as its parent-death signal, and the termination handler kills that group
// (grandchildren included) on SIGTERM/SIGINT, so a killed command never leaves a writer behind.
int run_process(const std::vector<std::string>& argv, const std::string& output_file = "");

// SIGKILLs the process groups of the children run_process is waiting for. Async-signal-safe:
// for signal handlers.
void kill_child_groups() noexcept;

// Directory of the helper scripts: $AUTOSCALE_SCRIPTS_DIR, else the source tree's scripts/.
std::string scripts_dir();
// Interpreter for them: $AUTOSCALE_PYTHON, else Debian's /usr/bin/python3 (has numpy/h5py).
std::string python_executable();

}  // namespace autoscale
