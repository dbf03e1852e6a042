// Helper processes die with the command that started them (issue 23, finding 2): a killed
// `import` must not leave its Python importer running to finish an append after the command
// reported failure. Part of fault_tests (label `faults`).
#include <gtest/gtest.h>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "autoscale/core/subprocess.h"
#include "autoscale/core/termination.h"

namespace fs = std::filesystem;

namespace autoscale {
namespace {

// This process adopts orphans (PR_SET_CHILD_SUBREAPER) while alive, so that the test can see
// how a helper whose command was killed ended.
struct Subreaper {
  Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
};

// The PID a helper wrote to `file` (one line), waiting up to 10 s for it.
pid_t wait_for_pid(const fs::path& file) {
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in(file);
    std::string line;
    if (std::getline(in, line) && !in.eof()) return static_cast<pid_t>(std::stol(line));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

// How the adopted process `pid` ended, waiting up to 10 s; -1 when it is still running (it is
// then killed, so that no test leaves a process behind).
int reap_signal(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 1000; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

// A command (forked here) that runs `script` with run_process and waits for it.
pid_t start_command(const std::string& script, bool termination_handler) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (termination_handler) install_termination_handler();
    run_process({"/bin/sh", "-c", script});
    ::_exit(0);
  }
  return pid;
}

fs::path pid_file(const std::string& name) {
  const auto p = fs::temp_directory_path() / ("autoscale-" + name + "-" + std::to_string(::getpid()) + ".pid");
  fs::remove(p);
  return p;
}

TEST(Faults, HelperDiesWhenItsCommandIsKilled) {
  const Subreaper subreaper;
  const auto file = pid_file("helper");
  const pid_t command = start_command("echo $$ > " + file.string() + "; exec sleep 60", false);
  const pid_t helper = wait_for_pid(file);
  ASSERT_GT(helper, 0) << "the helper never started";
  ::kill(command, SIGKILL);
  int status = 0;
  ::waitpid(command, &status, 0);
  EXPECT_EQ(reap_signal(helper), SIGKILL) << "the helper outlived its killed command";
  fs::remove(file);
}

// SIGTERM (Slurm, a user's kill): the whole group goes, the helper's own children included.
TEST(Faults, TerminatedCommandTakesTheHelpersChildrenAlong) {
  const Subreaper subreaper;
  const auto file = pid_file("grandchild");
  const pid_t command = start_command("sleep 60 & echo $! > " + file.string() + "; wait", true);
  const pid_t grandchild = wait_for_pid(file);
  ASSERT_GT(grandchild, 0) << "the helper's child never started";
  ::kill(command, SIGTERM);
  int status = 0;
  ::waitpid(command, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_EQ(reap_signal(grandchild), SIGKILL) << "the helper's child outlived the terminated command";
  fs::remove(file);
}

TEST(Faults, RunProcessStillReportsExitCodesAndStartFailures) {
  EXPECT_EQ(run_process({"/bin/sh", "-c", "exit 3"}), 3);
  EXPECT_EQ(run_process({"/bin/sh", "-c", "kill -TERM $$"}), 128 + SIGTERM);
  try {
    run_process({"/nonexistent/autoscale-helper"});
    ADD_FAILURE() << "no error for a missing program";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot start \"/nonexistent/autoscale-helper\""), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace autoscale
