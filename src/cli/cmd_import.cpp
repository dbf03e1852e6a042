#include <CLI/CLI.hpp>

#include <memory>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <unistd.h>
#include <filesystem>
#include <set>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/subprocess.h"
#include "autoscale/core/threads.h"
#include "autoscale/import/commonroad.h"
#include "autoscale/import/import_inputs.h"
#include "autoscale/store/store.h"
#include "command.h"
#include "commands.h"

namespace fs = std::filesystem;

namespace autoscale::cli {
namespace {

void write_provenance(const std::string& store, const Invocation& inv) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  const fs::path dir = fs::path(store) / "provenance";
  fs::create_directories(dir);
  write_file_atomic((dir / fmt::format("import-{}-{}.yaml", stamp, ::getpid())).string(),
                    "# " + inv.command_line + "\n" + inv.config_yaml);
}

int import_commonroad_files(const std::vector<std::string>& files, const ImportArgs& args, const Invocation& inv) {
  const auto& options = inv.config.import.commonroad;
  std::vector<scene::CommonRoadImport> parsed(files.size());
  Progress progress("parse CommonRoad", files.size());
  const auto start = std::chrono::steady_clock::now();
  // Parse in parallel; write in input order so the store does not depend on thread timing.
  parallel_for(files.size(), [&](size_t i) {
    parsed[i] = scene::import_commonroad(files[i], options);
    progress.advance();
  });
  progress.finish();

  scene::StoreOptions store_options = inv.config.store;
  store_options.append = args.append;
  scene::SceneStoreWriter writer(args.out, store_options);
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& r = parsed[i];
    spdlog::info("{}: {} scenes from {} vehicle tracks (longest {:.1f} s; {} tracks without a window, {} windows "
                 "dropped for overlapping boxes)",
                 files[i], r.stats.windows, r.stats.vehicles, r.stats.longest_track_s, r.stats.skipped_short,
                 r.stats.skipped_overlapping);
    if (r.scenes.empty()) continue;
    writer.add_map(r.map);
    for (const auto& s : r.scenes) writer.add(s);
  }
  // Checked before close(): a new store is committed only with scenes in it; without close() the
  // writer removes the directory it created, so a failed import leaves nothing and the same
  // path can be imported again (issue 23, finding 5).
  AUTOSCALE_CHECK(writer.added() > 0 || args.append, "no scene could be cut from the inputs (no vehicle tracks, or "
                                                     "tracks shorter than history + min_future? see the log above)");
  const size_t n = writer.close();
  write_provenance(args.out, inv);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("imported %zu scenes from %zu files into %s (%.1f scenes/s)\n", n, files.size(), args.out.c_str(),
              n / std::max(secs, 1e-9));
  return 0;
}

std::vector<std::string> window_args(const scene::WindowOptions& w) {
  return {"--history-s", fmt::format("{}", w.history_s), "--future-s", fmt::format("{}", w.future_s),
          "--min-future-s", fmt::format("{}", w.min_future_s), "--stride-s", fmt::format("{}", w.stride_s)};
}

int import_with_script(const std::string& script, std::vector<std::string> extra, const std::vector<std::string>& files,
                       const ImportArgs& args, const Invocation& inv) {
  const std::string path = (fs::path(scripts_dir()) / script).string();
  AUTOSCALE_CHECK(fs::exists(path), "importer script {} not found (set AUTOSCALE_SCRIPTS_DIR)", quote(path));
  std::vector<std::string> argv{python_executable(), path, "--out", args.out};
  if (args.append) argv.push_back("--append");
  if (spdlog::should_log(spdlog::level::debug)) argv.push_back("--debug");  // tracebacks of malformed inputs
  if (!spdlog::should_log(spdlog::level::info)) argv.push_back("--quiet");  // -q: no line per file
  argv.insert(argv.end(), {"--shard-size", std::to_string(inv.config.store.shard_size), "--compression",
                           std::to_string(inv.config.store.compression), "--codec", inv.config.store.codec});
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), files.begin(), files.end());
  const int rc = run_process(argv);
  if (rc != 0) return rc;  // the script printed its own one-line error
  write_provenance(args.out, inv);
  return 0;
}

// NAVSIM's environment: a relative input that is not here but is under $OPENSCENE_DATA_ROOT (as
// `navsim_logs/test` is for a NAVSIM user) is read from there.
std::vector<std::string> resolve_openscene_inputs(const std::vector<std::string>& inputs) {
  const char* root = std::getenv("OPENSCENE_DATA_ROOT");
  std::vector<std::string> out;
  for (const auto& in : inputs) {
    const fs::path under = root && *root ? fs::path(root) / in : fs::path();
    if (!fs::exists(in) && fs::path(in).is_relative() && !under.empty() && fs::exists(under)) {
      spdlog::info("{}: read from $OPENSCENE_DATA_ROOT ({})", in, under.string());
      out.push_back(under.string());
    } else {
      out.push_back(in);
    }
  }
  return out;
}

}  // namespace

