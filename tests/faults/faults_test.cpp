// Fault injection on the scene store and the importers (CTest label `faults`, issue 23):
// concurrent writers, write failures, corrupt HDF5 files and malformed CommonRoad maps must give
// one clear error and lose nothing, never a crash. Runs that could crash run in a forked child
// that ends as `autoscale` does (the error on one line, exit code 1 through exit(), so HDF5's
// atexit handlers run too); the parent asserts how it ended.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "../error_of.h"
#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/import/commonroad.h"
#include "autoscale/store/h5.h"
#include "autoscale/store/inspect.h"
#include "autoscale/store/store.h"
#include "../scene/test_util.h"

namespace fs = std::filesystem;

namespace autoscale::scene {
namespace {

using autoscale::testing::error_of;
using testing::make_scene;
using testing::square_map;
using testing::temp_dir;

const std::string kData = std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/";

struct ChildResult {
  int status = 0;
  std::string output;  // what the child wrote to its error pipe
  bool signalled() const { return WIFSIGNALED(status); }
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
  std::string describe() const {
    return WIFSIGNALED(status) ? fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)))
                               : fmt::format("exit code {}", exit_code());
  }
};

// Runs fn in a forked child. An autoscale::Error becomes "error: ..." on the pipe and exit(1),
// as in main(); success is exit(0). A hang ends in SIGALRM, which the caller sees as a signal.
ChildResult run_in_child(const std::function<void()>& fn, unsigned timeout_s = 60) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(timeout_s);
    int code = 0;
    std::string message;
    try {
      fn();
    } catch (const std::exception& e) {
      message = std::string("error: ") + e.what() + "\n";
      code = 1;
    }
    if (!message.empty() && ::write(fds[1], message.data(), message.size()) < 0) code = 2;
    ::close(fds[1]);
    std::exit(code);  // not _exit: the library's atexit handlers are part of what is tested
  }
  ::close(fds[1]);
  ChildResult r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) r.output.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
  }
  return r;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A small real store: one NGSIM recording's scenes and map.
void make_real_store(const fs::path& dir) {
  const auto r = import_commonroad(kData + "USA_US101-3_3_T-1.xml", {});
  SceneStoreWriter w(dir.string(), {});
  w.add_map(r.map);
  for (const auto& s : r.scenes) w.add(s);
  w.close();
}

// Everything a reader touches: index, every map, every scene.
void read_everything(const fs::path& dir) {
  const auto store = SceneStore::open(dir.string());
  for (const auto& id : store.map_ids()) store.map(id);
  store.for_each([](const Scene&) {});
}

// ------------------------------------------------------------------ finding 1: concurrent writers

void make_store(const fs::path& dir, const std::vector<std::string>& tokens) {
  SceneStoreWriter w(dir.string(), {});
  w.add_map(square_map("m"));
  for (size_t k = 0; k < tokens.size(); ++k) w.add(make_scene(tokens[k], "m", static_cast<int>(k)));
  w.close();
}

TEST(Faults, SecondWriterOfAStoreIsRefusedWithTheHoldersPid) {
  const auto dir = temp_dir("fault-lock");
  make_store(dir, {"first"});
  {
    SceneStoreWriter a(dir.string(), {1024, 4, true});
    a.add(make_scene("a", "m", 1));
    const std::string e = error_of([&] { SceneStoreWriter b(dir.string(), {1024, 4, true}); });
    EXPECT_NE(e.find(dir.string()), std::string::npos) << e;
    EXPECT_NE(e.find("pid " + std::to_string(::getpid())), std::string::npos) << e;
    // A writer in another process too.
    const auto r = run_in_child([&] {
      SceneStoreWriter b(dir.string(), {1024, 4, true});
      b.add(make_scene("b", "m", 2));
      b.close();
    });
    EXPECT_EQ(r.exit_code(), 1) << r.describe();
    EXPECT_NE(r.output.find("another process (pid " + std::to_string(::getpid()) + ")"), std::string::npos)
        << r.output;
    a.close();
  }
  const auto store = SceneStore::open(dir.string());
  EXPECT_EQ(store.size(), 2u);
  EXPECT_TRUE(store.find("a").has_value());
  EXPECT_TRUE(store.unlisted_files().empty()) << "the lock file is not a stray file";
  // Released on destruction: the next append goes through.
  {
    SceneStoreWriter c(dir.string(), {1024, 4, true});
    c.add(make_scene("c", "m", 3));
    c.close();
  }
  EXPECT_EQ(SceneStore::open(dir.string()).size(), 3u);
  fs::remove_all(dir);
}

