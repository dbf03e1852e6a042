#include "autoscale/core/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "autoscale/core/error.h"

extern char** environ;

namespace autoscale {
namespace {

// Process groups of the children running now, for kill_child_groups() in a signal handler:
// lock-free slots, 0 = free.
constexpr int kMaxChildren = 64;
std::atomic<pid_t> g_groups[kMaxChildren];

struct RegisteredGroup {
  int slot = -1;
  explicit RegisteredGroup(pid_t pgid) {
    for (int i = 0; i < kMaxChildren && slot < 0; ++i) {
      pid_t expected = 0;
      if (g_groups[i].compare_exchange_strong(expected, pgid)) slot = i;
    }
  }
  ~RegisteredGroup() {
    if (slot >= 0) g_groups[slot].store(0);
  }
};

// In the child between fork and exec: async-signal-safe calls only. Reports errno on `report`
// (close-on-exec, so a successful exec reports nothing) and exits.
[[noreturn]] void exec_child(char* const* argv, const char* output_file, pid_t parent, int report) {
  // Its own process group, so that the whole tree (Python's helpers, SUMO's tools) can be
  // killed at once; and SIGKILL when the parent dies, however it dies (kill -9 included).
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  if (output_file) {
    const int fd = ::open(output_file, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0 || ::dup2(STDOUT_FILENO, STDERR_FILENO) < 0) {
      const int err = errno;
      (void)!::write(report, &err, sizeof err);
      ::_exit(127);
    }
    ::close(fd);
  }
  ::execvp(argv[0], argv);
  const int err = errno;
  (void)!::write(report, &err, sizeof err);
  ::_exit(127);
}

}  // namespace

void kill_child_groups() noexcept {
  for (auto& g : g_groups) {
    const pid_t pgid = g.load();
    if (pgid > 0) ::kill(-pgid, SIGKILL);
  }
}

int run_process(const std::vector<std::string>& argv, const std::string& output_file) {
  AUTOSCALE_CHECK(!argv.empty(), "internal: empty command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int report[2];
  AUTOSCALE_CHECK(::pipe2(report, O_CLOEXEC) == 0, "cannot start {}: {}", quote(argv[0]), std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(args.data(), output_file.empty() ? nullptr : output_file.c_str(), parent, report[1]);
  const int fork_errno = errno;
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    AUTOSCALE_THROW("cannot start {}: {}", quote(argv[0]), std::strerror(fork_errno));
  }
  ::setpgid(pid, pid);  // also here: the group exists before either side goes on
  const RegisteredGroup group(pid);
  int exec_errno = 0;
  ssize_t n;
  while ((n = ::read(report[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    AUTOSCALE_CHECK(errno == EINTR, "waiting for {}: {}", quote(argv[0]), std::strerror(errno));
  }
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    AUTOSCALE_THROW("cannot start {}{}: {}", quote(argv[0]),
                    output_file.empty() ? "" : " (output to " + quote(output_file) + ")", std::strerror(exec_errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

std::string scripts_dir() {
  if (const char* env = std::getenv("AUTOSCALE_SCRIPTS_DIR"); env && *env) return env;
  return AUTOSCALE_SOURCE_SCRIPTS_DIR;
}

std::string python_executable() {
  if (const char* env = std::getenv("AUTOSCALE_PYTHON"); env && *env) return env;
  return AUTOSCALE_PYTHON_EXECUTABLE;
}

}  // namespace autoscale
