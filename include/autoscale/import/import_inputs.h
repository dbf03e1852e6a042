// The files an import reads: the format told from the extensions, directories expanded to the
// files of that format (sorted, so imports are ordered), and one shard of them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace autoscale::scene {

// commonroad (.xml), scenarionet (.pkl), av2 (.feather), or "" for an extension no importer reads.
std::string import_format_of(const std::string& path);

// `configured` unless it is "auto"; otherwise the one format of all inputs (a directory counts
// as its first file of a known format). Error names an input of unknown format or the mix.
std::string resolve_import_format(const std::vector<std::string>& inputs, const std::string& configured);

// Files and directories -> files; a directory becomes its files of `format`, recursively and
// sorted (navsim directories are passed through: the importer reads them whole). av2 inputs
// become Argoverse 2 log directories (those holding city_SE3_egovehicle.feather), each once.
// Error names a missing input or a directory with no such file.
std::vector<std::string> expand_import_inputs(const std::vector<std::string>& inputs, const std::string& format);

// Part i of n: a contiguous block, so the parts merged in order hold the files' scenes in
// single-import order. Error when there are more parts than files.
std::vector<std::string> import_shard(const std::vector<std::string>& files, size_t i, size_t n);

}  // namespace autoscale::scene
