// Runs a helper program (the Python importers) with an explicit argv: no shell, so file names
// are never interpreted. Its stdout/stderr go straight to ours.
#pragma once

#include <string>
#include <vector>

namespace autoscale::cli {

// Returns the exit code (128 + signal when killed). Throws Error when it cannot be started.
int run_process(const std::vector<std::string>& argv);

// Directory of the helper scripts: $AUTOSCALE_SCRIPTS_DIR, else the source tree's scripts/.
std::string scripts_dir();
// Interpreter for them: $AUTOSCALE_PYTHON, else Debian's /usr/bin/python3 (has numpy/h5py).
std::string python_executable();

}  // namespace autoscale::cli
