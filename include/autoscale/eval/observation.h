// The scorer's view of other road users: one set of boxes per 0.1 s step, interpolated from
// 2 Hz annotation frames exactly as NAVSIM's metric caching does (navsim-pdms.md section 2,
// "Observation"): linear in x, y, unwrapped heading, vx, vy inside each track's observed span;
// a track seen in a single frame is present at every step; type, size and velocity for the
// stopped-track test come from the first frame that has it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autoscale/eval/geometry.h"
#include "autoscale/scene/types.h"

namespace autoscale::eval {

struct TrackSample {
  double t;  // s relative to the current frame
  double x, y, heading, vx, vy;
};

struct AgentTrack {
  std::string id;
  scene::AgentType type = scene::AgentType::kVehicle;
  double length = 0, width = 0;
  std::vector<TrackSample> samples;  // increasing t
};

struct TrackedObject {
  std::string id;
  scene::AgentType type;
  double first_speed;  // |v| at its first appearance
  bool is_agent() const { return type != scene::AgentType::kStatic; }
  bool is_stopped() const { return !is_agent() || first_speed <= 0.05; }  // nuPlan is_track_stopped
};

struct ObjectBox {
  uint32_t object;  // index into objects()
  Box box;
};

class Observation {
 public:
  Observation() = default;
  // num_steps states at t = 0, 0.1, ...: 51 for NAVSIM v1 (5 s), 41 for v2 (4 s). With
  // hold > 1 only every hold-th step is sampled and held for the next hold - 1 steps (step k
  // shows the objects at t = floor(k / hold) * hold * 0.1 s), as PDM-Closed's forecast does.
  static Observation from_tracks(const std::vector<AgentTrack>& tracks, int num_steps, int hold = 1);

  int num_steps() const { return static_cast<int>(step_start_.size()) - 1; }
  const std::vector<TrackedObject>& objects() const { return objects_; }
  const ObjectBox* begin(int step) const { return boxes_.data() + step_start_[step]; }
  const ObjectBox* end(int step) const { return boxes_.data() + step_start_[step + 1]; }

  // v2 log replay drops every track whose box touches the ego footprint at t = 0.
  Observation without_objects_touching(const Box& ego_at_start) const;

 private:
  std::vector<TrackedObject> objects_;
  std::vector<uint32_t> step_start_{0};
  std::vector<ObjectBox> boxes_;
};

// The observed states of a stored scene's agents from its current frame to the horizon.
std::vector<AgentTrack> tracks_from_scene(const scene::Scene& scene, double horizon_s);

}  // namespace autoscale::eval
