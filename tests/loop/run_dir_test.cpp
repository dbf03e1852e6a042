// The run directory's guards (issue 23): a live run is locked against a second process, a run
// stopped while preparing resumes its preparation, and a resume that cannot work says why.
#include "autoscale/loop/run_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/loop/engine.h"

namespace fs = std::filesystem;

namespace autoscale::loop {
namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("autoscale-rundir-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

ExperimentConfig config_with_real(const std::vector<std::string>& real) {
  ExperimentConfig cfg;
  cfg.loop.real = real;
  cfg.config_yaml = "run:\n  seed: 0\n";
  cfg.command_line = "autoscale run";
  cfg.show_progress = false;
  return cfg;
}

TEST(RunDir, AWholeRunExcludesEveryOtherProcessJobSlicesShareIt) {
  const auto dir = fresh_dir("lock");
  const std::string pid = "pid " + std::to_string(::getpid());
  {
    const auto whole = lock_run(dir.string(), false);
    const std::string e = error_of([&] { lock_run(dir.string(), false); });
    EXPECT_NE(e.find("run \"" + dir.string() + "\": another process (" + pid + ")"), std::string::npos) << e;
    EXPECT_NE(error_of([&] { lock_run(dir.string(), true); }).find(pid), std::string::npos);
  }
  {
    const auto job0 = lock_run(dir.string(), true);
    const auto job1 = lock_run(dir.string(), true);  // two array tasks side by side
    EXPECT_NE(error_of([&] { lock_run(dir.string(), false); }).find(pid), std::string::npos);
  }
  EXPECT_EQ(error_of([&] { lock_run(dir.string(), false); }), "");
  fs::remove_all(dir);
}

// A child stuck in the run's preparation (its real store's index is a FIFO nobody writes, so
// opening it blocks), then killed: a second process meanwhile is refused, naming the child; after
// the kill the run keeps the config and plan it resumes from.
TEST(RunDir, ARunKilledWhilePreparingIsRefusedWhileLiveAndResumableAfter) {
  const auto dir = fresh_dir("prepare");
  const auto run = dir / "run";
  const auto store = dir / "store";
  fs::create_directories(store);
  ASSERT_EQ(::mkfifo((store / "index.h5").c_str(), 0600), 0);
  const auto cfg = config_with_real({store.string()});
  const RunPlan plan = plan_for_run(cfg);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::alarm(60);
    try {
      run_experiment(cfg, plan, run.string());
    } catch (...) {
    }
    std::_Exit(0);
  }
  // The child holds the run once its plan is written (it is then blocked in the store's open).
  for (int i = 0; i < 200 && !fs::exists(run / "run.json"); ++i) ::usleep(20000);
  ASSERT_TRUE(fs::exists(run / "run.json"));
  const std::string e = error_of([&] { run_experiment(cfg, plan, run.string()); });
  EXPECT_NE(e.find("another process (pid " + std::to_string(child) + ")"), std::string::npos) << e;
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  EXPECT_EQ(resolve_resume_config(run.string()), (run / "config.yaml").string());
  EXPECT_EQ(read_run_plan(run.string()).methods, plan.methods);
  EXPECT_FALSE(run_prepared(run.string())) << "the data counts come only with the preparation";
  // A resume that fails in its preparation keeps the run (it was not started by this call).
  EXPECT_NE(error_of([&] { run_experiment(config_with_real({}), plan, run.string()); }), "");
  EXPECT_TRUE(fs::exists(run / "run.json"));
  fs::remove_all(dir);
}

// A run whose preparation fails with an error (a store that is not there) is no run: it leaves
// no run.json, so the corrected command starts it afresh instead of being sent to --resume.
TEST(RunDir, AFailedFirstPreparationLeavesNoRun) {
  const auto dir = fresh_dir("failed");
  const auto cfg = config_with_real({(dir / "no-store").string()});
  const std::string e = error_of([&] { run_experiment(cfg, plan_for_run(cfg), (dir / "run").string()); });
  EXPECT_NE(e.find("no-store"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir / "run" / "run.json"));
  EXPECT_FALSE(fs::exists(dir / "run" / "config.yaml"));
  fs::remove_all(dir);
}

TEST(RunDir, AResumeThatCannotWorkSaysWhyAndWhatToDo) {
  const auto dir = fresh_dir("resume");
  EXPECT_EQ(error_of([&] { resolve_resume_config((dir / "gone").string()); }),
            "--resume " + (dir / "gone").string() + ": no such run directory");
  EXPECT_EQ(error_of([&] { resolve_resume_config(dir.string()); }),
            "--resume " + dir.string() + ": not a run directory (no config.yaml)");
  std::ofstream(dir / DirectoryLock::kFileName).put('\n');  // locked, then killed before config.yaml
  EXPECT_EQ(error_of([&] { resolve_resume_config(dir.string()); }),
            "--resume " + dir.string() + ": the run was stopped before it wrote its config.yaml, so there is nothing "
            "to resume; start it again with `--config FILE -o " + dir.string() + "`");
  fs::create_directories(dir / "slurm");
  std::ofstream(dir / "slurm" / "config.yaml") << "{}\n";
  EXPECT_EQ(resolve_resume_config(dir.string()), (dir / "slurm" / "config.yaml").string());
  std::ofstream(dir / "config.yaml") << "{}\n";
  EXPECT_EQ(resolve_resume_config(dir.string()), (dir / "config.yaml").string());
  EXPECT_NE(error_of([&] { read_run_plan(dir.string()); }).find("stopped before it wrote run.json"), std::string::npos);
  fs::remove_all(dir);
}

TEST(RunDir, PreparedMeansTheDataCountsOfEveryFold) {
  const auto dir = fresh_dir("prepared");
  EXPECT_FALSE(run_prepared(dir.string()));
  write_file_atomic((dir / "run.json").string(), R"({"data": null})");
  EXPECT_FALSE(run_prepared(dir.string()));
  write_file_atomic((dir / "run.json").string(), R"({"data": {"pool": 3}})");
  EXPECT_TRUE(run_prepared(dir.string()));
  write_file_atomic((dir / "run.json").string(), R"({"data": null, "folds": 2})");
  fs::create_directories(dir / "fold0");
  write_file_atomic((dir / "fold0" / "data.json").string(), "{}");
  EXPECT_FALSE(run_prepared(dir.string()));
  fs::create_directories(dir / "fold1");
  write_file_atomic((dir / "fold1" / "data.json").string(), "{}");
  EXPECT_TRUE(run_prepared(dir.string()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace autoscale::loop
