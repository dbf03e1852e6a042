// Serialisation of scenes and maps to and from the columnar HDF5 layout of docs/data-format.md
// (private to the scene module; SceneStore/SceneStoreWriter own the files and the index).
#pragma once

#include <string>
#include <vector>

#include "autoscale/scene/types.h"
#include "autoscale/store/h5.h"

namespace autoscale::scene::format {

inline constexpr const char* kStoreFormat = "autoscale-scene-store";
inline constexpr const char* kShardFormat = "autoscale-scene-shard";
inline constexpr const char* kMapFormat = "autoscale-map";

void write_shard(h5::File& file, const std::vector<Scene>& scenes, int compression);
// Scenes [first, first + count) of an open shard file.
std::vector<Scene> read_shard(const h5::File& file, size_t first, size_t count);
size_t shard_size(const h5::File& file);

void write_map(h5::File& file, const Map& map, int compression);
Map read_map(const h5::File& file);

// Checks the format/schema attributes; throws Error naming the file otherwise.
void check_header(const h5::File& file, const char* expected_format);

}  // namespace autoscale::scene::format
