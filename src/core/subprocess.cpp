#include "autoscale/core/subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "autoscale/core/error.h"

extern char** environ;

namespace autoscale {

int run_process(const std::vector<std::string>& argv, const std::string& output_file) {
  AUTOSCALE_CHECK(!argv.empty(), "internal: empty command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!output_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  AUTOSCALE_CHECK(rc == 0, "cannot start {}: {}", quote(argv[0]), std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    AUTOSCALE_CHECK(errno == EINTR, "waiting for {}: {}", quote(argv[0]), std::strerror(errno));
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
