// The program around the commands: global options, config overrides, the resolved config every
// handler gets, and the one place where errors become `error:` lines and exit codes.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "autoscale/core/config.h"
#include "autoscale/core/error.h"
#include "autoscale/core/termination.h"
#include "autoscale/core/threads.h"
#include "command.h"
#include "commands.h"

namespace autoscale::cli {

namespace {

namespace fs = std::filesystem;

// A bare "a.b=value" argument anywhere on the line is a config override, like --set a.b=value.
bool is_bare_override(const std::string& arg) {
  static const std::regex kOverride(R"(^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+=.*$)");
  return std::regex_match(arg, kOverride);
}

// Overrides are taken out before CLI11 sees the line: `--set k=v`, `--set=k=v` and bare `k=v`
// may stand anywhere, also between a subcommand's positional arguments. Returns what is left.
std::vector<char*> take_overrides(int argc, char** argv, std::vector<std::string>& overrides) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i > 0 && arg == "--set" && i + 1 < argc) {
      overrides.emplace_back(argv[++i]);
    } else if (i > 0 && arg.rfind("--set=", 0) == 0) {
      overrides.push_back(arg.substr(6));
    } else if (i > 0 && is_bare_override(arg)) {
      overrides.push_back(arg);
    } else {
      args.push_back(argv[i]);
    }
  }
  return args;
}

void bind_global_options(CLI::App& app, GlobalOptions& g) {
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.add_option("-c,--config", g.config_path, "YAML config file (defaults apply to missing keys)");
  app.add_option("--set", g.unparsed_sets, "override a config key, key.path=value (repeatable; bare key.path=value works too)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--log-level", g.log.level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_flag("-q,--quiet", g.log.quiet, "only warnings and errors on the terminal");
  app.add_option("--log-file", g.log.file, "also write the full log to this file");
  app.add_option("--threads", g.threads, "threads for OpenMP/BLAS/torch (overrides run.threads; 0 = all cores)");
}

// The first word of the command line that is neither an option nor an option's value: what the
// user meant as the command ("" when there is none).
std::string first_word(const std::vector<char*>& args) {
  static const std::set<std::string> with_value = {"-c", "--config", "--set", "--log-level", "--log-file", "--threads"};
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string a = args[i];
    if (with_value.count(a)) {
      ++i;
    } else if (a.empty() || a[0] != '-') {
      return a;
    }
  }
  return "";
}

// "unknown command 'evl' (did you mean 'eval'?)", or "" when the word is a command.
std::string unknown_command(const CLI::App& app, const std::string& word) {
  std::string best;
  size_t best_distance = 3;  // only suggest what is a typo away
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == word) return "";
    const size_t d = edit_distance(word, sub->get_name());
    if (d < best_distance) best_distance = d, best = sub->get_name();
  }
  return fmt::format("unknown command {}{}", quote(word), best.empty() ? "" : fmt::format(" (did you mean {}?)", quote(best)));
}

// A resumed run reads its own resolved config back; anything else could change the result.
std::string resumed_config_path(const GlobalOptions& g) {
  AUTOSCALE_CHECK(g.config_path.empty(), "--resume {}: the run's own config.yaml is used; drop --config {}", g.resume,
                  g.config_path);
  for (const auto& o : g.overrides) {
    AUTOSCALE_CHECK(o.rfind("run.threads=", 0) == 0, "--resume {}: config overrides would change the run ({})", g.resume,
                    o);
  }
  const fs::path own = fs::path(g.resume) / "config.yaml";
  if (fs::exists(own)) return own.string();
  // A Slurm run whose prepare job has not written it yet: the config it was submitted with.
  const fs::path submitted = fs::path(g.resume) / "slurm" / "config.yaml";
  if (fs::exists(submitted)) return submitted.string();
  AUTOSCALE_THROW("--resume {}: not a run directory (no config.yaml)", g.resume);
}

Invocation make_invocation(const GlobalOptions& global, const std::string& command_line) {
  GlobalOptions g = global;
  if (g.threads >= 0) g.overrides.push_back("run.threads=" + std::to_string(g.threads));
  if (!g.pdms_version.empty()) g.overrides.push_back("eval.pdms_version=" + g.pdms_version);
  if (!g.resume.empty()) g.config_path = resumed_config_path(g);
  Invocation inv;
  inv.config = load_app_config(g.config_path, g.overrides);
  inv.config_path = g.config_path;
  inv.config_yaml = config_to_yaml(inv.config);
  inv.command_line = command_line;
  return inv;
}

std::string join_command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += (i ? " " : "") + std::string(argv[i]);
  return out;
}

}  // namespace

const std::vector<Binder>& command_binders() {
  static const std::vector<Binder> kBinders = {
      bind_import,   bind_inspect, bind_score,  bind_eval,   bind_merge,  bind_train,
      bind_synth,    bind_encode,  bind_cluster, bind_index, bind_retrieve, bind_run,
      bind_slurm,    bind_report,  bind_paired, bind_config, bind_bench,  bind_version};
  return kBinders;
}

int run_cli(int argc, char** argv) {
  // `autoscale --version` alone, as tools answer it (after a command, --version is not an option:
  // eval's old flag of that name must stay an error, not print a version and succeed).
  if (argc == 2 && std::string(argv[1]) == "--version") {
    std::printf("autoscale %s\n", AUTOSCALE_VERSION);
    return 0;
  }
  GlobalOptions global;
  std::vector<char*> args = take_overrides(argc, argv, global.overrides);
  CLI::App app{"autoscale: closed-loop real/synthetic data mixing for end-to-end driving planners"};
  bind_global_options(app, global);
  Commands commands;
  for (Binder bind : command_binders()) {
    for (auto& c : bind(app, global)) commands.push_back(std::move(c));
  }
  // Every command reads the config: say so in its own --help, not only in the top-level one.
  for (const auto& c : commands) {
    const CLI::App* parent = c.command->get_parent();
    const std::string name =
        (parent && parent != &app ? parent->get_name() + " " : std::string()) + c.command->get_name();
    c.command->footer(
        "\nConfig (every command): -c,--config FILE (YAML; keys not in it keep their defaults, listed with\n"
        "their meaning by `autoscale config`), then overrides key.path=value or --set key.path=value, e.g.\n"
        "  autoscale " + name + " ... -c configs/demo.yaml eval.pdms_version=v2 run.threads=2\n"
        "Also: -q,--quiet  --log-level LEVEL  --log-file FILE  --threads N");
  }
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // A bad command line is an error like any other: one `error:` line, exit code 1. A mistyped
    // command is named as such (CLI11 would only say that a subcommand is required).
    const std::string word = first_word(args);
    const std::string unknown = word.empty() ? "" : unknown_command(app, word);
    std::fprintf(stderr, "error: %s (see autoscale --help)\n", unknown.empty() ? e.what() : unknown.c_str());
    return 1;
  }
  try {
    init_logging(global.log);
    const Invocation inv = make_invocation(global, join_command_line(argc, argv));
    configure_threads(static_cast<int>(inv.config.run.threads));
    for (const auto& c : commands) {
      if (c.command->parsed()) return c.handler(inv);
    }
    AUTOSCALE_THROW("no command given (see autoscale --help)");
  } catch (const Interrupted& e) {
    // Not a failure of the input: the work is saved. 128 + signal, as a shell reports a kill.
    std::fprintf(stderr, "stopped: %s\n", e.what());
    return 128 + e.signal();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace autoscale::cli
