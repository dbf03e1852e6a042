// The root configuration of the `autoscale` binary: every module's config struct under its key.
// configs/*.yaml are instances of it; `autoscale config` prints it resolved and documented.
#pragma once

#include <string>

#include "autoscale/core/config.h"
#include "autoscale/encode/graph_rae.h"
#include "autoscale/loop/experiment.h"
#include "autoscale/loop/options.h"
#include "autoscale/loop/slurm_chain.h"
#include "autoscale/mixture/kmeans.h"
#include "autoscale/mixture/vector_index.h"
#include "autoscale/import/commonroad.h"
#include "autoscale/synth/corrupt.h"
#include "autoscale/synth/perturb.h"
#include "autoscale/synth/sumo.h"
#include "autoscale/scene/split.h"
#include "autoscale/store/scene_type.h"
#include "autoscale/store/store.h"
#include "autoscale/train/trainer.h"

namespace autoscale::cli {

struct ScenarioNetConfig {
  scene::WindowOptions window;
  // Lane connectors have no polygon: a strip around the centerline stands in for the junction
  // surface. 2.5 m (a 5 m strip) rather than half a lane: turning vehicles sweep wider; on the
  // nuScenes samples the expert passes up to 0.55 m beyond a 3.5 m strip in turns.
  double connector_half_width_m = 2.5;
  void visit(ConfigVisitor& v);
};

struct NavsimConfig {
  std::string maps_root;             // NUPLAN_MAPS_ROOT: <root>/<map>/<version>/map.gpkg
  std::string map_version;            // version folder; "" = the newest present
  std::string scene_filter;           // NAVSIM scene filter YAML (navtrain.yaml, ...) or a token list
  scene::WindowOptions window{1.5, 5.0, 4.0, 0.5};
  void visit(ConfigVisitor& v);
};

// Argoverse 2 sensor logs: 15.5 s each at 10 Hz, cut like the other recordings.
struct Av2Config {
  scene::WindowOptions window{1.5, 5.0, 4.0, 0.5};
  void visit(ConfigVisitor& v);
};

struct ImportConfig {
  std::string format = "auto";  // auto | commonroad | scenarionet | navsim | av2
  scene::CommonRoadOptions commonroad;
  ScenarioNetConfig scenarionet;
  NavsimConfig navsim;
  Av2Config av2;
  void visit(ConfigVisitor& v);
};

struct SynthConfig {
  scene::PerturbOptions perturb;
  scene::CorruptOptions corrupt;
  scene::SumoOptions sumo;
  scene::SceneTypeOptions scene_type;
  void visit(ConfigVisitor& v);
};

// The sections a run reads (loop::ExperimentSections: run, eval, encode, mixture, data, train,
// loop) are the experiment's own; the others belong to the commands that read them.
struct AppConfig : loop::ExperimentSections {
  scene::StoreOptions store;
  ImportConfig import;
  SynthConfig synth;
  loop::SlurmOptions slurm;
  void visit(ConfigVisitor& v);
  void validate() const;  // cross-field rules, named by key path
};

// Loads `path` ("" = defaults) with overrides and validates; throws Error naming file and key.
AppConfig load_app_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace autoscale::cli
