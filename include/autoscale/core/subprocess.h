// Runs helper programs (Python importers, SUMO's tools) with an explicit argv: no shell, so file
// names are never interpreted.
#pragma once

#include <string>
#include <vector>

namespace autoscale {

// Runs argv[0] (searched on PATH when it has no '/'), waits, returns the exit code (128 +
// signal when killed). Its stdout/stderr go to ours, or both to `output_file` when given.
// Throws Error when it cannot be started.
int run_process(const std::vector<std::string>& argv, const std::string& output_file = "");

// Directory of the helper scripts: $AUTOSCALE_SCRIPTS_DIR, else the source tree's scripts/.
std::string scripts_dir();
// Interpreter for them: $AUTOSCALE_PYTHON, else Debian's /usr/bin/python3 (has numpy/h5py).
std::string python_executable();

}  // namespace autoscale
