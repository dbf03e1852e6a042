// Planned trajectories by scene token, as an external planner writes them (a PyTorch agent, a
// NAVSIM agent's output): `autoscale eval --trajectories FILE` scores them with the same PDM
// Score code as the built-in agents, and `eval --write-trajectories FILE` writes any agent's.
//
// Poses are (x, y, heading) of the rear axle in the ego frame of the scene's current state
// (x forward, y left, heading counter-clockwise), at t = interval, 2 interval, ...: NAVSIM's
// 8 poses at 0.5 s, or 40 at 0.1 s. Two formats, told apart by the file's first character:
//   JSON lines  {"token": "...", "poses": [[x, y, heading], ...], "interval": 0.5}
//               (interval optional: 8 poses mean 0.5 s, 40 mean 0.1 s)
//   CSV         a header naming token, x, y, heading (and optionally t), then one row
//               per pose, each token's rows together and in time order; the interval is t's
//               step when t is given, else inferred from the pose count as above
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "autoscale/eval/metric_cache.h"

namespace autoscale::eval {

struct TrajectoryFile {
  std::vector<std::string> tokens;             // file order
  std::unordered_map<std::string, Plan> plans;  // by token
};

// Error naming the file, line and field on anything malformed: a missing column, a non-finite
// number, a token given twice, a pose count with no interval, a non-uniform t.
TrajectoryFile read_trajectory_file(const std::string& path);

// JSON lines in `tokens` order, numbers written so that they read back bit for bit.
std::string trajectory_jsonl(const std::vector<std::string>& tokens, const std::unordered_map<std::string, Plan>& plans);

}  // namespace autoscale::eval
