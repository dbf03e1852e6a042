#include "autoscale/store/store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/store/h5.h"
#include "store_format.h"

namespace fs = std::filesystem;

namespace autoscale::scene {
namespace {

constexpr const char* kIndexFile = "index.h5";
constexpr const char* kMapsDir = "maps";

// Reads scenes in blocks of this many rows when streaming: one HDF5 read per column per block.
constexpr size_t kStreamBlock = 64;

std::string join(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

void check_value(double v, const std::string& token, const char* what, size_t row, const char* column) {
  AUTOSCALE_CHECK(std::isfinite(v), "scene {}: {} row {} column {} is {}", token, what, row, column, v);
}

void check_ring(const Polyline& ring, const std::string& map, const std::string& what) {
  for (size_t i = 0; i < ring.size(); ++i) {
    AUTOSCALE_CHECK(std::isfinite(ring[i].x) && std::isfinite(ring[i].y), "map {}: {} point {} is ({}, {})", map,
                    what, i, ring[i].x, ring[i].y);
  }
}

void write_index(const std::string& dir, const std::vector<IndexEntry>& index, const std::vector<std::string>& shards,
                 const std::vector<int64_t>& shard_sizes, const std::map<std::string, std::string>& maps) {
  AtomicFile out(join(dir, kIndexFile));
  {
    std::lock_guard<std::mutex> lock(h5::global_mutex());
    auto f = h5::File::create(out.temp_path());
    f.write_attr("format", std::string(format::kStoreFormat));
    f.write_attr("schema_version", kSchemaVersion);
    f.write_attr("step_seconds", kStepSeconds);
    const int c = 4;  // gzip (the file's default codec): any HDF5 reader lists a store's scenes
    f.write("shards/file", shards, c);
    f.write("shards/num_scenes", shard_sizes, c);
    std::vector<std::string> token, log;
    std::vector<int64_t> shard, row;
    std::vector<uint8_t> domain;
    for (const auto& e : index) {
      token.push_back(e.token);
      log.push_back(e.log);
      shard.push_back(e.shard);
      row.push_back(e.row);
      domain.push_back(static_cast<uint8_t>(e.domain));
    }
    f.write("scenes/token", token, c);
    f.write("scenes/shard", shard, c);
    f.write("scenes/row", row, c);
    f.write("scenes/log", log, c);
    f.write("scenes/domain", domain, c);
    std::vector<std::string> map_ids, map_files;
    for (const auto& [id, file] : maps) {
      map_ids.push_back(id);
      map_files.push_back(file);
    }
    f.write("maps/id", map_ids, c);
    f.write("maps/file", map_files, c);
    f.close();  // a full disk is an error here, before the rename publishes anything
  }
  out.commit();
}

struct IndexContents {
  std::vector<IndexEntry> entries;
  std::vector<std::string> shard_files;
  std::vector<int64_t> shard_sizes;
  std::map<std::string, std::string> map_files;
};

// Errors name the index file, not the store: callers add "scene store DIR" once.
IndexContents read_index(const std::string& dir) {
  AUTOSCALE_CHECK(fs::is_directory(dir), "not a directory");
  const std::string path = join(dir, kIndexFile);
  AUTOSCALE_CHECK(fs::exists(path), "no {} (not a scene store, or its writer never finished)", kIndexFile);
  std::lock_guard<std::mutex> lock(h5::global_mutex());
  auto f = h5::File::open(path);
  format::check_header(f, format::kStoreFormat);
  IndexContents out;
  out.shard_files = f.read_str("shards/file");
  out.shard_sizes = f.read_i64("shards/num_scenes");
  AUTOSCALE_CHECK(out.shard_files.size() == out.shard_sizes.size(), "{}: shard tables differ in length", path);
  const auto token = f.read_str("scenes/token");
  const auto shard = f.read_i64("scenes/shard");
  const auto row = f.read_i64("scenes/row");
  const auto log = f.read_str("scenes/log");
  const auto domain = f.read_u8("scenes/domain");
  const size_t n = token.size();
  AUTOSCALE_CHECK(shard.size() == n && row.size() == n && log.size() == n && domain.size() == n,
                  "{}: scene columns differ in length", path);
  for (size_t i = 0; i < n; ++i) {
    AUTOSCALE_CHECK(shard[i] >= 0 && static_cast<size_t>(shard[i]) < out.shard_files.size() && row[i] >= 0 &&
                        row[i] < out.shard_sizes[shard[i]],
                    "{}: scene {} points at shard {} row {}, which does not exist", path, token[i], shard[i], row[i]);
    out.entries.push_back({token[i], log[i], static_cast<Domain>(domain[i] ? 1 : 0), shard[i], row[i]});
  }
  const auto map_ids = f.read_str("maps/id");
  const auto map_files = f.read_str("maps/file");
  AUTOSCALE_CHECK(map_ids.size() == map_files.size(), "{}: map tables differ in length", path);
  for (size_t i = 0; i < map_ids.size(); ++i) {
    AUTOSCALE_CHECK(out.map_files.emplace(map_ids[i], map_files[i]).second, "{}: map {} listed twice", path,
                    quote(map_ids[i]));
  }
  return out;
}

// The map in `path`, which the index lists as map `id`: a file holding another map (copied
// over, or two stores mixed) would give every scene of `id` the wrong roads.
Map load_map_file(const std::string& path, const std::string& id) {
  Map map;
  {
    std::lock_guard<std::mutex> lock(h5::global_mutex());
    map = format::read_map(h5::File::open(path));
  }
  AUTOSCALE_CHECK(map.id == id, "{}: holds map {}, but index.h5 lists it as map {}", path, quote(map.id), quote(id));
  return map;
}

const char* domain_name(Domain d) { return d == Domain::kReal ? "real" : "synthetic"; }

// A shard row must be the scene the index lists there, and its map one the index lists.
void check_row(const Scene& scene, const IndexEntry& entry, const std::string& shard_file,
               const std::map<std::string, std::string>& maps) {
  AUTOSCALE_CHECK(scene.token == entry.token, "{} row {}: holds scene {}, but index.h5 lists {} there", shard_file,
                  entry.row, quote(scene.token), quote(entry.token));
  AUTOSCALE_CHECK(scene.domain == entry.domain && scene.log == entry.log,
                  "{}: scene {}: log {} ({}) differs from index.h5's {} ({})", shard_file, quote(scene.token),
                  quote(scene.log), domain_name(scene.domain), quote(entry.log), domain_name(entry.domain));
  AUTOSCALE_CHECK(maps.count(scene.map_id), "{}: scene {}: map {} is not listed in index.h5", shard_file,
                  quote(scene.token), quote(scene.map_id));
}

}  // namespace

void StoreOptions::visit(ConfigVisitor& v) {
  v.field("shard_size", shard_size, "scenes per HDF5 shard file", at_least(1));
  v.field("compression", compression, "compression of every dataset: 0 = off, else the gzip level 1..9 (lz4 has one)",
          in_range(0, 9));
  v.field("codec", codec, "compressor of new shards and maps: lz4 (reads 3.6x faster than gzip at 1.08x the disk; "
          "h5py reads it with hdf5plugin) or gzip (any HDF5 reader)", Choices{"lz4", "gzip"});
}

void check_finite(const Scene& s) {
  check_value(s.ego_length, s.token, "ego size", 0, "length");
  check_value(s.ego_width, s.token, "ego size", 0, "width");
  static const char* kEgoCols[] = {"x", "y", "heading", "vx", "vy", "ax", "ay"};
  for (size_t r = 0; r < s.ego.size(); ++r) {
    const auto& e = s.ego[r];
    const double vals[] = {e.x, e.y, e.heading, e.vx, e.vy, e.ax, e.ay};
    for (int c = 0; c < 7; ++c) check_value(vals[c], s.token, "ego state", r, kEgoCols[c]);
  }
  static const char* kAgentCols[] = {"x", "y", "heading", "vx", "vy"};
  for (const auto& a : s.agents) {
    const std::string what = "agent " + a.id + " state";
    check_value(a.length, s.token, "agent size", 0, "length");
    check_value(a.width, s.token, "agent size", 0, "width");
    check_value(a.height, s.token, "agent size", 0, "height");
    for (size_t r = 0; r < a.states.size(); ++r) {
      const auto& st = a.states[r];
      if (!st.valid) continue;  // unobserved steps carry no meaning (often NaN in sources)
      const double vals[] = {st.x, st.y, st.heading, st.vx, st.vy};
      for (int c = 0; c < 5; ++c) check_value(vals[c], s.token, what.c_str(), r, kAgentCols[c]);
    }
  }
}

void check_finite(const Map& m) {
  for (const auto& l : m.lanes) {
    check_ring(l.centerline, m.id, "lane " + l.id + " centerline");
    check_ring(l.polygon, m.id, "lane " + l.id + " polygon");
  }
  for (const auto& rb : m.roadblocks) {
    check_ring(rb.polygon.exterior, m.id, "roadblock " + rb.id);
    for (const auto& h : rb.polygon.holes) check_ring(h, m.id, "roadblock " + rb.id + " hole");
  }
  for (const auto& a : m.areas) {
    check_ring(a.polygon.exterior, m.id, "area " + a.id);
    for (const auto& h : a.polygon.holes) check_ring(h, m.id, "area " + a.id + " hole");
  }
}

namespace {
bool same(const Polyline& a, const Polyline& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].x != b[i].x || a[i].y != b[i].y) return false;
  }
  return true;
}
bool same(const Polygon& a, const Polygon& b) {
  if (!same(a.exterior, b.exterior) || a.holes.size() != b.holes.size()) return false;
  for (size_t i = 0; i < a.holes.size(); ++i) {
    if (!same(a.holes[i], b.holes[i])) return false;
  }
  return true;
}
bool same_number(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
}  // namespace

