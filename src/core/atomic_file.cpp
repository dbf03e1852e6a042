#include "autoscale/core/atomic_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autoscale/core/error.h"

namespace autoscale {
namespace {

std::string make_temp_path(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path p(path);
  // Hidden, unique per process and per call: concurrent writers of sibling files never clash.
  const std::string name =
      fmt::format(".{}.tmp-{}-{}", p.filename().string(), ::getpid(), counter.fetch_add(1));
  return (p.parent_path() / name).string();
}

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;  // nothing to sync (e.g. the writer removed it); rename reports errors
  ::fsync(fd);
  ::close(fd);
}

// The PID the holder wrote into its lock file, for the message ("" when not written yet).
std::string lock_holder(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string pid(buf, static_cast<size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

// True when `fd` still is the file at `path`: a lock taken on a lock file that its holder's
// cleanup removed meanwhile (a failed new store disappears whole) protects nothing.
bool still_linked(int fd, const std::string& path) {
  struct stat by_fd {}, by_path {};
  return ::fstat(fd, &by_fd) == 0 && ::stat(path.c_str(), &by_path) == 0 && by_fd.st_dev == by_path.st_dev &&
         by_fd.st_ino == by_path.st_ino;
}

}  // namespace

DirectoryLock::DirectoryLock(const std::string& dir, const std::string& what, Mode mode) {
  const std::string path = (std::filesystem::path(dir) / kFileName).string();
  for (int attempt = 0; attempt < 8; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    AUTOSCALE_CHECK(fd >= 0, "{}: cannot open its lock file {}: {}", what, quote(path), std::strerror(errno));
    if (::flock(fd, (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
      const int err = errno;
      const std::string holder = lock_holder(fd);
      ::close(fd);
      AUTOSCALE_CHECK(err == EWOULDBLOCK, "{}: cannot lock {}: {}", what, quote(path), std::strerror(err));
      AUTOSCALE_THROW("{}: another process (pid {}) is writing it (lock {}); wait for it to finish or write elsewhere",
                      what, holder.empty() ? "unknown" : holder, quote(path));
    }
    if (!still_linked(fd, path)) {
      ::close(fd);
      continue;
    }
    // Ours now; the PID is only for the message another writer prints (of shared holders, the
    // latest). A failed write (full disk) only makes that message say "pid unknown".
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
    fd_ = fd;
    return;
  }
  AUTOSCALE_THROW("{}: its lock file {} keeps being replaced by other writers", what, quote(path));
}

DirectoryLock::~DirectoryLock() {
  if (fd_ < 0) return;
  // No stale PID for the next holder's rivals to name. A shared holder clears it only when it
  // is the last one (it can take the lock alone); a failed try leaves the others' PID.
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) (void)!::ftruncate(fd_, 0);
  ::close(fd_);  // closing the last descriptor releases the flock
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_path_(make_temp_path(path_)) {}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicFile::commit() {
  fsync_path(temp_path_);
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    AUTOSCALE_THROW("cannot rename {} to {}: {}", quote(temp_path_), quote(path_), std::strerror(errno));
  }
  committed_ = true;
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
    AUTOSCALE_CHECK(out.good(), "cannot write {}: {}", quote(path), std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    AUTOSCALE_CHECK(out.good(), "cannot write {}: {}", quote(path), std::strerror(errno));
  }
  file.commit();
}

std::string read_file(const std::string& path) {
  // A directory opens as an empty stream: it would read as an empty file (an empty config).
  AUTOSCALE_CHECK(!std::filesystem::is_directory(path), "cannot read {}: it is a directory", quote(path));
  std::ifstream in(path, std::ios::binary);
  AUTOSCALE_CHECK(in.good(), "cannot open {}: {}", quote(path), std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace autoscale
