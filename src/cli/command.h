// How a subcommand is wired. A binder adds the subcommand to the parser, binds its options to a
// typed argument struct it owns, and returns the handler that runs the owning module with them.
// main() only collects the binders' commands and runs the one that was given. CLI11 is named
// here but included only by cli's .cpp files.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autoscale/core/log.h"

namespace CLI {
class App;
}

namespace autoscale::cli {

struct Invocation;

// Options of the whole program, filled before a handler runs and turned into its Invocation.
struct GlobalOptions {
  std::string config_path;             // -c/--config ("" = defaults)
  std::vector<std::string> overrides;  // --set k=v and bare k=v, in command-line order
  LogOptions log;
  int threads = -1;                    // --threads (-1: run.threads from the config)
  std::string pdms_version;            // --pdms-version of score, eval, bench score (eval.pdms_version)
  std::string resume;                  // --resume RUN of run, compare, slurm submit: the run's own config
  std::vector<std::string> unparsed_sets;  // stays empty: --set is taken out before parsing, listed for --help
};

using Handler = std::function<int(const Invocation&)>;

struct BoundCommand {
  CLI::App* command = nullptr;  // the (sub)subcommand whose presence selects `handler`
  Handler handler;
};
using Commands = std::vector<BoundCommand>;

// One per file (cmd_<name>.cpp). Group commands (merge, synth, bench, slurm) return one entry per
// leaf subcommand.
using Binder = Commands (*)(CLI::App& app, GlobalOptions& global);
Commands bind_import(CLI::App& app, GlobalOptions& global);
Commands bind_inspect(CLI::App& app, GlobalOptions& global);
Commands bind_score(CLI::App& app, GlobalOptions& global);
Commands bind_eval(CLI::App& app, GlobalOptions& global);
Commands bind_merge(CLI::App& app, GlobalOptions& global);
Commands bind_train(CLI::App& app, GlobalOptions& global);
Commands bind_synth(CLI::App& app, GlobalOptions& global);
Commands bind_encode(CLI::App& app, GlobalOptions& global);
Commands bind_cluster(CLI::App& app, GlobalOptions& global);
Commands bind_index(CLI::App& app, GlobalOptions& global);
Commands bind_retrieve(CLI::App& app, GlobalOptions& global);
Commands bind_run(CLI::App& app, GlobalOptions& global);  // run and compare
Commands bind_slurm(CLI::App& app, GlobalOptions& global);
Commands bind_report(CLI::App& app, GlobalOptions& global);
Commands bind_paired(CLI::App& app, GlobalOptions& global);
Commands bind_config(CLI::App& app, GlobalOptions& global);
Commands bind_bench(CLI::App& app, GlobalOptions& global);
Commands bind_version(CLI::App& app, GlobalOptions& global);

// Every command, in the order `autoscale --help` lists them. A new command is one binder here.
const std::vector<Binder>& command_binders();

// The whole program: parse argv, build the Invocation, run the chosen handler. Returns the exit
// code: 0 ok, 1 any error (one `error:` line on stderr), 128 + signal when interrupted; handlers
// may return others (inspect --strict: 3).
int run_cli(int argc, char** argv);

}  // namespace autoscale::cli