// Concurrent `import --append`s: every run either adds all its scenes or fails with the lock
// error; nothing is lost and no stray file is left (86 + 29 + 30 gave 115 before the lock).
TEST(Faults, ConcurrentAppendsLoseNothing) {
  const auto dir = temp_dir("fault-concurrent");
  make_store(dir, {"base"});
  constexpr int kWriters = 4, kScenes = 30;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      char c;
      (void)!::read(go[0], &c, 1);  // all start together
      try {
        SceneStoreWriter writer(dir.string(), {8, 4, true});
        for (int k = 0; k < kScenes; ++k) writer.add(make_scene(fmt::format("w{}-{}", w, k), "m", k));
        writer.close();
      } catch (const Error&) {
        std::_Exit(1);
      }
      std::_Exit(0);
    }
    pids.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);  // EOF releases every child at once
  int succeeded = 0;
  for (const pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "writer killed by signal " << WTERMSIG(status);
    succeeded += WEXITSTATUS(status) == 0;
  }
  EXPECT_GE(succeeded, 1);
  const auto store = SceneStore::open(dir.string());
  EXPECT_EQ(store.size(), 1u + static_cast<size_t>(succeeded) * kScenes) << succeeded << " appends reported success";
  EXPECT_TRUE(store.unlisted_files().empty());
  size_t read = 0;
  store.for_each([&](const Scene&) { ++read; });
  EXPECT_EQ(read, store.size());
  fs::remove_all(dir);
}

// A writer killed with SIGKILL leaves its lock file, with its PID; the kernel dropped the lock,
// so the next writer takes it over.
TEST(Faults, LockOfAKilledWriterIsTakenOver) {
  const auto dir = temp_dir("fault-stale-lock");
  make_store(dir, {"base"});
  const auto r = run_in_child([&] {
    SceneStoreWriter w(dir.string(), {1, 4, true});
    w.add(make_scene("lost", "m", 1));  // one shard flushed, never published
    std::raise(SIGKILL);
  });
  ASSERT_TRUE(r.signalled());
  EXPECT_TRUE(fs::exists(dir / DirectoryLock::kFileName));
  {
    SceneStoreWriter w(dir.string(), {1024, 4, true});
    w.add(make_scene("next", "m", 2));
    w.close();
  }
  const auto store = SceneStore::open(dir.string());
  EXPECT_EQ(store.size(), 2u);
  EXPECT_FALSE(store.find("lost").has_value());
  fs::remove_all(dir);
}

// Two writers creating the same new store: the loser gets an error (the lock's, or "not empty"
// once the winner has written) and must not remove what the winner writes.
TEST(Faults, RacingCreatorsOfANewStore) {
  const auto dir = temp_dir("fault-create-race");
  fs::create_directories(dir);
  {
    DirectoryLock first(dir.string(), "scene store " + quote(dir.string()));  // a creator that just locked
    const std::string e = error_of([&] { SceneStoreWriter b(dir.string(), {}); });
    EXPECT_NE(e.find("another process (pid " + std::to_string(::getpid()) + ")"), std::string::npos) << e;
    EXPECT_TRUE(fs::exists(dir)) << "the loser removed the winner's directory";
  }
  SceneStoreWriter a(dir.string(), {});
  a.add_map(square_map("m"));
  a.add(make_scene("a", "m", 0));
  const std::string e = error_of([&] { SceneStoreWriter b(dir.string(), {}); });
  EXPECT_NE(e.find(dir.string()), std::string::npos) << e;
  a.close();
  EXPECT_EQ(SceneStore::open(dir.string()).size(), 1u);
  fs::remove_all(dir);
}

// ------------------------------------------------------------------ finding 3: failed writes