int run_import(const ImportArgs& args, const Invocation& inv) {
  AUTOSCALE_CHECK(!args.inputs.empty(), "import: no input files");
  AUTOSCALE_CHECK(!args.out.empty(), "import: --out STORE is required");
  const auto inputs = resolve_openscene_inputs(args.inputs);
  const std::string format = scene::resolve_import_format(inputs, inv.config.import.format);
  auto files = scene::expand_import_inputs(inputs, format);
  if (!args.shard.empty()) {
    const auto [i, n] = parse_shard(args.shard);
    files = scene::import_shard(files, i, n);
  }
  spdlog::info("importing {} {} input(s) into {}", files.size(), format, args.out);
  if (format == "commonroad") return import_commonroad_files(files, args, inv);
  if (format == "scenarionet") {
    const auto& c = inv.config.import.scenarionet;
    auto extra = window_args(c.window);
    extra.insert(extra.end(), {"--connector-half-width", fmt::format("{}", c.connector_half_width_m)});
    return import_with_script("import_scenarionet.py", extra, files, args, inv);
  }
  if (format == "av2") {
    return import_with_script("import_av2.py", window_args(inv.config.import.av2.window), files, args, inv);
  }
  // The nuPlan devkit's environment, as NAVSIM users have it set, when the config leaves them empty.
  const auto& c = inv.config.import.navsim;
  const auto from_env = [](const std::string& configured, const char* name) {
    const char* value = std::getenv(name);
    return configured.empty() && value != nullptr ? std::string(value) : configured;
  };
  const std::string maps_root = from_env(c.maps_root, "NUPLAN_MAPS_ROOT");
  const std::string map_version = from_env(c.map_version, "NUPLAN_MAP_VERSION");
  AUTOSCALE_CHECK(!maps_root.empty(),
                  "import.navsim.maps_root: required for the navsim format (or set $NUPLAN_MAPS_ROOT)");
  auto extra = window_args(c.window);
  extra.insert(extra.end(), {"--maps-root", maps_root, "--map-version", map_version});
  if (!c.scene_filter.empty()) {
    AUTOSCALE_CHECK(fs::is_regular_file(c.scene_filter), "import.navsim.scene_filter: no such file {}",
                    quote(c.scene_filter));
    extra.insert(extra.end(), {"--scene-filter", c.scene_filter});
  }
  return import_with_script("import_navsim.py", extra, files, args, inv);
}

int run_merge_stores(const MergeStoresArgs& args, const Invocation& inv) {
  std::vector<scene::SceneStore> parts;
  for (const auto& p : args.parts) parts.push_back(scene::SceneStore::open(p));
  size_t total = 0;
  for (const auto& p : parts) total += p.size();
  scene::SceneStoreWriter writer(args.out, inv.config.store);  // a new store: refuses an existing one
  Progress progress("merge stores", total);
  for (const auto& part : parts) {
    with_context("merging store " + quote(part.dir()), [&] {
      for (const auto& id : part.map_ids()) writer.add_map(*part.map(id));  // identical maps are shared
      part.for_each([&](const scene::Scene& s) {
        writer.add(s);  // a token in two parts is an error: the parts overlap
        progress.advance();
      });
    });
  }
  const size_t n = writer.close();  // nothing is left behind unless this commits
  progress.finish();
  write_provenance(args.out, inv);
  std::printf("merged %zu scenes from %zu stores into %s\n", n, parts.size(), args.out.c_str());
  return 0;
}

Commands bind_import(CLI::App& app, GlobalOptions&) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand("import", "import real driving data into a scene store");
  cmd->add_option("inputs", args->inputs,
                  "input files or directories (.xml CommonRoad, .pkl ScenarioNet or OpenScene, Argoverse 2 log "
                  "directories)")
      ->required();
  cmd->add_option("-o,--out", args->out, "scene store directory")->required();
  cmd->add_flag("--append", args->append, "add to an existing store");
  cmd->add_option("--shard", args->shard,
                  "import only part i/N: a contiguous block of the (sorted) input files (or slurm; merge with `merge stores`)");
  return {{cmd, [args](const Invocation& inv) { return run_import(*args, inv); }}};
}

}  // namespace autoscale::cli
