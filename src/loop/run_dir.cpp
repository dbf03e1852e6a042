#include "autoscale/loop/run_dir.h"

#include <fmt/format.h>

#include <filesystem>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "job_context.h"

namespace autoscale::loop {

namespace fs = std::filesystem;

std::unique_ptr<DirectoryLock> lock_run(const std::string& run_dir, bool one_job) {
  return std::make_unique<DirectoryLock>(run_dir, fmt::format("run {}", quote(run_dir)),
                                         one_job ? DirectoryLock::Mode::kShared : DirectoryLock::Mode::kExclusive);
}

std::string resolve_resume_config(const std::string& run_dir) {
  const fs::path dir(run_dir);
  AUTOSCALE_CHECK(fs::is_directory(dir), "--resume {}: no such run directory", run_dir);
  const fs::path own = dir / "config.yaml";
  if (fs::exists(own)) return own.string();
  const fs::path submitted = dir / "slurm" / "config.yaml";
  if (fs::exists(submitted)) return submitted.string();
  // A run writes config.yaml first; what else is here tells an unrelated directory from a run
  // stopped before it got that far (only its lock, or data a run prepares, is there).
  const bool started = fs::exists(dir / DirectoryLock::kFileName) || fs::exists(dir / "embeddings.h5") ||
                       fs::exists(dir / "label_scores.json") || fs::exists(dir / "run.json");
  AUTOSCALE_CHECK(!started,
                  "--resume {}: the run was stopped before it wrote its config.yaml, so there is nothing to resume; "
                  "start it again with `--config FILE -o {}`",
                  run_dir, run_dir);
  AUTOSCALE_THROW("--resume {}: not a run directory (no config.yaml)", run_dir);
}

bool run_prepared(const std::string& run_dir) {
  const fs::path run_json = fs::path(run_dir) / "run.json";
  if (!fs::exists(run_json)) return false;
  const auto j = read_json(run_json);
  const int64_t folds = j.contains("folds") ? field<int64_t>(j, "folds", run_json) : 0;
  if (folds <= 0) return j.contains("data") && j.at("data").is_object();
  for (int64_t k = 0; k < folds; ++k) {
    if (!fs::exists(fs::path(run_dir) / fmt::format("fold{}", k) / "data.json")) return false;
  }
  return true;
}

}  // namespace autoscale::loop
