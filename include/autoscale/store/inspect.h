// What `autoscale inspect` reports about a store: counts, distributions and validation of every
// scene and map, with the offenders listed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "autoscale/store/store.h"

namespace autoscale::scene {

// Map points further than this from the origin are errors [m]: no road network is that big, and
// 1e308 is finite.
inline constexpr double kMaxMapCoordinate = 1e7;

// Problems of one scene against its map; empty when valid. Each line names the field and value.
std::vector<std::string> validate_scene(const Scene& scene, const Map& map);
// Problems of a map, empty when valid: duplicate ids; successors, predecessors, left/right
// neighbours and roadblocks that are not in the map; centerlines of fewer than 2 points;
// non-finite points or points beyond kMaxMapCoordinate; degenerate polygons. Importers reject
// a map with any of them.
std::vector<std::string> validate_map(const Map& map);

struct Distribution {
  size_t count = 0;
  double min = 0, max = 0, mean = 0, p50 = 0, p90 = 0;
  static Distribution of(std::vector<double> values);
};

struct StoreSummary {
  std::string dir;
  size_t scenes = 0;
  std::map<std::string, size_t> by_domain;     // real / synthetic
  std::map<std::string, size_t> by_generator;  // importer or generator name
  std::map<std::string, size_t> by_source;     // recorded data set or generator (scene_source)
  std::map<std::string, size_t> logs_by_source;
  std::map<std::string, size_t> by_log;
  std::map<std::string, size_t> by_command;
  std::map<std::string, size_t> agents_by_type;
  Distribution agents_per_scene;
  Distribution ego_speed;    // at the current frame [m/s]
  Distribution future_s;     // ego future length [s]
  struct MapExtent {
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
    size_t lanes = 0, roadblocks = 0, areas = 0;
  };
  std::map<std::string, MapExtent> maps;
  // Offenders: "token: problem" / "map id: problem".
  std::vector<std::string> problems;
  std::vector<std::string> unlisted_files;
};

// Streams the whole store once. Progress is shown for large stores.
StoreSummary summarize_store(const SceneStore& store, bool show_progress = true);

// Human-readable report (what `autoscale inspect` prints) and its JSON twin.
std::string format_summary(const StoreSummary& summary, size_t max_problems = 50);
std::string summary_json(const StoreSummary& summary);

}  // namespace autoscale::scene
