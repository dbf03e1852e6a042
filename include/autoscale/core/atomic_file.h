// Atomic file output: write to a temporary file in the target's directory, then rename.
//
// Every writer in autoscale goes through this, so a killed process never leaves a half-written
// output under its final name: readers see the old file or the new one, nothing in between.
#pragma once

#include <string>

namespace autoscale {

class AtomicFile {
 public:
  // Reserves a temporary path next to `path`. Nothing is created until the caller writes to
  // temp_path() (with any library: fstream, HDF5, ...).
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

  // fsyncs the temporary file and renames it over path(). Throws Error naming the path.
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  bool committed_ = false;
};

// An advisory lock (flock) on DIR/.lock, held while a command writes the directory (a scene
// store, a run directory). A second writer gets one Error naming the directory and the holder's
// PID instead of both writing and one run's work vanishing. The kernel drops the lock when its
// holder dies, so the lock of a killed process is simply taken over. The lock file stays after
// release: removing it would let two writers lock two different files of the same name.
//
// Shared holders (processes that each write a disjoint part, e.g. the Slurm array tasks of one
// run, one job each) coexist with one another but not with an exclusive holder.
class DirectoryLock {
 public:
  static constexpr const char* kFileName = ".lock";
  enum class Mode { kExclusive, kShared };

  // Locks the existing directory `dir`; `what` names it in messages ("scene store \"x\"").
  DirectoryLock(const std::string& dir, const std::string& what, Mode mode = Mode::kExclusive);
  ~DirectoryLock();  // releases the lock
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// Writes `contents` to `path` atomically.
void write_file_atomic(const std::string& path, const std::string& contents);

// Reads a whole file; throws Error naming the path when it cannot.
std::string read_file(const std::string& path);

}  // namespace autoscale
