#include "autoscale/core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace autoscale
