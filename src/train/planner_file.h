// The planner file's pieces, shared by Planner::save/load and the trainer's checkpoints (a
// checkpoint is a planner file plus optimiser and run state, so `eval --agent` reads either).
#pragma once

#include <torch/serialize/archive.h>

#include <memory>
#include <string>

#include "autoscale/train/planner.h"

namespace autoscale::train {

void write_planner_archive(const Planner::Impl& m, torch::serialize::OutputArchive& archive);
std::unique_ptr<Planner::Impl> read_planner_archive(torch::serialize::InputArchive& archive, const std::string& path,
                                                    const std::string& device);
// Writes to PATH.tmp, then renames: a reader sees the old file or the new one, never a part.
void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path);

}  // namespace autoscale::train
