// Rule-based scene types from the expert's own behaviour (testbed T1, mixture-review §4): a
// scene is a stop when the expert brakes hard within the horizon (a red light or a stopping
// leader ahead), a turn when its heading changes by a large angle, a cruise otherwise. The
// label is the evidence, so the type is exact for recorded and simulated experts alike.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/scene/types.h"
#include "autoscale/store/store.h"

namespace autoscale::scene {

enum class SceneType { kStop, kTurn, kCruise };

struct SceneTypeOptions {
  double horizon_s = 4.0;        // future the rule reads [s]
  double stop_from_speed = 3.0;  // a stop starts at least this fast [m/s]
  double stop_ratio = 0.3;       // ... and falls to at most this share of its speed within the horizon
  double turn_rad = 0.6;         // a turn changes heading by at least this within the horizon [rad]

  void visit(ConfigVisitor& v);
};

// Stop before turn: a vehicle braking for a light at a junction is a stop whatever it does next.
SceneType scene_type(const Scene& scene, const SceneTypeOptions& options = {});
const char* to_string(SceneType type);
// Error naming the value unless it is stop, turn or cruise.
SceneType parse_scene_type(const std::string& name);

struct SelectOptions {
  std::vector<SceneType> keep{SceneType::kStop, SceneType::kTurn, SceneType::kCruise};
  bool as_real = false;  // mark the copies real: testbed T1 lets SUMO worlds stand in for recorded logs
  std::string tag;       // "" or a group name: the copies' generator becomes "<generator>:<tag>", so a
                         // mixture's share of each planted group is exact (compare's selection sources)
  SceneTypeOptions types;
};

// Copies the scenes of `in` whose type is kept to `out` (maps as needed). Returns the scenes
// seen per type (indexed by SceneType), kept or not.
std::array<size_t, 3> select_by_type(const SceneStore& in, const SelectOptions& options, SceneStoreWriter& out);

}  // namespace autoscale::scene