// A full disk, portably: RLIMIT_FSIZE with SIGXFSZ ignored makes write() fail with EFBIG part
// way through a shard, as ENOSPC does. The run must end with one error naming the file, exit
// code 1, no crash when HDF5 shuts down at exit, and no store left behind.
TEST(Faults, FailedWriteClosesCleanlyAndNamesTheFile) {
  const auto dir = temp_dir("fault-fsize");
  const auto r = run_in_child([&] {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{256 << 10, 256 << 10};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    SceneStoreWriter w(dir.string(), {64, 0});
    w.add_map(square_map("m"));
    for (int k = 0; k < 400; ++k) w.add(make_scene("t" + std::to_string(k), "m", k, 60));
    w.close();
  });
  EXPECT_FALSE(r.signalled()) << r.describe() << "; " << r.output;
  EXPECT_EQ(r.exit_code(), 1) << r.output;
  EXPECT_NE(r.output.find(dir.string()), std::string::npos) << "the error must name the file: " << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(dir)) << "a failed new store must disappear";
  fs::remove_all(dir);
}

// An append that fails the same way leaves the existing store readable and unchanged.
TEST(Faults, FailedAppendLeavesTheStoreUnchanged) {
  const auto dir = temp_dir("fault-fsize-append");
  {
    SceneStoreWriter w(dir.string(), {});
    w.add_map(square_map("m"));
    w.add(make_scene("keep", "m", 0));
    w.close();
  }
  const auto r = run_in_child([&] {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{256 << 10, 256 << 10};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    SceneStoreWriter w(dir.string(), {64, 0, true});
    for (int k = 1; k < 400; ++k) w.add(make_scene("t" + std::to_string(k), "m", k, 60));
    w.close();
  });
  EXPECT_FALSE(r.signalled()) << r.describe() << "; " << r.output;
  EXPECT_EQ(r.exit_code(), 1) << r.output;
  const auto store = SceneStore::open(dir.string());
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.unlisted_files().empty());
  fs::remove_all(dir);
}

