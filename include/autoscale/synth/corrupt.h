// Planted label corruption (mixture-review §4, testbeds T1/T2): copies of synthetic scenes whose
// inputs are untouched and whose label (the ego future a planner learns) is wrong in a known
// way. A mixture method that reads outcomes should leave them out; one that reads only inputs
// cannot tell them from their clean twins. The copies carry generator "corrupt_<kind>", so the
// share a method selects is exact.
#pragma once

#include <cstdint>
#include <string>

#include "autoscale/core/config.h"
#include "autoscale/scene/types.h"

namespace autoscale::scene {

struct CorruptOptions {
  std::string kind = "lateral_drift";  // lateral_drift | slow | constant_velocity
  double lateral_m = 2.5;     // lateral_drift: offset at the end of the future, + to the right of each pose [m]
  double speed_factor = 0.5;  // slow: the future replays the same path this much slower
  double fraction = 1.0;      // share of the input scenes that get a corrupted copy

  void visit(ConfigVisitor& v);
  void validate() const;
};

// The scene with its ego future corrupted: history, current state, agents, lights, map and route
// unchanged. lateral_drift moves future state i sideways by lateral_m · t_i / t_end, to the
// right of its heading; slow re-times the path so that the state at time t is the original one
// at t · speed_factor (velocities and accelerations scaled alike); constant_velocity replaces the
// future by driving on along the current heading at the current speed (T1's "drives through":
// no braking for a red light or a stopping leader, no turn). The copy's token is
// "harm-<token>", its domain synthetic; log, map and source_log stay (a real input's log becomes
// its source_log), so leakage guards and splits treat it as its twin. Error names the token when the scene has no future.
Scene corrupt_label(const Scene& scene, const CorruptOptions& options);

// Whether the scene is among options.fraction of the inputs: a seeded hash of its token, so the
// choice does not depend on store order, shards or threads.
bool chosen_for_corruption(const CorruptOptions& options, uint64_t seed, const std::string& token);

}  // namespace autoscale::scene
