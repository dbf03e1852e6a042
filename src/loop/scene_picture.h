// Internal to the loop module: a bird's-eye SVG of one scored scene for the report, in the ego
// frame (the ego at the origin driving right, 20 m behind to 50 m ahead): lanes and drivable
// area, the agents at the current frame, the expert's logged future, the planned trajectory, and
// the sub-scores with the failing ones marked.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "autoscale/eval/metric_cache.h"
#include "autoscale/eval/scorer.h"
#include "autoscale/scene/types.h"
#include "job_context.h"

namespace autoscale::loop {

// v2: also TLC, LK and EC (v1 leaves them at their defaults, which mean nothing).
std::string scene_picture(const scene::Scene& scene, const scene::Map& map, const eval::Plan& plan,
                          const eval::SubScores& scores, bool v2, const std::string& title);

// The scene and its own logged future (for a synthetic scene: its label), without a plan.
std::string scene_picture(const scene::Scene& scene, const scene::Map& map, const std::string& title,
                          const std::string& caption);

// What each scene type looks like: per cluster, the `per_cluster` scenes nearest its centroid
// (from distinct logs where it has them; real and synthetic alike) drawn into
// dir/cluster-K-J.svg, J = 1 the nearest. Error when a scene cannot be read.
void write_cluster_pictures(const ExperimentData& data, const std::filesystem::path& dir, size_t per_cluster = 3);

// What the method chose: the `clusters` clusters holding most of `rows` (a selection), up to
// `per_cluster` of their selected scenes each, nearest the centroid first, with their labels,
// drawn into dir/selected-I-J.svg (I = 1 the cluster with most selected scenes).
void write_selection_pictures(const ExperimentData& data, const std::vector<int64_t>& rows,
                              const std::filesystem::path& dir, size_t clusters = 3, size_t per_cluster = 2);

// The `count` lowest-PDMS valid scenes of `report` (scored on `rows`, in that order) drawn into
// dir/worst-1.svg (the worst), worst-2.svg, ...; plans_of(rows) gives the plans of those rows.
using PlansOf = std::function<std::unordered_map<std::string, eval::Plan>(const std::vector<int64_t>&)>;
void write_worst_pictures(const JobContext& ctx, const eval::EvalReport& report, const std::vector<int64_t>& rows,
                          const PlansOf& plans_of, const std::filesystem::path& dir, size_t count = 4);

}  // namespace autoscale::loop