// Writers outside the store (embeddings, retrieval rows) rely on the destructor storing the
// in-memory file; one unwinding because a write failed must store nothing.
TEST(Faults, CreatedHdf5FileIsStoredByCloseOrDestructorOnly) {
  const auto dir = temp_dir("fault-h5-dtor");
  fs::create_directories(dir);
  const std::vector<int64_t> values{1, 2, 3};
  {
    auto f = h5::File::create((dir / "dtor.h5").string());
    f.write("x", values, 4);
  }
  EXPECT_EQ(h5::File::open((dir / "dtor.h5").string()).read_i64("x"), values);
  try {
    auto f = h5::File::create((dir / "unwound.h5").string());
    f.write("x", values, 4);
    throw std::runtime_error("a later write failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(fs::exists(dir / "unwound.h5"));
  const std::string e = error_of([&] {
    auto f = h5::File::create((dir / "no-such-dir" / "x.h5").string());
    f.write("x", values, 4);
    f.close();
  });
  EXPECT_NE(e.find("no-such-dir/x.h5"), std::string::npos) << e;
  fs::remove_all(dir);
}

// ------------------------------------------------------------------ finding 4: corrupt files

// Offsets of the object-size fields of every global heap collection ("GCOL") in an HDF5 file:
// the variable-length string lengths HDF5 trusts when it reads.
std::vector<size_t> heap_object_size_fields(const std::string& bytes) {
  std::vector<size_t> out;
  for (size_t at = bytes.find("GCOL"); at != std::string::npos; at = bytes.find("GCOL", at + 4)) {
    uint64_t size = 0;
    std::memcpy(&size, bytes.data() + at + 8, 8);
    const size_t end = std::min<size_t>(bytes.size(), at + size);
    for (size_t p = at + 16; p + 16 <= end;) {
      uint16_t idx = 0;
      uint64_t obj = 0;
      std::memcpy(&idx, bytes.data() + p, 2);
      std::memcpy(&obj, bytes.data() + p + 8, 8);
      if (idx == 0) break;  // free space: the rest of the collection
      out.push_back(p + 8);
      p += 16 + ((obj + 7) / 8) * 8;
    }
  }
  return out;
}

// One flipped 8-byte run (every bit inverted) at `offset` of a copy of `file` in a copy of the
// store: reading everything must end with an error or succeed, never with a signal.
ChildResult expect_no_crash_with_flip(const fs::path& store, const std::string& file, size_t offset) {
  const auto copy = fs::path(store.string() + "-flipped");
  fs::remove_all(copy);
  fs::copy(store, copy, fs::copy_options::recursive);
  std::string bytes = read_bytes(copy / file);
  for (size_t i = offset; i < offset + 8 && i < bytes.size(); ++i) bytes[i] = static_cast<char>(~bytes[i]);
  write_bytes(copy / file, bytes);
  const auto r = run_in_child([&] { read_everything(copy); }, 30);
  EXPECT_FALSE(r.signalled()) << file << " flipped at byte " << offset << ": " << r.describe();
  EXPECT_TRUE(r.exit_code() == 0 || r.exit_code() == 1) << file << " at " << offset << ": " << r.describe();
  if (r.exit_code() == 1) {
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  fs::remove_all(copy);
  return r;
}

TEST(Faults, CorruptHeapStringLengthInAMapIsAnErrorNotACrash) {
  const auto dir = temp_dir("fault-heap");
  make_real_store(dir);
  const std::string map_file = "maps/map-000000.h5";
  const auto fields = heap_object_size_fields(read_bytes(dir / map_file));
  ASSERT_FALSE(fields.empty()) << "the map file holds variable-length strings in a global heap";
  // The first, a middle and the last string length of the heap.
  for (size_t i : {size_t{0}, fields.size() / 2, fields.size() - 1}) {
    const auto r = expect_no_crash_with_flip(dir, map_file, fields[i]);
    EXPECT_EQ(r.exit_code(), 1) << "a damaged string length must be found";
    EXPECT_NE(r.output.find(map_file), std::string::npos) << r.output;
  }
  fs::remove_all(dir);
}

TEST(Faults, FlippedBytesAnywhereInStoreFilesAreNoCrash) {
  const auto dir = temp_dir("fault-flips");
  make_real_store(dir);
  for (const std::string file : {"maps/map-000000.h5", "index.h5"}) {
    const size_t size = fs::file_size(dir / file);
    for (size_t k = 0; k < 12; ++k) expect_no_crash_with_flip(dir, file, (size - 8) * k / 11);
  }
  fs::remove_all(dir);
}

// ------------------------------------------------------------------ finding 7: cross-checked metadata

// A store of `tokens` on one map `map_id` (the map file is maps/map-000000.h5, the shard
// shard-000000.h5).
void make_store_on(const fs::path& dir, const std::vector<std::string>& tokens, const std::string& map_id) {
  SceneStoreWriter w(dir.string(), {});
  w.add_map(square_map(map_id));
  for (size_t k = 0; k < tokens.size(); ++k) w.add(make_scene(tokens[k], map_id, static_cast<int>(k)));
  w.close();
}

void set_step_seconds(const fs::path& file, double value) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t a = H5Aopen(f, "step_seconds", H5P_DEFAULT);
  ASSERT_GE(a, 0);
  EXPECT_GE(H5Awrite(a, H5T_NATIVE_DOUBLE, &value), 0);
  H5Aclose(a);
  H5Fclose(f);
}

// The error of reading everything of `dir`, which must name the store once.
std::string read_error(const fs::path& dir) {
  const std::string e = error_of([&] { read_everything(dir); });
  EXPECT_NE(e, "(no error)") << "damage not found in " << dir;
  return e;
}

// Files that are each valid but do not belong together: another file copied over one of the
// store's, a clock other than 10 Hz. Each is one error naming the file, not wrong scores later.
TEST(Faults, StoreMetadataIsCrossCheckedWhenOpenedAndRead) {
  const auto root = temp_dir("fault-metadata");
  const auto store = root / "store";
  make_store_on(store, {"a"}, "m");
  const auto fresh_copy = [&](const std::string& name) {
    const auto copy = root / name;
    fs::copy(store, copy, fs::copy_options::recursive);
    return copy;
  };
  // Another clock, in the index and in a shard.
  auto copy = fresh_copy("step-index");
  set_step_seconds(copy / "index.h5", 0.5);
  EXPECT_EQ(read_error(copy), "scene store " + quote(copy.string()) + ": " + (copy / "index.h5").string() +
                                  ": step_seconds is 0.5, every autoscale file is sampled at 0.1 s");
  copy = fresh_copy("step-shard");
  set_step_seconds(copy / "shard-000000.h5", 0.2);
  EXPECT_NE(read_error(copy).find("shard-000000.h5: step_seconds is 0.2"), std::string::npos);
  // The map file of another map.
  const auto other = root / "other";
  make_store_on(other, {"b", "c"}, "n");
  copy = fresh_copy("map-id");
  fs::copy_file(other / "maps/map-000000.h5", copy / "maps/map-000000.h5", fs::copy_options::overwrite_existing);
  EXPECT_NE(read_error(copy).find("maps/map-000000.h5: holds map \"n\", but index.h5 lists it as map \"m\""),
            std::string::npos);
  // A shard of another store: other rows, other tokens, another map.
  copy = fresh_copy("shard-rows");
  fs::copy_file(other / "shard-000000.h5", copy / "shard-000000.h5", fs::copy_options::overwrite_existing);
  EXPECT_NE(read_error(copy).find("shard-000000.h5: holds 2 scenes, index.h5 says 1"), std::string::npos);
  const auto same_size = root / "same-size";
  make_store_on(same_size, {"z"}, "n");
  copy = fresh_copy("shard-token");
  fs::copy_file(same_size / "shard-000000.h5", copy / "shard-000000.h5", fs::copy_options::overwrite_existing);
  EXPECT_NE(read_error(copy).find("shard-000000.h5 row 0: holds scene \"z\", but index.h5 lists \"a\" there"),
            std::string::npos);
  EXPECT_NE(error_of([&] { SceneStore::open(copy.string()).read("a"); }).find("index.h5 lists \"a\""), std::string::npos);
  const auto same_token = root / "same-token";
  make_store_on(same_token, {"a"}, "n");
  copy = fresh_copy("shard-map");
  fs::copy_file(same_token / "shard-000000.h5", copy / "shard-000000.h5", fs::copy_options::overwrite_existing);
  EXPECT_NE(read_error(copy).find("scene \"a\": map \"n\" is not listed in index.h5"), std::string::npos);
  // A listed map file that is gone.
  copy = fresh_copy("map-gone");
  fs::remove(copy / "maps/map-000000.h5");
  EXPECT_EQ(error_of([&] { SceneStore::open(copy.string()); }),
            "scene store " + quote(copy.string()) + ": map \"m\" is missing (maps/map-000000.h5)");
  EXPECT_NO_THROW(read_everything(store)) << "the intact store still reads";
  fs::remove_all(root);
}

// Nested readers each naming what they read printed it twice ("scene store "s": scene store
// "s": ..."); a typical nested error now names its store and its file once each.
TEST(Faults, NestedErrorsNameTheirContextOnce) {
  const auto root = temp_dir("fault-context");
  fs::create_directories(root / "empty");
  const auto once = [](const std::string& e, const std::string& what) {
    size_t n = 0;
    for (size_t at = e.find(what); at != std::string::npos; at = e.find(what, at + 1)) ++n;
    EXPECT_EQ(n, 1u) << what << " in: " << e;
  };
  std::string e = error_of([&] { SceneStore::open((root / "gone").string()); });
  EXPECT_EQ(e, "scene store " + quote((root / "gone").string()) + ": not a directory");
  e = error_of([&] { SceneStore::open((root / "empty").string()); });
  EXPECT_EQ(e, "scene store " + quote((root / "empty").string()) +
                   ": no index.h5 (not a scene store, or its writer never finished)");
  const auto store = root / "store";
  make_store_on(store, {"a"}, "m");
  write_bytes(store / "index.h5", "not hdf5");
  e = error_of([&] { SceneStore::open(store.string()); });
  once(e, "scene store");
  once(e, "index.h5");
  EXPECT_NE(e.find("it is not an HDF5 file"), std::string::npos) << e;
  // The same through an append, which reads the index under the writer's lock.
  e = error_of([&] { SceneStoreWriter w(store.string(), {1024, 4, true}); });
  once(e, "scene store");
  once(e, "index.h5");
  fs::remove_all(root);
}

// ------------------------------------------------------------------ finding 6: malformed maps

// The error of importing a copy of a real NGSIM file with `from` replaced by `to` (first match).
std::string import_mutated(const std::string& from, const std::string& to) {
  const std::string name = "USA_US101-3_3_T-1.xml";
  std::string xml = read_bytes(kData + name);
  const size_t at = xml.find(from);
  if (at == std::string::npos) return "(test error: " + from + " not in " + name + ")";
  xml.replace(at, from.size(), to);
  const auto dir = temp_dir("fault-map");
  fs::create_directories(dir);
  const auto path = dir / name;
  write_bytes(path, xml);
  const std::string e = error_of([&] { import_commonroad(path.string(), {}); });
  fs::remove_all(dir);
  EXPECT_NE(e.find(path.string()), std::string::npos) << "the error names the file: " << e;
  return e;
}

TEST(Faults, ImporterRejectsDuplicateLaneletIds) {
  const std::string e = import_mutated("<lanelet id=\"29\">", "<lanelet id=\"31\">");
  EXPECT_NE(e.find("lane 31: duplicate id"), std::string::npos) << e;
}

TEST(Faults, ImporterRejectsDanglingReferences) {
  std::string e = import_mutated("<successor ref=\"29\"/>", "<successor ref=\"999999\"/>");
  EXPECT_NE(e.find("lane 31: successor 999999 is not in the map"), std::string::npos) << e;
  e = import_mutated("<predecessor ref=\"31\"/>", "<predecessor ref=\"888888\"/>");
  EXPECT_NE(e.find("predecessor 888888 is not in the map"), std::string::npos) << e;
  e = import_mutated("<adjacentRight ref=\"33\" drivingDir=\"same\"/>",
                     "<adjacentRight ref=\"777777\" drivingDir=\"same\"/>");
  EXPECT_NE(e.find("lane 31: right neighbour 777777 is not in the map"), std::string::npos) << e;
}

TEST(Faults, ImporterRejectsAbsurdCoordinates) {
  const std::string e = import_mutated("<x>-44.8542</x>", "<x>1e308</x>");
  EXPECT_NE(e.find("<lanelet id=31>/leftBound point 0/x: coordinate 1e+308 is more than 1e+07 m from the origin"),
            std::string::npos)
      << e;
  EXPECT_NE(import_mutated("<y>41.9582</y>", "<y>-2e7</y>").find("coordinate -20000000 is more than"), std::string::npos);
  EXPECT_NE(import_mutated("<x>-44.8542</x>", "<x>inf</x>").find("expected a finite number, got \"inf\""),
            std::string::npos);
}

TEST(Faults, ImporterRejectsPolylinesOfOnePoint) {
  // Lanelet 31's left bound cut to its first point.
  const std::string xml = read_bytes(kData + "USA_US101-3_3_T-1.xml");
  const size_t begin = xml.find("</point>", xml.find("<leftBound>")) + 8;
  const size_t end = xml.find("</leftBound>");
  ASSERT_LT(begin, end);
  const std::string e = import_mutated(xml.substr(begin, end - begin), "\n");
  EXPECT_NE(e.find("<lanelet id=31>/leftBound: a bound needs at least 2 points, got 1"), std::string::npos) << e;
}

// inspect finds the same problems in a stored map (written by any importer).
TEST(Faults, InspectValidatesTheSameMapRules) {
  Map m = square_map("m");
  m.lanes[1].id = "l1";
  m.lanes[0].predecessors = {"gone"};
  m.lanes[0].left = "nowhere";
  m.lanes[0].centerline[1].x = 1e308;
  const auto problems = validate_map(m);
  const auto has = [&](const std::string& text) {
    return std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.find(text) != p.npos; });
  };
  EXPECT_TRUE(has("lane l1: duplicate id"));
  EXPECT_TRUE(has("lane l1: predecessor gone is not in the map"));
  EXPECT_TRUE(has("lane l1: left neighbour nowhere is not in the map"));
  EXPECT_TRUE(has("lane l1 centerline: point 1 (1e+308, 0) is more than 1e+07 m from the origin"));
}

}  // namespace
}  // namespace autoscale::scene
