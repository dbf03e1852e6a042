#include "autoscale/core/atomic_file.h"

#include <fcntl.h>
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

}  // namespace

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
  std::ifstream in(path, std::ios::binary);
  AUTOSCALE_CHECK(in.good(), "cannot open {}: {}", quote(path), std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace autoscale
