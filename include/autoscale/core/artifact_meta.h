// The options a model file (planner.pt, graph_rae.pt) was made with, written and read through
// the same visit() as the configuration: a format tag, then sections as YAML. Reading applies the
// config reader's checks (unknown keys, types, ranges), so a damaged or foreign file is refused
// naming its field as a config error would, and adding an option to a struct adds it to the file.
#pragma once

#include <string>
#include <vector>

#include "autoscale/core/config.h"

namespace autoscale {

// "format: TAG" followed by what `sections` writes.
std::string write_artifact_meta(const std::string& format, const ConfigVisit& sections);

// Reads text written by write_artifact_meta into `sections`; returns the file's format tag.
// Error (naming `path`) when the text has no format tag or one not in `accepted` (`what` names
// the kind of file: "planner file"), or when a section's field is unknown or invalid.
std::string read_artifact_meta(const std::string& text, const std::string& path, const std::string& what,
                               const std::vector<std::string>& accepted, const ConfigVisit& sections);

}  // namespace autoscale
