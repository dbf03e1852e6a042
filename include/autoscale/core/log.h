// Logging through spdlog: one default logger writing to stderr (coloured on a terminal) and,
// optionally, to a file. Library code logs with spdlog::info(...) and friends.
#pragma once

#include <string>

namespace autoscale {

struct LogOptions {
  std::string level = "info";  // trace | debug | info | warn | error | off
  bool quiet = false;          // only warnings and errors on the terminal
  std::string file;            // also log everything at `level` to this file ("" = none)
};

// Installs the default logger. Throws Error for an unknown level or an unwritable file.
void init_logging(const LogOptions& options);

// True when stderr is a terminal (progress bars redraw in place only then).
bool stderr_is_tty();

}  // namespace autoscale
