#include "autoscale/core/atomic_file.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "autoscale/core/error.h"

namespace fs = std::filesystem;

namespace autoscale {
namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("autoscale-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(AtomicFile, WriteReplacesWholeFile) {
  const auto dir = fresh_dir("atomic");
  const std::string path = (dir / "out.txt").string();
  write_file_atomic(path, "first");
  write_file_atomic(path, "second");
  EXPECT_EQ(read_file(path), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);  // no temp left behind
  fs::remove_all(dir);
}

TEST(AtomicFile, UncommittedWriteLeavesNothing) {
  const auto dir = fresh_dir("abort");
  const std::string path = (dir / "out.txt").string();
  write_file_atomic(path, "old");
  {
    AtomicFile f(path);
    std::ofstream(f.temp_path()) << "half-written";
    // destroyed without commit(): as if the writer threw
  }
  EXPECT_EQ(read_file(path), "old");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
  fs::remove_all(dir);
}

TEST(AtomicFile, ErrorsNameThePath) {
  try {
    write_file_atomic("/nonexistent-dir/x.txt", "a");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.txt"), std::string::npos);
  }
  EXPECT_THROW(read_file("/nonexistent-dir/y.txt"), Error);
}

std::string lock_error(const fs::path& dir, DirectoryLock::Mode mode) {
  try {
    DirectoryLock lock(dir.string(), "run \"r\"", mode);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The Slurm array tasks of one run hold it shared (a job each); a whole-run process holds it
// alone. Either kind refused names the holder's PID (flock conflicts between two descriptors
// of one process as between processes, so one process can play both sides).
TEST(DirectoryLock, SharedHoldersCoexistAndExcludeAnExclusiveOne) {
  const auto dir = fresh_dir("lock-modes");
  const std::string pid = "pid " + std::to_string(::getpid());
  {
    DirectoryLock a(dir.string(), "run \"r\"", DirectoryLock::Mode::kShared);
    auto b = std::make_unique<DirectoryLock>(dir.string(), "run \"r\"", DirectoryLock::Mode::kShared);
    const std::string e = lock_error(dir, DirectoryLock::Mode::kExclusive);
    EXPECT_NE(e.find("run \"r\": another process (" + pid + ")"), std::string::npos) << e;
    b.reset();  // not the last shared holder: the PID stays for the next message
    EXPECT_NE(lock_error(dir, DirectoryLock::Mode::kExclusive).find(pid), std::string::npos);
  }
  EXPECT_EQ(read_file((dir / DirectoryLock::kFileName).string()), "") << "the last holder clears its PID";
  {
    DirectoryLock whole(dir.string(), "run \"r\"");
    const std::string e = lock_error(dir, DirectoryLock::Mode::kShared);
    EXPECT_NE(e.find("another process (" + pid + ")"), std::string::npos) << e;
    EXPECT_NE(lock_error(dir, DirectoryLock::Mode::kExclusive), "");
  }
  EXPECT_EQ(lock_error(dir, DirectoryLock::Mode::kExclusive), "") << "released";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace autoscale
