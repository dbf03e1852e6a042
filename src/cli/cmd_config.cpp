// `autoscale config` (the resolved, documented configuration) and `autoscale version`.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "command.h"
#include "commands.h"

namespace autoscale::cli {

Commands bind_config(CLI::App& app, GlobalOptions&) {
  auto* cmd = app.add_subcommand("config", "print the resolved, documented configuration");
  return {{cmd, [](const Invocation& inv) {
             std::fputs(inv.config_yaml.c_str(), stdout);
             return 0;
           }}};
}

Commands bind_version(CLI::App& app, GlobalOptions&) {
  auto* cmd = app.add_subcommand("version", "print the version");
  return {{cmd, [](const Invocation&) {
             std::printf("autoscale %s\n", AUTOSCALE_VERSION);
             return 0;
           }}};
}

}  // namespace autoscale::cli
