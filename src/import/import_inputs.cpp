#include "autoscale/import/import_inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "autoscale/core/error.h"

namespace autoscale::scene {

namespace fs = std::filesystem;

std::string import_format_of(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".xml") return "commonroad";
  if (ext == ".pkl") return "scenarionet";
  if (ext == ".feather") return "av2";  // a file of an Argoverse 2 log directory
  return "";
}

namespace {

constexpr const char* kAv2PoseFile = "city_SE3_egovehicle.feather";

// Argoverse 2 inputs are log directories: a directory holding the ego poses is one log, any other
// directory contributes every log below it, a Feather file its own log.
void add_av2_logs(const std::string& in, std::vector<std::string>& out) {
  const auto add_once = [&](const std::string& log) {  // two files of one log are one input
    if (std::find(out.begin(), out.end(), log) == out.end()) out.push_back(log);
  };
  if (!fs::is_directory(in)) {  // a file of a log, maybe deep in its sensor tree: the log holding it
    for (auto dir = fs::absolute(in).parent_path(); !dir.empty(); dir = dir.parent_path()) {
      if (fs::exists(dir / kAv2PoseFile)) {
        add_once((fs::path(in).is_absolute() ? dir : fs::relative(dir)).string());
        return;
      }
      if (dir == dir.root_path()) break;
    }
    AUTOSCALE_THROW("input {}: not in an Argoverse 2 log (no {} beside it or above)", quote(in), kAv2PoseFile);
  }
  if (fs::exists(fs::path(in) / kAv2PoseFile)) {
    add_once(in);
    return;
  }
  std::vector<std::string> found;
  for (auto it = fs::recursive_directory_iterator(in); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && fs::exists(it->path() / kAv2PoseFile)) {
      found.push_back(it->path().string());
      it.disable_recursion_pending();  // a log's sensor tree holds no other log
    }
  }
  std::sort(found.begin(), found.end());
  AUTOSCALE_CHECK(!found.empty(), "input {}: no Argoverse 2 log below it (no {})", quote(in), kAv2PoseFile);
  for (const auto& log : found) add_once(log);
}

}  // namespace

std::string resolve_import_format(const std::vector<std::string>& inputs, const std::string& configured) {
  if (configured != "auto") return configured;
  std::set<std::string> formats;
  for (const auto& in : inputs) {
    std::string f;
    if (fs::is_directory(in)) {
      for (const auto& e : fs::recursive_directory_iterator(in)) {
        if (e.is_regular_file() && !(f = import_format_of(e.path().string())).empty()) break;
      }
    } else {
      f = import_format_of(in);
    }
    AUTOSCALE_CHECK(!f.empty(), "input {}: cannot tell its format from the extension (.xml = commonroad, "
                                ".pkl = scenarionet, .feather = av2); set import.format",
                    quote(in));
    formats.insert(f);
  }
  AUTOSCALE_CHECK(formats.size() == 1, "inputs mix formats ({}): import each format in its own call with --append",
                  fmt::join(formats, ", "));
  return *formats.begin();
}

std::vector<std::string> expand_import_inputs(const std::vector<std::string>& inputs, const std::string& format) {
  std::vector<std::string> out;
  for (const auto& in : inputs) {
    AUTOSCALE_CHECK(fs::exists(in), "input {}: no such file or directory", quote(in));
    if (format == "av2") {
      add_av2_logs(in, out);
    } else if (fs::is_directory(in) && format != "navsim") {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(in)) {
        if (e.is_regular_file() && import_format_of(e.path().string()) == format) found.push_back(e.path().string());
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

std::vector<std::string> import_shard(const std::vector<std::string>& files, size_t i, size_t n) {
  AUTOSCALE_CHECK(n >= 1 && i < n, "import shard {}/{}: expected i < N", i, n);
  AUTOSCALE_CHECK(n <= files.size(), "import --shard {}/{}: {} shards of only {} input files", i, n, n, files.size());
  return std::vector<std::string>(files.begin() + static_cast<std::ptrdiff_t>(i * files.size() / n),
                                  files.begin() + static_cast<std::ptrdiff_t>((i + 1) * files.size() / n));
}

}  // namespace autoscale::scene
