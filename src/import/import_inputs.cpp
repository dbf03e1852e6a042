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
  return "";
}

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
                                ".pkl = scenarionet); set import.format",
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
    if (fs::is_directory(in) && format != "navsim") {
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
