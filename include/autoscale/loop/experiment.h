// The inputs of a closed-loop run, loaded once and shared by every method and seed: the scene
// stores, the clustered embeddings of every scene, the planner samples, and the log-disjoint
// split with the leakage guard applied to the synthetic pool.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autoscale/core/run_config.h"
#include "autoscale/encode/encode_config.h"
#include "autoscale/encode/scene_embeddings.h"
#include "autoscale/eval/eval_config.h"
#include "autoscale/eval/metric_cache.h"
#include "autoscale/eval/scoring_cache.h"
#include "autoscale/loop/options.h"
#include "autoscale/mixture/embeddings.h"
#include "autoscale/mixture/kmeans.h"
#include "autoscale/mixture/mixture_config.h"
#include "autoscale/scene/split.h"
#include "autoscale/train/dataset.h"
#include "autoscale/train/trainer.h"

namespace autoscale::loop {

// The `data` section: how the real logs are split, and the real dose of every training.
struct DataConfig {
  scene::SplitOptions split;  // log-disjoint real train / val / test
  // Share of the training samples drawn from synthetic data when co-training; -1 = natural
  // (proportional to the sample counts).
  double synthetic_share = -1;
  void visit(ConfigVisitor& v);
};

// The sections of the configuration a run reads, under the keys of the config file. The CLI's
// configuration is these plus the sections only other commands read, so a run reads the user's
// sections as they are: no second set of names.
struct ExperimentSections {
  RunConfig run;
  eval::EvalConfig eval;
  encode::EncodeConfig encode;
  mixture::MixtureConfig mixture;
  DataConfig data;
  train::TrainOptions train;
  LoopOptions loop;
};

// A run's configuration: its sections, and where they came from.
struct ExperimentConfig : ExperimentSections {
  std::string config_yaml;   // the resolved config, written into the run directory
  std::string command_line;
  bool show_progress = true;

  uint64_t seed() const { return static_cast<uint64_t>(run.seed); }
  // How embeddings are made when loop.embeddings is "" (encode.*, seeded by run.seed).
  encode::EmbedRequest embed_request() const;
};

class ExperimentData {
 public:
  // Opens the stores, reads (or, without loop.embeddings, computes and clusters into
  // RUN/embeddings.h5, reused on resume) the embeddings and builds the planner samples.
  // Error names the file and token when a scene has no embedding or the embeddings no clusters.
  static ExperimentData load(const ExperimentConfig& config, const std::string& run_dir);

  std::vector<scene::SceneStore> stores;
  mixture::Embeddings embeddings;     // with the cluster assignment
  train::PlannerDataset data{encode::GraphOptions{}};
  // Per planner-sample row: its embedding row, cluster, store and row in that store.
  std::vector<int64_t> embedding_row, cluster;
  std::vector<size_t> store_of, store_row;
  std::map<std::string, scene::Split> splits;  // real log -> split
  std::vector<int64_t> real_train, val, test;  // rows of `data`
  std::vector<int64_t> pool;                   // synthetic rows left after the leakage guard
  std::vector<std::vector<int64_t>> pool_by_cluster, val_by_cluster;
  size_t leaked = 0;                           // synthetic rows derived from held-out logs
  // PDMS of each pool scene's own label (its logged future scored as a plan), by row of `data`;
  // NaN where not measured (attach_label_scores fills it for the methods that gate on it).
  std::vector<double> label_pdms;
  // The run's eval options and the scenes prepared for scoring with them, shared by every job of
  // the process (up to loop.scoring_cache_scenes): each window's metric cache is built once.
  std::shared_ptr<eval::ScoringCache> scoring_cache;

  int clusters() const { return embeddings.clusters(); }
};

// Windows on a coarser grid: per log, the rows whose time since the log's first row is a
// multiple of `stride_s` (nearly duplicate windows add cost, not information); 0 keeps all.
std::vector<int64_t> thin_windows(const train::PlannerDataset& data, const std::vector<int64_t>& rows, double stride_s);

}  // namespace autoscale::loop
