#include "autoscale/core/artifact_meta.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "autoscale/core/error.h"

namespace autoscale {

std::string write_artifact_meta(const std::string& format, const ConfigVisit& sections) {
  std::string tag = format;
  return dump_config([&](ConfigVisitor& v) {
    v.field("format", tag, "what wrote this file and how to read it");
    sections(v);
  });
}

std::string read_artifact_meta(const std::string& text, const std::string& path, const std::string& what,
                               const std::vector<std::string>& accepted, const ConfigVisit& sections) {
  // The tag first: a file of another kind would otherwise fail on its first unknown key.
  std::string format;
  try {
    const YAML::Node root = YAML::Load(text);
    if (root.IsMap() && root["format"] && root["format"].IsScalar()) format = root["format"].Scalar();
  } catch (const YAML::Exception& e) {
    AUTOSCALE_THROW("{}: damaged {} metadata: {}", path, what, e.msg);
  }
  AUTOSCALE_CHECK(!format.empty(), "{}: not an autoscale {} (its metadata has no format tag)", path, what);
  AUTOSCALE_CHECK(std::find(accepted.begin(), accepted.end(), format) != accepted.end(),
                  "{}: unsupported {} format {} (this build reads {})", path, what, quote(format),
                  fmt::join(accepted, ", "));
  std::string tag;
  load_config_text(
      [&](ConfigVisitor& v) {
        v.field("format", tag, "what wrote this file");
        sections(v);
      },
      text, path);
  return format;
}

}  // namespace autoscale
