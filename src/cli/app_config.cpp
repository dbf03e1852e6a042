#include "app_config.h"

#include "autoscale/core/error.h"

namespace autoscale::cli {

void ScenarioNetConfig::visit(ConfigVisitor& v) {
  v.section("window", window, "how each recording is cut into scenes");
  v.field("connector_half_width_m", connector_half_width_m,
          "half width of the drivable strip around lane-connector centerlines [m]", positive());
}

void NavsimConfig::visit(ConfigVisitor& v) {
  v.field("maps_root", maps_root, "nuPlan maps directory (NUPLAN_MAPS_ROOT)");
  v.field("map_version", map_version, "nuPlan map version folder (empty: the newest present)");
  v.field("scene_filter", scene_filter,
          "a NAVSIM scene filter YAML (navtrain.yaml, navtest.yaml: tokens, log_names, has_route, max_scenes) or a "
          "text file of tokens, one per line; empty = every frame with its window");
  v.section("window", window, "history/future kept around each NAVSIM token");
}

void Av2Config::visit(ConfigVisitor& v) { v.section("window", window, "how each log is cut into scenes"); }

void ImportConfig::visit(ConfigVisitor& v) {
  v.field("format", format, "input format; auto picks by file extension (.xml, .pkl, .feather)",
          Choices{"auto", "commonroad", "scenarionet", "navsim", "av2"});
  v.section("commonroad", commonroad, "CommonRoad XML (2018b, 2020a)");
  v.section("scenarionet", scenarionet, "ScenarioNet pickles (nuScenes, nuPlan, Waymo, ... converted)");
  v.section("navsim", navsim, "OpenScene / NAVSIM logs with nuPlan maps");
  v.section("av2", av2,
            "Argoverse 2 sensor-dataset logs (annotations, ego poses, vector map; Feather read by Node.js)");
}

void SynthConfig::visit(ConfigVisitor& v) {
  v.section("perturb", perturb, "perturbed starts of real scenes, labelled by PDM-Closed");
  v.section("corrupt", corrupt, "planted label corruption: copies of synthetic scenes with a wrong ego future");
  v.section("sumo", sumo, "SUMO traffic worlds");
  v.section("scene_type", scene_type, "scene types by rule (synth select): stop, turn or cruise from the expert's future");
}

void AppConfig::visit(ConfigVisitor& v) {
  v.section("run", run, "process-wide settings");
  v.section("store", store, "the HDF5 scene store");
  v.section("import", import, "real-data importers");
  v.section("eval", eval, "PDM Score evaluation");
  v.section("synth", synth, "synthetic data generators");
  v.section("encode", encode, "scene embeddings");
  v.section("mixture", mixture, "clustering and retrieval");
  v.section("data", data, "training data: splits and the real/synthetic share");
  v.section("train", train, "planner training");
  v.section("loop", loop, "the closed loop (autoscale run) and the method comparison (autoscale compare)");
  v.section("slurm", slurm, "batch jobs of `autoscale slurm submit` (one loop step per job, chained with afterok)");
}

void AppConfig::validate() const {
  const auto check_window = [](const scene::WindowOptions& w, const char* key) {
    with_context(key, [&] { w.validate(); });
  };
  check_window(import.commonroad.window, "import.commonroad.window");
  check_window(import.scenarionet.window, "import.scenarionet.window");
  check_window(import.navsim.window, "import.navsim.window");
  check_window(import.av2.window, "import.av2.window");
  with_context("synth.perturb", [&] { synth.perturb.validate(); });
  with_context("synth.corrupt", [&] { synth.corrupt.validate(); });
  with_context("synth.sumo", [&] { synth.sumo.validate(); });
  loop.validate();
  // Each compared planner would train the same external command, and every result would say
  // "external": one of the two.
  AUTOSCALE_CHECK(train.external.command.empty() || loop.compare.planners.empty(),
                  "loop.compare.planners and train.external.command: give one (your planner is compared by "
                  "running the comparison once per command)");
}

AppConfig load_app_config(const std::string& path, const std::vector<std::string>& overrides) {
  AppConfig config;
  const ConfigVisit visit = [&](ConfigVisitor& v) { config.visit(v); };
  if (path.empty()) {
    load_config_text(visit, "{}", "<defaults>", overrides);
  } else {
    load_config_file(visit, path, overrides);
  }
  with_context(path.empty() ? "config" : path, [&] { config.validate(); });
  return config;
}

}  // namespace autoscale::cli
