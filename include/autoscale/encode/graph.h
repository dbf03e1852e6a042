// The driving scene as a typed graph (mixture-design 4.1), in the ego frame at the current
// step, padded to fixed sizes with masks so that scenes batch into tensors without reshaping.
// This step is torch-free; the Graph-RAE packs these arrays into tensors.
//
// Nodes: node 0 is the ego, nodes 1..max_agents the agents, then max_lanes lane polylines.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/scene/types.h"

namespace autoscale::encode {

struct GraphOptions {
  int64_t max_agents = 32;     // nearest agents within radius_m
  int64_t max_lanes = 64;      // nearest lane polylines within radius_m
  double radius_m = 50.0;
  int64_t lane_points = 10;    // each centerline resampled to this many points
  int64_t agent_neighbours = 8;  // agent <-> agent kNN edges (within 30 m)
  int64_t lanes_per_actor = 3;   // ego/agent -> nearest lanes (within 5 m)
  // The ego node carries its own future (the label) as input. false: an input-only embedding
  // (the future's slots are zero; it stays the behaviour term's target), so that ranking and
  // retrieval cannot tell a scene's correct label from a corrupted copy's.
  bool ego_future_input = true;

  void visit(ConfigVisitor& v);
};

// Feature widths.
inline constexpr int kEgoFeatures = 3 + 4 + 8 * 3;     // speed, accel lon/lat, command, future 8 x (x, y, yaw)
inline constexpr int kAgentFeatures = 4 + 6 + 2 + 9;   // class, pose (x, y, cos, sin, l, w), velocity, 3 x (dx, dy, seen)
int lane_features(const GraphOptions& o);               // 2 * points + connector + speed + has_speed + red

enum class EdgeType : uint8_t { kEgoAgent = 0, kAgentAgent = 1, kActorLane = 2, kLaneLane = 3 };

struct SceneGraph {
  std::vector<float> ego;          // kEgoFeatures
  std::vector<float> agents;       // max_agents x kAgentFeatures
  std::vector<uint8_t> agent_mask;  // max_agents: 1 = a real agent
  std::vector<float> lanes;        // max_lanes x lane_features
  std::vector<uint8_t> lane_mask;
  std::vector<uint8_t> lane_on_route;  // max_lanes: 1 = the lane's roadblock is on the scene's route
  std::vector<int32_t> edge_src, edge_dst;  // node indices (see above), both directions listed
  std::vector<uint8_t> edge_type;
  std::vector<float> future;       // the ego future, 8 x (x, y, yaw): what the behaviour terms compare
};

// Throws Error for an empty scene or one without 4 s of ego future.
SceneGraph build_graph(const scene::Scene& scene, const scene::Map& map, const GraphOptions& options);

// The contrastive view of a scene (mixture-design 4.2): drop 15 % of agents and 10 % of lanes,
// jitter positions (0.3 m), rotate by up to 5 degrees, scale speeds by up to 5 %. The ego
// future is never changed: it defines the behaviour the embedding must keep.
SceneGraph augment(const SceneGraph& graph, const GraphOptions& options, std::mt19937_64& rng);

}  // namespace autoscale::encode
