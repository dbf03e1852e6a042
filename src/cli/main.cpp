// `autoscale`: the one binary. The commands and the parser live in the cli library
// (command.h); this file only installs the signal handling every command relies on.
#include "autoscale/core/termination.h"
#include "command.h"

int main(int argc, char** argv) {
  autoscale::install_termination_handler();  // SIGTERM/SIGINT let a training checkpoint before it stops
  return autoscale::cli::run_cli(argc, argv);
}
