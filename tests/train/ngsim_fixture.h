// Shared by the train tests: real NGSIM recordings (tests/data, BSD-3) as a planner dataset, a
// small planner configuration and a self-removing temporary directory.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "autoscale/import/commonroad.h"
#include "autoscale/train/dataset.h"
#include "autoscale/train/trainer.h"

namespace autoscale::train {

namespace fs = std::filesystem;
const std::string kData = std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/";

inline encode::GraphOptions small_graph() {
  encode::GraphOptions g;
  g.max_agents = 8;
  g.max_lanes = 16;
  return g;
}

struct Recordings {
  std::vector<scene::Scene> scenes;
  std::vector<std::shared_ptr<scene::Map>> maps;  // per scene
};

inline const Recordings& ngsim() {
  static const Recordings r = [] {
    Recordings out;
    for (const char* f : {"USA_US101-4_1_T-1.xml", "USA_Peach-4_8_T-1.xml"}) {
      auto imported = scene::import_commonroad(kData + f, {});
      auto map = std::make_shared<scene::Map>(imported.map);
      for (auto& s : imported.scenes) {
        out.scenes.push_back(std::move(s));
        out.maps.push_back(map);
      }
    }
    return out;
  }();
  return r;
}

inline PlannerDataset dataset() {
  PlannerDataset d(small_graph());
  const auto& r = ngsim();
  for (size_t i = 0; i < r.scenes.size(); ++i) {
    d.add(build_planner_sample(r.scenes[i], *r.maps[i], d.graph()), {r.scenes[i].token, r.scenes[i].log, "", scene::Domain::kReal});
  }
  return d;
}

inline TrainOptions small_training(const std::string& kind, int64_t steps) {
  TrainOptions o;
  o.planner.kind = kind;
  o.planner.d_model = 32;
  o.planner.layers = 1;
  o.planner.heads = 2;
  o.planner.feedforward = 64;
  o.planner.mlp_hidden = 64;
  o.steps = steps;
  o.batch = 16;
  o.warmup_steps = 5;
  o.lr = 1e-3;
  o.log_every = 5;
  o.checkpoint_every = 10;
  o.eval_every = 0;
  o.device = "cpu";
  return o;
}

struct TempDir {
  std::string path = (fs::temp_directory_path() / ("autoscale-train-" + std::to_string(getpid()) + "-" +
                                                    std::to_string(counter++))).string();
  ~TempDir() { fs::remove_all(path); }
  static inline int counter = 0;
};

inline std::vector<int64_t> all_rows(const PlannerDataset& d) {
  std::vector<int64_t> rows(d.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
  return rows;
}

// Two sampling groups over the rows (every third row, and the rest) with these weights.
inline MixtureSpec two_groups(const PlannerDataset& d, double weight_a, double weight_b) {
  MixtureSpec mix{{"a", "b"}, {{}, {}}, {weight_a, weight_b}};
  for (size_t i = 0; i < d.size(); ++i) mix.groups[i % 3 == 0].push_back(static_cast<int64_t>(i));
  return mix;
}

// A quiet training run writing into `dir`, seeded with `seed`.
inline TrainRun quiet_run(const std::string& dir, uint64_t seed) {
  TrainRun run;
  run.show_progress = false;
  run.seed = seed;
  run.out_dir = dir;
  return run;
}

}  // namespace autoscale::train
