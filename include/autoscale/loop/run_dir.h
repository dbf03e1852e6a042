// Guards of a run directory against concurrency and interrupted starts (issue 23): the lock a
// process holds while it runs the directory, and what `--resume RUN` may read back.
#pragma once

#include <memory>
#include <string>

namespace autoscale {
class DirectoryLock;
}

namespace autoscale::loop {

// Locks RUN (RUN/.lock) for the process that runs it: alone for the whole run, shared for one
// job of it (a Slurm array runs its tasks side by side, one job each; each job also has its own
// lock). A second `run --resume` of a live run gets one Error naming the holder's PID instead of
// preparing and training the same run again.
std::unique_ptr<DirectoryLock> lock_run(const std::string& run_dir, bool one_job);

// The config `--resume RUN` reads back: RUN/config.yaml, or RUN/slurm/config.yaml for a Slurm
// run whose prepare job has not written it yet. Otherwise one Error saying why RUN cannot be
// resumed (no such directory, not a run, or a run stopped before it wrote its config) and what
// to do instead.
std::string resolve_resume_config(const std::string& run_dir);

// Whether RUN's data is prepared: run.json with its data counts, or every fold's data.json.
// run.json itself is written before the data is loaded, so that a run stopped while preparing
// resumes its preparation.
bool run_prepared(const std::string& run_dir);

}  // namespace autoscale::loop
