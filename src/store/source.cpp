#include "autoscale/store/source.h"

#include <nlohmann/json.hpp>

namespace autoscale::scene {

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string commonroad_source(const std::string& file) {
  if (starts_with(file, "CHN_SIND")) return "sind";
  for (const char* ngsim : {"USA_US101", "USA_Lanker", "USA_Peach", "USA_I80"}) {
    if (starts_with(file, ngsim)) return "ngsim";
  }
  return "commonroad";
}

}  // namespace

std::string scene_source(const Scene& scene) {
  const std::string generator = scene.generator.empty() ? "?" : scene.generator;
  if (scene.domain != Domain::kReal) return generator;
  // The parameters are the importer's own JSON; a scene written by hand may have none.
  const auto params = nlohmann::json::parse(scene.generator_params, nullptr, /*allow_exceptions=*/false);
  if (!params.is_object()) return generator;
  if (params.contains("dataset") && params["dataset"].is_string() && !params["dataset"].get<std::string>().empty()) {
    return params["dataset"].get<std::string>();
  }
  if (generator == "commonroad" && params.contains("source") && params["source"].is_string()) {
    return commonroad_source(params["source"].get<std::string>());
  }
  return generator;
}

}  // namespace autoscale::scene
