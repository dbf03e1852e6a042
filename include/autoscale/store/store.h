// The HDF5 scene store: a directory of columnar shards plus an index and shared maps.
// docs/data-format.md is the on-disk format; this header is the C++ API.
//
//   SceneStoreWriter w("scenes", {});      // new store (or StoreOptions{.append = true})
//   w.add_map(map);  w.add(scene);  ...
//   w.close();                             // index.h5 renamed into place: the commit point
//
//   SceneStore s = SceneStore::open("scenes");
//   Scene a = s.read(17);  Scene b = s.read("token");
//   s.for_each([](const Scene& sc) { ... });   // streams shard by shard
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/scene/types.h"

namespace autoscale {
class DirectoryLock;
}

namespace autoscale::scene {

inline constexpr int64_t kSchemaVersion = 1;

struct StoreOptions {
  int64_t shard_size = 1024;  // scenes per shard file
  int64_t compression = 4;    // 0 = off; else the gzip level 1..9 (lz4: any level, one speed)
  bool append = false;        // add to an existing store instead of creating a new one
  std::string codec = "lz4";   // lz4 | gzip (lz4: 3.6x faster reads at 1.08x the disk; h5py needs hdf5plugin)

  void visit(ConfigVisitor& v);
};

// One row of the index: where a scene lives, plus the fields needed to split without reading it.
struct IndexEntry {
  std::string token;
  std::string log;
  Domain domain = Domain::kReal;
  int64_t shard = 0;
  int64_t row = 0;
};

class SceneStoreWriter {
 public:
  // Creates `dir` (which must not exist or be empty) or, with options.append, opens it. Holds
  // the store's lock (DIR/.lock) until destroyed: a second writer of the same store, in this
  // process or another, gets an Error naming the holder's PID. An append publishes its shards
  // and maps only through the final rename of index.h5 in close().
  SceneStoreWriter(std::string dir, StoreOptions options);
  // Without close(), everything this writer wrote is removed again (and a directory it created).
  ~SceneStoreWriter();
  SceneStoreWriter(const SceneStoreWriter&) = delete;
  SceneStoreWriter& operator=(const SceneStoreWriter&) = delete;

  // Adds a map. A map id already in the store is reused when identical, an error otherwise.
  void add_map(const Map& map);
  bool has_map(const std::string& id) const;
  // Adds a scene; its map must have been added. Rejects duplicate tokens and non-finite values.
  void add(const Scene& scene);
  // Flushes the last shard and writes the index. Returns the number of scenes added.
  size_t close();

  size_t added() const { return added_; }

 private:
  void open_or_create();
  void flush_shard();
  void abort() noexcept;

  std::string dir_;
  StoreOptions options_;
  std::unique_ptr<DirectoryLock> lock_;  // released after abort() cleaned up
  bool created_dir_ = false;
  bool closed_ = false;
  size_t added_ = 0;
  std::vector<IndexEntry> index_;
  std::unordered_map<std::string, size_t> token_rows_;
  std::vector<std::string> shard_files_;
  std::vector<int64_t> shard_sizes_;
  std::map<std::string, std::string> map_files_;  // map id -> file
  std::vector<std::string> written_files_;        // by this writer, removed on abort
  std::vector<Scene> pending_;
};

class SceneStore {
 public:
  // Opens a store directory; throws Error naming the file when it is not a valid store. Every
  // file read later is checked against the index: its format, schema and step_seconds, a
  // shard's row count and each row's token, log, domain and map, a map file's id.
  static SceneStore open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  size_t size() const { return index_.size(); }
  const std::vector<IndexEntry>& index() const { return index_; }
  std::optional<size_t> find(const std::string& token) const;
  const std::vector<std::string>& shard_files() const { return shard_files_; }
  std::vector<std::string> map_ids() const;

  Scene read(size_t i) const;
  Scene read(const std::string& token) const;  // throws Error naming the token when absent
  // Rows in the given order; runs of consecutive rows of one shard are one block read.
  std::vector<Scene> read_rows(const std::vector<size_t>& rows) const;
  // Closes every open shard (and drops its inflated chunks): after a pass that will not come back.
  void close_shards() const;
  // Reads scenes [first, first + count) of shard `shard` in one pass (the streaming path).
  std::vector<Scene> read_shard_rows(size_t shard, size_t first, size_t count) const;
  // Streams every scene in index order, block by block.
  void for_each(const std::function<void(const Scene&)>& fn) const;

  // Maps are loaded once and shared.
  std::shared_ptr<const Map> map(const std::string& id) const;

  // Shard files held open now (each with its chunk caches); bounded whatever the store's size.
  size_t open_shards() const;
  static constexpr size_t kMaxOpenShards = 16;

  // Files in the directory that the index does not list (left by a killed writer).
  std::vector<std::string> unlisted_files() const;

 private:
  struct OpenShards;  // shard files kept open (with their chunk caches) between reads
  std::shared_ptr<OpenShards> open_;
  std::string dir_;
  std::vector<IndexEntry> index_;
  std::unordered_map<std::string, size_t> by_token_;
  std::vector<std::string> shard_files_;
  std::vector<int64_t> shard_sizes_;  // rows per shard, as index.h5 lists them
  std::vector<std::vector<size_t>> shard_rows_to_index_;
  std::map<std::string, std::string> map_files_;
  mutable std::map<std::string, std::shared_ptr<const Map>> map_cache_;
  mutable std::shared_ptr<std::mutex> cache_mutex_ = std::make_shared<std::mutex>();
};

// Checks every number of a scene for NaN/inf; throws Error naming the token, field and index.
void check_finite(const Scene& scene);
void check_finite(const Map& map);

bool operator==(const Map& a, const Map& b);

}  // namespace autoscale::scene
