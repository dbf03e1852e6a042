// Thin RAII layer over the HDF5 C API for the columnar files (the scene store, embeddings).
//
// Every call checks its result and throws autoscale::Error naming the file and dataset, so a
// truncated or foreign file gives one clear line instead of HDF5's error-stack dump.
// The Debian HDF5 build is not thread-safe: callers serialise through h5::global_mutex().
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace autoscale::scene::h5 {

std::mutex& global_mutex();

// The compression of a written dataset. gzip is HDF5's built-in
// deflate with byte shuffle, readable everywhere; lz4 (no shuffle) is HDF5's registered filter 32004 (the format of the
// hdf5-filter-plugin and of Python's hdf5plugin.LZ4): on nuScenes scenes a store reads 3.6x faster
// than with gzip at 1.08x the disk.
enum class Codec : uint8_t { kGzip, kLz4 };

// A vector that leaves its elements uninitialised on resize: for buffers HDF5 fills at once
// (zeroing them first was 12% of reading an uncompressed store).
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
template <class T>
using Buffer = std::vector<T, DefaultInitAllocator<T>>;

class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      close_ = o.close_;
      o.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

// An open HDF5 file and the name used in messages.
//
// A created file is built in memory (HDF5's core driver) and written to `path` with plain
// write() calls by close(): a full disk, an I/O error or a read-only directory is then one
// Error naming the file, raised here, never a failed flush inside HDF5 (whose error paths in
// the Debian 1.10 build leave the file half-closed and crash at exit, issue 23).
class File {
 public:
  static File create(const std::string& path);  // truncates (at close())
  static File open(const std::string& path);    // read-only; checks it is HDF5 at all
  // A created file not closed is still stored by the destructor (a failure is then only
  // logged), unless the destructor runs because an exception unwinds: then it is dropped.
  ~File();
  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;

  // Stores a created file (throws Error naming the file when it cannot) and closes it; for a
  // file opened for reading, just closes it. Idempotent.
  void close();
  hid_t id() const { return handle_.id(); }
  const std::string& path() const { return path_; }

  bool exists(const std::string& dataset) const;

  // Writers. `cols` > 1 makes a 2-D (rows, cols) dataset. compression 0..9 (0 = none; the gzip
  // level, any level above 0 for lz4) with the codec set for this file (gzip unless set).
  void set_codec(Codec codec) { codec_ = codec; }
  void write(const std::string& name, const std::vector<double>& v, size_t cols, int compression);
  void write(const std::string& name, const std::vector<float>& v, size_t cols, int compression);
  void write(const std::string& name, const std::vector<int64_t>& v, int compression);
  void write(const std::string& name, const std::vector<uint64_t>& v, int compression);
  void write(const std::string& name, const std::vector<uint8_t>& v, int compression);
  void write(const std::string& name, const std::vector<std::string>& v, int compression);
  void write_attr(const std::string& name, const std::string& value);
  void write_attr(const std::string& name, int64_t value);
  void write_attr(const std::string& name, double value);

  // Readers of rows [first, first + count) (count = -1: to the end). The dataset's column count
  // must equal `cols`; a mismatch is a schema error naming the dataset.
  std::vector<double> read_f64(const std::string& name, size_t cols, size_t first = 0, long long count = -1) const;
  std::vector<float> read_f32(const std::string& name, size_t cols, size_t first = 0, long long count = -1) const;
  size_t columns(const std::string& name) const;  // 1 for a 1-D dataset
  std::vector<int64_t> read_i64(const std::string& name, size_t first = 0, long long count = -1) const;
  std::vector<uint64_t> read_u64(const std::string& name, size_t first = 0, long long count = -1) const;
  std::vector<uint8_t> read_u8(const std::string& name, size_t first = 0, long long count = -1) const;
  std::vector<std::string> read_str(const std::string& name, size_t first = 0, long long count = -1) const;
  // Rows [first, first + count) of a numeric dataset into an uninitialised buffer (T: double,
  // int64_t, uint64_t or uint8_t).
  template <class T>
  Buffer<T> read_column(const std::string& name, size_t cols, size_t first, size_t count) const;
  size_t rows(const std::string& name) const;

  std::string read_attr_str(const std::string& name) const;
  int64_t read_attr_i64(const std::string& name) const;
  double read_attr_f64(const std::string& name) const;
  bool has_attr(const std::string& name) const;

 private:
  File(Handle h, std::string path) : handle_(std::move(h)), path_(std::move(path)) {}
  // Datasets stay open for the file's lifetime so that HDF5's chunk cache survives between
  // reads: block-wise streaming then decompresses every chunk once.
  hid_t open_dataset(const std::string& name) const;
  void write_raw(const std::string& name, hid_t file_type, hid_t mem_type, const void* data, size_t rows,
                 size_t cols, int compression);
  void read_raw(const std::string& name, hid_t mem_type, void* out, size_t cols, size_t first, size_t count,
                hid_t transfer = H5P_DEFAULT) const;
  size_t resolve_count(const std::string& name, size_t first, long long count) const;

  void store_image();

  Handle handle_;
  std::string path_;
  bool in_memory_ = false;      // created: the image still has to be written to path_
  int uncaught_at_create_ = 0;  // std::uncaught_exceptions() when created
  Codec codec_ = Codec::kGzip;
  mutable std::unordered_map<std::string, std::shared_ptr<Handle>> datasets_;
};

}  // namespace autoscale::scene::h5