bool operator==(const Map& a, const Map& b) {
  if (a.id != b.id || a.lanes.size() != b.lanes.size() || a.roadblocks.size() != b.roadblocks.size() ||
      a.areas.size() != b.areas.size()) {
    return false;
  }
  for (size_t i = 0; i < a.lanes.size(); ++i) {
    const Lane &x = a.lanes[i], &y = b.lanes[i];
    if (x.id != y.id || x.roadblock != y.roadblock || x.connector != y.connector ||
        !same_number(x.speed_limit, y.speed_limit) || !same(x.centerline, y.centerline) ||
        !same(x.polygon, y.polygon) || x.successors != y.successors || x.predecessors != y.predecessors ||
        x.left != y.left || x.right != y.right) {
      return false;
    }
  }
  for (size_t i = 0; i < a.roadblocks.size(); ++i) {
    const auto &x = a.roadblocks[i], &y = b.roadblocks[i];
    if (x.id != y.id || x.connector != y.connector || !same(x.polygon, y.polygon)) return false;
  }
  for (size_t i = 0; i < a.areas.size(); ++i) {
    const auto &x = a.areas[i], &y = b.areas[i];
    if (x.id != y.id || x.kind != y.kind || !same(x.polygon, y.polygon)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------- writer

namespace {

// A new store goes into a missing or empty directory; the lock file of an earlier writer that
// failed there does not count.
void check_new_store_dir(const std::string& dir) {
  if (!fs::exists(dir)) return;
  bool empty = fs::is_directory(dir);
  if (empty) {
    for (const auto& e : fs::directory_iterator(dir)) empty = empty && e.path().filename() == DirectoryLock::kFileName;
  }
  AUTOSCALE_CHECK(empty, "scene store {}: already exists and is not empty (use append, or pick a new path)", quote(dir));
}

// Creates `dir` (and its parents); true when this call created it, false when it existed.
bool make_store_dir(const std::string& dir) {
  std::error_code ec;
  const fs::path parent = fs::path(dir).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  const bool created = !ec && fs::create_directory(dir, ec);
  AUTOSCALE_CHECK(!ec, "scene store {}: cannot create directory: {}", quote(dir), ec.message());
  return created;
}

}  // namespace

SceneStoreWriter::SceneStoreWriter(std::string dir, StoreOptions options)
    : dir_(std::move(dir)), options_(options) {
  AUTOSCALE_CHECK(options_.shard_size >= 1, "store.shard_size: expected a positive integer, got {}",
                  options_.shard_size);
  AUTOSCALE_CHECK(options_.compression >= 0 && options_.compression <= 9,
                  "store.compression: expected an integer in [0, 9], got {}", options_.compression);
  AUTOSCALE_CHECK(options_.codec == "gzip" || options_.codec == "lz4", "store.codec: expected gzip or lz4, got {}",
                  quote(options_.codec));
  // Refused before anything is created in a foreign directory; checked again under the lock.
  if (!(options_.append && fs::exists(join(dir_, kIndexFile)))) check_new_store_dir(dir_);
  const bool created = make_store_dir(dir_);
  // A failed lock means another writer owns the directory (even one this call created a moment
  // before it): nothing here may be removed.
  lock_ = std::make_unique<DirectoryLock>(dir_, "scene store " + quote(dir_));
  created_dir_ = created;
  try {
    open_or_create();
  } catch (...) {
    if (created_dir_) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
    throw;
  }
}

// Under the lock: what an earlier writer committed is what this one appends to.
void SceneStoreWriter::open_or_create() {
  if (options_.append && fs::exists(join(dir_, kIndexFile))) {
    auto existing = with_context("scene store " + quote(dir_), [&] { return read_index(dir_); });
    index_ = std::move(existing.entries);
    shard_files_ = std::move(existing.shard_files);
    shard_sizes_ = std::move(existing.shard_sizes);
    map_files_ = std::move(existing.map_files);
    for (size_t i = 0; i < index_.size(); ++i) token_rows_[index_[i].token] = i;
  } else {
    check_new_store_dir(dir_);
  }
  std::error_code ec;
  fs::create_directories(join(dir_, kMapsDir), ec);
  AUTOSCALE_CHECK(!ec, "scene store {}: cannot create {}: {}", quote(dir_), kMapsDir, ec.message());
}

SceneStoreWriter::~SceneStoreWriter() {
  if (!closed_) abort();
}

void SceneStoreWriter::abort() noexcept {
  std::error_code ec;
  for (const auto& f : written_files_) fs::remove(join(dir_, f), ec);
  if (created_dir_) fs::remove_all(dir_, ec);
}

bool SceneStoreWriter::has_map(const std::string& id) const { return map_files_.count(id) > 0; }

void SceneStoreWriter::add_map(const Map& map) {
  AUTOSCALE_CHECK(!closed_, "scene store {}: add_map after close", quote(dir_));
  AUTOSCALE_CHECK(!map.id.empty(), "map with an empty id");
  check_finite(map);
  const auto it = map_files_.find(map.id);
  if (it != map_files_.end()) {
    const Map existing = load_map_file(join(dir_, it->second), it->first);
    AUTOSCALE_CHECK(existing == map, "scene store {}: map {} already exists with different content", quote(dir_),
                    quote(map.id));
    return;
  }
  const std::string file = fmt::format("{}/map-{:06d}.h5", kMapsDir, map_files_.size());
  AtomicFile out(join(dir_, file));
  {
    std::lock_guard<std::mutex> lock(h5::global_mutex());
    auto f = h5::File::create(out.temp_path());
    f.set_codec(options_.codec == "lz4" ? h5::Codec::kLz4 : h5::Codec::kGzip);
    format::write_map(f, map, static_cast<int>(options_.compression));
    f.close();
  }
  out.commit();
  written_files_.push_back(file);
  map_files_[map.id] = file;
}

void SceneStoreWriter::add(const Scene& scene) {
  AUTOSCALE_CHECK(!closed_, "scene store {}: add after close", quote(dir_));
  AUTOSCALE_CHECK(!scene.token.empty(), "scene with an empty token (log {})", quote(scene.log));
  AUTOSCALE_CHECK(!token_rows_.count(scene.token), "scene {}: duplicate token in store {}", scene.token, quote(dir_));
  AUTOSCALE_CHECK(map_files_.count(scene.map_id), "scene {}: map {} was not added to the store", scene.token,
                  quote(scene.map_id));
  AUTOSCALE_CHECK(!scene.ego.empty(), "scene {}: no ego states", scene.token);
  AUTOSCALE_CHECK(scene.num_history >= 0 && scene.num_history < scene.num_steps(),
                  "scene {}: num_history {} outside its {} ego states", scene.token, scene.num_history,
                  scene.num_steps());
  for (const auto& a : scene.agents) {
    AUTOSCALE_CHECK(a.states.size() == scene.ego.size(), "scene {}: agent {} has {} states, the ego has {}",
                    scene.token, a.id, a.states.size(), scene.ego.size());
  }
  for (const auto& l : scene.traffic_lights) {
    AUTOSCALE_CHECK(l.future.size() <= static_cast<size_t>(scene.num_future()),
                    "scene {}: light on lane {} has {} future states, the ego {} future steps", scene.token, l.lane,
                    l.future.size(), scene.num_future());
  }
  check_finite(scene);
  const auto shard = static_cast<int64_t>(shard_files_.size());
  token_rows_[scene.token] = index_.size();
  index_.push_back({scene.token, scene.log, scene.domain, shard, static_cast<int64_t>(pending_.size())});
  pending_.push_back(scene);
  ++added_;
  if (static_cast<int64_t>(pending_.size()) >= options_.shard_size) flush_shard();
}

void SceneStoreWriter::flush_shard() {
  if (pending_.empty()) return;
  const std::string file = fmt::format("shard-{:06d}.h5", shard_files_.size());
  AtomicFile out(join(dir_, file));
  {
    std::lock_guard<std::mutex> lock(h5::global_mutex());
    auto f = h5::File::create(out.temp_path());
    f.set_codec(options_.codec == "lz4" ? h5::Codec::kLz4 : h5::Codec::kGzip);
    format::write_shard(f, pending_, static_cast<int>(options_.compression));
    f.close();
  }
  out.commit();
  written_files_.push_back(file);
  shard_files_.push_back(file);
  shard_sizes_.push_back(static_cast<int64_t>(pending_.size()));
  pending_.clear();
}

size_t SceneStoreWriter::close() {
  AUTOSCALE_CHECK(!closed_, "scene store {}: closed twice", quote(dir_));
  flush_shard();
  write_index(dir_, index_, shard_files_, shard_sizes_, map_files_);
  closed_ = true;
  return added_;
}

// ---------------------------------------------------------------------------------- reader

// Open shard files with their chunk caches (up to 4 MiB of inflated chunks per column each), so
// memory is bounded by kMaxOpen shards however large the store: the least recently used one is
// closed first. Random reads within a few shards stay warm; a sequential pass keeps one.
struct SceneStore::OpenShards {
  static constexpr size_t kMaxOpen = SceneStore::kMaxOpenShards;
  std::vector<std::unique_ptr<h5::File>> files;  // guarded by h5::global_mutex()
  std::vector<uint64_t> last_used;               // per shard, a tick of `clock`
  uint64_t clock = 0;

  size_t count_open() const {
    return static_cast<size_t>(std::count_if(files.begin(), files.end(), [](const auto& f) { return f != nullptr; }));
  }
  // Before opening one more: closes the least recently used while kMaxOpen are open.
  void make_room() {
    while (count_open() >= kMaxOpen) {
      size_t oldest = files.size();
      for (size_t k = 0; k < files.size(); ++k) {
        if (files[k] && (oldest == files.size() || last_used[k] < last_used[oldest])) oldest = k;
      }
      files[oldest].reset();
    }
  }
};

SceneStore SceneStore::open(const std::string& dir) {
  auto contents = with_context("scene store " + quote(dir), [&] { return read_index(dir); });
  SceneStore s;
  s.open_ = std::make_shared<OpenShards>();
  s.dir_ = dir;
  s.index_ = std::move(contents.entries);
  s.shard_files_ = std::move(contents.shard_files);
  s.shard_sizes_ = std::move(contents.shard_sizes);
  s.map_files_ = std::move(contents.map_files);
  s.shard_rows_to_index_.resize(s.shard_files_.size());
  s.open_->files.resize(s.shard_files_.size());
  s.open_->last_used.resize(s.shard_files_.size(), 0);
  for (size_t i = 0; i < s.index_.size(); ++i) {
    const auto& e = s.index_[i];
    AUTOSCALE_CHECK(s.by_token_.emplace(e.token, i).second, "scene store {}: token {} listed twice", quote(dir),
                    e.token);
    auto& rows = s.shard_rows_to_index_[e.shard];
    if (rows.size() <= static_cast<size_t>(e.row)) rows.resize(e.row + 1, SIZE_MAX);
    rows[e.row] = i;
  }
  for (size_t k = 0; k < s.shard_files_.size(); ++k) {
    AUTOSCALE_CHECK(fs::exists(join(dir, s.shard_files_[k])), "scene store {}: shard {} is missing", quote(dir),
                    s.shard_files_[k]);
  }
  for (const auto& [id, file] : s.map_files_) {
    AUTOSCALE_CHECK(fs::exists(join(dir, file)), "scene store {}: map {} is missing ({})", quote(dir), quote(id), file);
  }
  return s;
}

std::optional<size_t> SceneStore::find(const std::string& token) const {
  const auto it = by_token_.find(token);
  if (it == by_token_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> SceneStore::map_ids() const {
  std::vector<std::string> out;
  for (const auto& kv : map_files_) out.push_back(kv.first);
  return out;
}

std::vector<Scene> SceneStore::read_shard_rows(size_t shard, size_t first, size_t count) const {
  AUTOSCALE_CHECK(shard < shard_files_.size(), "scene store {}: no shard {}", quote(dir_), shard);
  std::lock_guard<std::mutex> lock(h5::global_mutex());
  auto& file = open_->files[shard];
  open_->last_used[shard] = ++open_->clock;
  if (!file) {
    open_->make_room();
    auto f = std::make_unique<h5::File>(h5::File::open(join(dir_, shard_files_[shard])));
    format::check_header(*f, format::kShardFormat);
    // The index's row count is what for_each and the split trust; a shard of another length is
    // a different file than the one indexed.
    const size_t rows = format::shard_size(*f);
    AUTOSCALE_CHECK(static_cast<int64_t>(rows) == shard_sizes_[shard], "{}: holds {} scenes, index.h5 says {}",
                    f->path(), rows, shard_sizes_[shard]);
    if (f->has_attr("num_scenes")) {
      const int64_t declared = f->read_attr_i64("num_scenes");
      AUTOSCALE_CHECK(declared == static_cast<int64_t>(rows), "{}: num_scenes is {} but it holds {} scenes", f->path(),
                      declared, rows);
    }
    file = std::move(f);
  }
  auto scenes = format::read_shard(*file, first, count);
  const auto& rows = shard_rows_to_index_[shard];
  for (size_t j = 0; j < scenes.size(); ++j) {
    const size_t row = first + j;
    if (row < rows.size() && rows[row] != SIZE_MAX) check_row(scenes[j], index_[rows[row]], file->path(), map_files_);
  }
  return scenes;
}

Scene SceneStore::read(size_t i) const {
  AUTOSCALE_CHECK(i < index_.size(), "scene store {}: row {} out of range (size {})", quote(dir_), i, index_.size());
  const auto& e = index_[i];
  auto scenes = read_shard_rows(e.shard, e.row, 1);  // checks the row against the index
  return std::move(scenes[0]);
}

std::vector<Scene> SceneStore::read_rows(const std::vector<size_t>& rows) const {
  std::vector<Scene> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size();) {
    AUTOSCALE_CHECK(rows[i] < index_.size(), "scene store {}: row {} out of range (size {})", quote(dir_), rows[i],
                    index_.size());
    const auto& e = index_[rows[i]];
    size_t n = 1;
    while (i + n < rows.size() && rows[i + n] < index_.size() && index_[rows[i + n]].shard == e.shard &&
           index_[rows[i + n]].row == e.row + static_cast<int64_t>(n)) {
      ++n;
    }
    for (auto& scene : read_shard_rows(e.shard, e.row, n)) out.push_back(std::move(scene));
    i += n;
  }
  return out;
}

void SceneStore::close_shards() const {
  std::lock_guard<std::mutex> lock(h5::global_mutex());
  for (auto& f : open_->files) f.reset();
}

Scene SceneStore::read(const std::string& token) const {
  const auto i = find(token);
  AUTOSCALE_CHECK(i.has_value(), "scene store {}: no scene with token {}", quote(dir_), quote(token));
  return read(*i);
}

void SceneStore::for_each(const std::function<void(const Scene&)>& fn) const {
  for (size_t k = 0; k < shard_files_.size(); ++k) {
    const auto& rows = shard_rows_to_index_[k];
    for (size_t first = 0; first < rows.size(); first += kStreamBlock) {
      const size_t count = std::min(kStreamBlock, rows.size() - first);
      for (const auto& scene : read_shard_rows(k, first, count)) fn(scene);
    }
    // A pass does not come back: its inflated chunks would only crowd out the random reads'.
    std::lock_guard<std::mutex> lock(h5::global_mutex());
    open_->files[k].reset();
  }
}

size_t SceneStore::open_shards() const {
  std::lock_guard<std::mutex> lock(h5::global_mutex());
  return open_->count_open();
}

std::shared_ptr<const Map> SceneStore::map(const std::string& id) const {
  std::lock_guard<std::mutex> lock(*cache_mutex_);
  const auto cached = map_cache_.find(id);
  if (cached != map_cache_.end()) return cached->second;
  const auto it = map_files_.find(id);
  AUTOSCALE_CHECK(it != map_files_.end(), "scene store {}: no map {}", quote(dir_), quote(id));
  auto map = std::make_shared<const Map>(load_map_file(join(dir_, it->second), id));
  map_cache_[id] = map;
  return map;
}

std::vector<std::string> SceneStore::unlisted_files() const {
  std::set<std::string> listed(shard_files_.begin(), shard_files_.end());
  for (const auto& kv : map_files_) listed.insert(kv.second);
  listed.insert(kIndexFile);
  listed.insert(DirectoryLock::kFileName);  // the writers' lock, kept on purpose
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), dir_).string();
    if (rel.rfind("provenance/", 0) == 0) continue;  // resolved configs of past imports
    if (!listed.count(rel)) out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace autoscale::scene
