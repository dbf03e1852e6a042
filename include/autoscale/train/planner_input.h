// What a planner sees of a scene, as fixed-size float arrays (torch-free): the ego status and
// its past, the nearest agents with their short history, the nearest lane polylines with route,
// connector, speed-limit and red-light flags, and the driving command. Built from the same scene
// graph the encoder reads, minus the ego future, which becomes the training target.
#pragma once

#include <cstdint>
#include <vector>

#include "autoscale/encode/graph.h"
#include "autoscale/scene/types.h"

namespace autoscale::train {

inline constexpr int kPlanPoses = 8;              // NAVSIM: 8 poses at 0.5 s
inline constexpr double kPlanInterval = 0.5;      // s
inline constexpr int kTargetSize = kPlanPoses * 3;  // (x, y, yaw) per pose, rear axle frame at t = 0
// speed, accel lon/lat, command one-hot (4), then where the ego was 0.5/1.0/1.5 s ago (x, y)
inline constexpr int kEgoInput = 7 + 6;
inline constexpr int kAgentInput = encode::kAgentFeatures;
int lane_input(const encode::GraphOptions& o);    // the graph's lane features + on-route flag
// The route centerline ahead (NAVSIM's PDM centerline: the corrected route's lanes from the
// ego's projection), sampled every kPathStep metres, (x, y) in the ego frame.
inline constexpr int kPathPoints = 20;
inline constexpr double kPathStep = 4.0;            // m
inline constexpr int kPathInput = 2 * kPathPoints;

struct PlannerSample {
  std::vector<float> ego;            // kEgoInput
  std::vector<float> agents;         // max_agents x kAgentInput
  std::vector<uint8_t> agent_mask;
  std::vector<float> lanes;          // max_lanes x lane_input
  std::vector<uint8_t> lane_mask;
  std::vector<float> path;           // kPathInput
  // Driving the centerline at the current speed: the prior the transformer planner corrects.
  std::vector<float> prior;          // kTargetSize
  std::vector<float> target;         // kTargetSize: the recorded (or pseudo-expert) future
};

// Left-right mirror of a sample in place, in its ego frame: y -> -y and yaw -> -yaw for every
// position, heading, velocity and acceleration; the left and right commands swap. A mirrored
// scene is a plausible scene of the other traffic side (nuScenes drives on both), and it breaks
// a planner's memory of a few training maps. Mirroring twice is the identity.
void mirror_planner_arrays(float* ego, float* agents, int64_t max_agents, float* lanes, int64_t max_lanes,
                           const encode::GraphOptions& options, float* path, float* prior, float* target);
void mirror_planner_sample(PlannerSample& sample, const encode::GraphOptions& options);

// Throws Error naming the token for scenes a planner cannot be trained or evaluated on (empty,
// no lanes near the ego, under 4 s of future, non-finite values).
PlannerSample build_planner_sample(const scene::Scene& scene, const scene::Map& map, const encode::GraphOptions& options);

}  // namespace autoscale::train
