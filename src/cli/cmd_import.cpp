#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <unistd.h>
#include <filesystem>
#include <set>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/subprocess.h"
#include "autoscale/core/threads.h"
#include "autoscale/scene/commonroad.h"
#include "autoscale/scene/store.h"
#include "commands.h"

namespace fs = std::filesystem;

namespace autoscale::cli {
namespace {

std::string format_of(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".xml") return "commonroad";
  if (ext == ".pkl") return "scenarionet";
  return "";
}

// Directories expand to the files of the format inside them (sorted, so imports are ordered).
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs, const std::string& format) {
  std::vector<std::string> out;
  for (const auto& in : inputs) {
    AUTOSCALE_CHECK(fs::exists(in), "input {}: no such file or directory", quote(in));
    if (fs::is_directory(in) && format != "navsim") {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(in)) {
        if (e.is_regular_file() && format_of(e.path().string()) == format) found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      AUTOSCALE_CHECK(!found.empty(), "input {}: a directory with no {} files", quote(in), format);
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(in);
    }
  }
  return out;
}

std::string resolve_format(const std::vector<std::string>& inputs, const std::string& configured) {
  if (configured != "auto") return configured;
  std::set<std::string> formats;
  for (const auto& in : inputs) {
    std::string f;
    if (fs::is_directory(in)) {
      for (const auto& e : fs::recursive_directory_iterator(in)) {
        if (e.is_regular_file() && !(f = format_of(e.path().string())).empty()) break;
      }
    } else {
      f = format_of(in);
    }
    AUTOSCALE_CHECK(!f.empty(), "input {}: cannot tell its format from the extension (.xml = commonroad, "
                                ".pkl = scenarionet); set import.format",
                    quote(in));
    formats.insert(f);
  }
  AUTOSCALE_CHECK(formats.size() == 1, "inputs mix formats ({}): import each format in its own call with --append",
                  fmt::join(formats, ", "));
  return *formats.begin();
}

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
  argv.insert(argv.end(), {"--shard-size", std::to_string(inv.config.store.shard_size), "--compression",
                           std::to_string(inv.config.store.compression)});
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), files.begin(), files.end());
  const int rc = run_process(argv);
  if (rc != 0) return rc;  // the script printed its own one-line error
  write_provenance(args.out, inv);
  return 0;
}

}  // namespace

int run_import(const ImportArgs& args, const Invocation& inv) {
  AUTOSCALE_CHECK(!args.inputs.empty(), "import: no input files");
  AUTOSCALE_CHECK(!args.out.empty(), "import: --out STORE is required");
  const std::string format = resolve_format(args.inputs, inv.config.import.format);
  auto files = expand_inputs(args.inputs, format);
  if (!args.shard.empty()) {
    // Contiguous blocks, so the parts merged in order hold the scenes in single-import order.
    const auto [i, n] = parse_shard(args.shard);
    AUTOSCALE_CHECK(n <= files.size(), "import --shard {}: {} shards of only {} input files", args.shard, n, files.size());
    files = std::vector<std::string>(files.begin() + static_cast<std::ptrdiff_t>(i * files.size() / n),
                                     files.begin() + static_cast<std::ptrdiff_t>((i + 1) * files.size() / n));
  }
  spdlog::info("importing {} {} input(s) into {}", files.size(), format, args.out);
  if (format == "commonroad") return import_commonroad_files(files, args, inv);
  if (format == "scenarionet") {
    const auto& c = inv.config.import.scenarionet;
    auto extra = window_args(c.window);
    extra.insert(extra.end(), {"--connector-half-width", fmt::format("{}", c.connector_half_width_m)});
    return import_with_script("import_scenarionet.py", extra, files, args, inv);
  }
  const auto& c = inv.config.import.navsim;
  AUTOSCALE_CHECK(!c.maps_root.empty(), "import.navsim.maps_root: required for the navsim format");
  auto extra = window_args(c.window);
  extra.insert(extra.end(), {"--maps-root", c.maps_root, "--map-version", c.map_version});
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

}  // namespace autoscale::cli
