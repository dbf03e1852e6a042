// The root configuration of the `autoscale` binary: every module's config struct under its key.
// configs/*.yaml are instances of it; `autoscale config` prints it resolved and documented.
#pragma once

#include <string>

#include "autoscale/core/config.h"
#include "autoscale/encode/graph_rae.h"
#include "autoscale/loop/options.h"
#include "autoscale/loop/slurm_chain.h"
#include "autoscale/mixture/kmeans.h"
#include "autoscale/mixture/vector_index.h"
#include "autoscale/scene/commonroad.h"
#include "autoscale/scene/corrupt.h"
#include "autoscale/scene/perturb.h"
#include "autoscale/scene/sumo.h"
#include "autoscale/scene/split.h"
#include "autoscale/scene/store.h"
#include "autoscale/train/trainer.h"

namespace autoscale::cli {

struct RunConfig {
  int64_t seed = 0;     // every random choice derives from it
  int64_t threads = 0;  // 0 = all online cores
  void visit(ConfigVisitor& v);
};

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
  scene::WindowOptions window{1.5, 5.0, 4.0, 0.5};
  void visit(ConfigVisitor& v);
};

struct ImportConfig {
  std::string format = "auto";  // auto | commonroad | scenarionet | navsim
  scene::CommonRoadOptions commonroad;
  ScenarioNetConfig scenarionet;
  NavsimConfig navsim;
  void visit(ConfigVisitor& v);
};

struct EvalConfig {
  std::string pdms_version = "v1";  // v1 = PDMS (NAVSIM v1.1 leaderboard), v2 = EPDMS one-stage
  bool human_filter = true;    // v2: metrics the logged human fails are not held against the agent
  std::string ego_size = "pacifica";  // pacifica (NAVSIM) | recorded (the expert vehicle's own size)
  void visit(ConfigVisitor& v);
};

struct SynthConfig {
  scene::PerturbOptions perturb;
  scene::CorruptOptions corrupt;
  scene::SumoOptions sumo;
  void visit(ConfigVisitor& v);
};

struct EncodeConfig {
  std::string embedding = "graph_rae";  // graph_rae | descriptor (the hand-made baseline)
  encode::GraphOptions graph;
  encode::GraphRaeOptions graph_rae;
  void visit(ConfigVisitor& v);
};

struct MixtureConfig {
  mixture::KMeansParams kmeans;
  mixture::IndexParams index;
  void visit(ConfigVisitor& v);
};

struct DataConfig {
  scene::SplitOptions split;  // log-disjoint real train / val / test
  // Share of the training samples drawn from synthetic data when co-training; -1 = natural
  // (proportional to the sample counts).
  double synthetic_share = -1;
  void visit(ConfigVisitor& v);
};

struct AppConfig {
  RunConfig run;
  scene::StoreOptions store;
  ImportConfig import;
  EvalConfig eval;
  SynthConfig synth;
  EncodeConfig encode;
  MixtureConfig mixture;
  DataConfig data;
  train::TrainOptions train;
  loop::LoopOptions loop;
  loop::SlurmOptions slurm;
  void visit(ConfigVisitor& v);
  void validate() const;  // cross-field rules, named by key path
};

// Loads `path` ("" = defaults) with overrides and validates; throws Error naming file and key.
AppConfig load_app_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace autoscale::cli
