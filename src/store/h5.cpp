#include "autoscale/store/h5.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>
#include <mutex>
#include <set>
#include <tuple>
#include <type_traits>

#include "autoscale/core/error.h"
#include "lz4_filter.h"

namespace autoscale::scene::h5 {
namespace {

// HDF5 prints its error stack to stderr by default; we report our own one-line errors instead.
// A thread-safe HDF5 keeps that setting per thread, so every thread that opens a file (the
// scorer's workers read maps) silences it once.
void silence_hdf5() {
  thread_local const bool silenced = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)silenced;
}

hid_t check(hid_t id, const std::string& what) {
  AUTOSCALE_CHECK(id >= 0, "{}", what);
  return id;
}

Handle string_type() {
  hid_t t = check(H5Tcopy(H5T_C_S1), "H5Tcopy");
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return Handle(t, H5Tclose);
}

// A transfer list whose type-conversion buffer fits `n` strings. HDF5 zero-fills a buffer of
// the default 1 MiB for every string read otherwise: 9% of a random single-scene read.
Handle string_transfer(size_t n) {
  hid_t p = check(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate");
  Handle h(p, H5Pclose);
  constexpr size_t kStringSlot = 16;  // a variable-length string in the file: heap address + index
  check(H5Pset_buffer(p, std::max<size_t>(n, 4) * kStringSlot, nullptr, nullptr), "H5Pset_buffer");
  return h;
}

Handle link_create_plist() {
  hid_t p = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(p, 1);
  return Handle(p, H5Pclose);
}

// Grows the in-memory image of a created file in steps of this many bytes.
constexpr size_t kCoreIncrement = 4 << 20;

// Writes `bytes` to `path` (created or truncated) with plain POSIX calls, so that ENOSPC, EIO,
// EFBIG or a read-only directory is one error naming the file and the reason.
void write_whole_file(const std::string& path, const std::vector<char>& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  AUTOSCALE_CHECK(fd >= 0, "cannot create {}: {}", quote(path), std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      AUTOSCALE_THROW("cannot write {} ({} of {} bytes written): {}", quote(path), done, bytes.size(),
                      std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  AUTOSCALE_CHECK(::close(fd) == 0, "cannot write {}: {}", quote(path), std::strerror(errno));
}

// ---- global heap validation (reads trust nothing HDF5 would not check itself)
//
// Variable-length strings live in global heap collections ("GCOL"). HDF5 1.10 trusts the object
// sizes it finds there: one damaged size makes it copy past its buffers (a segfault in
// `inspect`, issue 23). Before HDF5 sees a file, every collection is walked as HDF5 walks it
// (H5HG__cache_heap_deserialize) and must be consistent: each object inside the collection,
// the last one ending exactly at its end, the collection inside the file.

constexpr size_t kHeapHeader = 16;    // "GCOL", version 1, 3 reserved, collection size (8)
constexpr size_t kObjectHeader = 16;  // index (2), reference count (2), reserved (4), size (8)

uint64_t load_le(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

bool read_at(int fd, uint64_t offset, void* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, static_cast<char*>(out) + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

// Checks the collection whose signature is at `at`; a candidate that does not carry the whole
// header of one (version 1, reserved bytes 0) is compressed data that happens to read "GCOL".
void check_heap_collection(int fd, const std::string& path, uint64_t at, uint64_t file_size) {
  unsigned char h[kHeapHeader];
  if (at + kHeapHeader > file_size || !read_at(fd, at, h, kHeapHeader)) return;
  if (h[4] != 1 || h[5] != 0 || h[6] != 0 || h[7] != 0) return;
  const uint64_t size = load_le(h + 8, 8);
  AUTOSCALE_CHECK(size >= kHeapHeader && size <= file_size - at,
                  "{}: damaged file: global heap at byte {} claims {} bytes, the file has {} after it", path,
                  at, size, file_size - at);
  std::vector<unsigned char> heap(size);
  AUTOSCALE_CHECK(read_at(fd, at, heap.data(), size), "{}: cannot read the global heap at byte {}: {}", path,
                  at, std::strerror(errno));
  uint64_t p = kHeapHeader;
  while (p + kObjectHeader <= size) {  // a smaller tail is free space without a header
    const uint64_t index = load_le(&heap[p], 2);
    const uint64_t object = load_le(&heap[p + 8], 8);
    const uint64_t room = size - p;
    // Object 0 is the free space, its size including its header; others are padded to 8 bytes.
    const bool fits = index == 0 ? object >= kObjectHeader && object <= room
                                 : object <= room - kObjectHeader && kObjectHeader + (object + 7) / 8 * 8 <= room;
    AUTOSCALE_CHECK(fits,
                    "{}: damaged file: global heap object {} at byte {} has length {}, only {} bytes remain in its "
                    "collection",
                    path, index, at + p, object, room);
    p += index == 0 ? object : kObjectHeader + (object + 7) / 8 * 8;
  }
}

// A file's identity for the cache of checked files: the same inode, size and modification time
// is the same bytes (every writer here replaces files by rename, which gives a new inode).
struct FileIdentity {
  dev_t device;
  ino_t inode;
  off_t size;
  int64_t mtime_ns, ctime_ns;
  bool operator<(const FileIdentity& o) const {
    return std::tie(device, inode, size, mtime_ns, ctime_ns) < std::tie(o.device, o.inode, o.size, o.mtime_ns, o.ctime_ns);
  }
};

// Files whose global heaps were checked in this process: a store reader that closes a shard
// (it keeps only a few open) and opens it again does not scan all of it again.
bool checked_before(const FileIdentity& id, bool remember) {
  static std::mutex mutex;
  static std::set<FileIdentity> checked;
  std::lock_guard<std::mutex> lock(mutex);
  if (remember) return !checked.insert(id).second;
  return checked.count(id) > 0;
}

void check_global_heaps(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  AUTOSCALE_CHECK(fd >= 0, "{}: cannot open: {}", path, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  AUTOSCALE_CHECK(::fstat(fd, &st) == 0, "{}: cannot read: {}", path, std::strerror(errno));
  const auto ns = [](const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; };
  const FileIdentity identity{st.st_dev, st.st_ino, st.st_size, ns(st.st_mtim), ns(st.st_ctim)};
  if (checked_before(identity, false)) return;
  // A file changed within the file system's timestamp granularity of now could change again
  // without its times moving (git's "racily clean" case): check it, but do not remember it.
  const bool settled = ::time(nullptr) - std::max(st.st_mtim.tv_sec, st.st_ctim.tv_sec) > 2;
  const off_t end = ::lseek(fd, 0, SEEK_END);
  AUTOSCALE_CHECK(end >= 0, "{}: cannot read: {}", path, std::strerror(errno));
  const auto file_size = static_cast<uint64_t>(end);
  constexpr size_t kBlock = 1 << 20;
  constexpr char kSignature[] = "GCOL";
  std::vector<char> block(kBlock + 3);
  // Blocks overlap by 3 bytes so that a signature across a block boundary is seen once.
  for (uint64_t base = 0; base < file_size; base += kBlock) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kBlock + 3, file_size - base));
    AUTOSCALE_CHECK(read_at(fd, base, block.data(), n), "{}: cannot read: {}", path, std::strerror(errno));
    const char* from = block.data();
    const char* last = block.data() + n;
    while (const void* hit = ::memmem(from, static_cast<size_t>(last - from), kSignature, 4)) {
      const auto offset = static_cast<size_t>(static_cast<const char*>(hit) - block.data());
      if (offset < kBlock) check_heap_collection(fd, path, base + offset, file_size);
      from = static_cast<const char*>(hit) + 1;
    }
  }
  if (settled) checked_before(identity, true);
}

}  // namespace

std::mutex& global_mutex() {
  static std::mutex m;
  return m;
}

File File::create(const std::string& path) {
  silence_hdf5();
  register_lz4_filter();
  // The core driver without a backing store: HDF5 never touches the disk; close() does.
  Handle fapl(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  AUTOSCALE_CHECK(H5Pset_fapl_core(fapl.id(), kCoreIncrement, 0) >= 0, "{}: cannot set up the HDF5 core driver",
                  quote(path));
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id());
  AUTOSCALE_CHECK(id >= 0, "cannot create HDF5 file {}", quote(path));
  File f(Handle(id, H5Fclose), path);
  f.in_memory_ = true;
  f.uncaught_at_create_ = std::uncaught_exceptions();
  return f;
}

void File::store_image() {
  // Flushed first: the image must hold the final superblock (its end-of-file address).
  AUTOSCALE_CHECK(H5Fflush(id(), H5F_SCOPE_GLOBAL) >= 0, "{}: cannot flush the HDF5 file image", quote(path_));
  const ssize_t size = H5Fget_file_image(id(), nullptr, 0);
  AUTOSCALE_CHECK(size >= 0, "{}: cannot size the HDF5 file image", quote(path_));
  std::vector<char> image(static_cast<size_t>(size));
  AUTOSCALE_CHECK(H5Fget_file_image(id(), image.data(), image.size()) == size, "{}: cannot copy the HDF5 file image",
                  quote(path_));
  in_memory_ = false;
  datasets_.clear();
  handle_.reset();  // in memory: closing cannot fail
  write_whole_file(path_, image);
}

void File::close() {
  if (in_memory_ && handle_.valid()) {
    store_image();
    return;
  }
  in_memory_ = false;
  datasets_.clear();
  handle_.reset();
}

File::~File() {
  if (!in_memory_ || !handle_.valid()) return;  // read-only, closed or moved from: members close it
  if (std::uncaught_exceptions() > uncaught_at_create_) return;  // a failed write: drop the image
  try {
    store_image();
  } catch (const std::exception& e) {
    // A destructor cannot throw; the caller's rename then publishes nothing usable, and the
    // reader names the file. Writers in this project call close() to get the error instead.
    spdlog::error("{}", e.what());
  }
}

File File::open(const std::string& path) {
  silence_hdf5();
  register_lz4_filter();
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  // Every message starts with the file, as the readers' own do: a caller that names the file
  // as its context then prints it once.
  AUTOSCALE_CHECK(is_hdf5 >= 0, "{}: cannot open: file missing or unreadable", path);
  AUTOSCALE_CHECK(is_hdf5 > 0, "{}: it is not an HDF5 file", path);
  check_global_heaps(path);
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  AUTOSCALE_CHECK(id >= 0, "{}: cannot open: truncated or damaged HDF5 file", path);
  return File(Handle(id, H5Fclose), path);
}

bool File::exists(const std::string& dataset) const {
  // H5Lexists on "a/b" fails if "a" is missing, so walk the path.
  size_t pos = 0;
  while (true) {
    pos = dataset.find('/', pos + 1);
    const std::string prefix = dataset.substr(0, pos);
    if (H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (pos == std::string::npos) return true;
  }
}

hid_t File::open_dataset(const std::string& name) const {
  const auto it = datasets_.find(name);
  if (it != datasets_.end()) return it->second->id();
  AUTOSCALE_CHECK(exists(name), "{}: missing dataset /{} (not an autoscale store file, or written by another schema)",
                  path_, name);
  // 4 MiB of decompressed chunks per dataset: a shard's columns fit, so streaming a shard
  // inflates each chunk once.
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl.id(), 521, 4 << 20, 0.75);
  hid_t d = H5Dopen2(id(), name.c_str(), dapl.id());
  AUTOSCALE_CHECK(d >= 0, "{}: cannot open dataset /{}", path_, name);
  datasets_[name] = std::make_shared<Handle>(d, H5Dclose);
  return d;
}

void File::write_raw(const std::string& name, hid_t file_type, hid_t mem_type, const void* data, size_t rows,
                     size_t cols, int compression) {
  const hsize_t dims[2] = {rows, cols};
  const int rank = cols > 1 ? 2 : 1;
  Handle space(check(H5Screate_simple(rank, dims, nullptr), "H5Screate_simple"), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (compression > 0 && rows > 0) {
    // ~256 KiB chunks: big enough to compress well, small enough for cheap random reads.
    const size_t elem = std::max<size_t>(1, H5Tget_size(file_type));
    const hsize_t chunk_rows = std::clamp<hsize_t>((256 * 1024) / (elem * cols), 1, rows);
    const hsize_t chunk[2] = {chunk_rows, cols};
    H5Pset_chunk(dcpl.id(), rank, chunk);
    // Byte shuffle helps deflate; LZ4 reads faster and packs smaller without it (measured on
    // nuScenes scenes: 54.7 against 70.2 KiB per scene, 1.6x the reads).
    if (codec_ == Codec::kGzip) H5Pset_shuffle(dcpl.id());
    if (codec_ == Codec::kLz4) {  // optional, as deflate is: HDF5 1.10 drops it on string columns
      AUTOSCALE_CHECK(H5Pset_filter(dcpl.id(), kLz4FilterId, H5Z_FLAG_OPTIONAL, 0, nullptr) >= 0,
                      "{}: cannot set the LZ4 filter on /{}", path_, name);
    } else {
      H5Pset_deflate(dcpl.id(), static_cast<unsigned>(std::min(compression, 9)));
    }
  }
  Handle lcpl = link_create_plist();
  Handle d(H5Dcreate2(id(), name.c_str(), file_type, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT), H5Dclose);
  AUTOSCALE_CHECK(d.valid(), "{}: cannot create dataset /{}", path_, name);
  if (rows > 0) {
    AUTOSCALE_CHECK(H5Dwrite(d.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0,
                    "{}: cannot write dataset /{}", path_, name);
  }
}

void File::write(const std::string& name, const std::vector<double>& v, size_t cols, int compression) {
  AUTOSCALE_CHECK(cols > 0 && v.size() % cols == 0, "internal: /{} has {} values, not a multiple of {}", name,
                  v.size(), cols);
  write_raw(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v.data(), v.size() / cols, cols, compression);
}
void File::write(const std::string& name, const std::vector<float>& v, size_t cols, int compression) {
  AUTOSCALE_CHECK(cols > 0 && v.size() % cols == 0, "internal: /{} has {} values, not a multiple of {}", name,
                  v.size(), cols);
  write_raw(name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, v.data(), v.size() / cols, cols, compression);
}
void File::write(const std::string& name, const std::vector<int64_t>& v, int compression) {
  write_raw(name, H5T_STD_I64LE, H5T_NATIVE_INT64, v.data(), v.size(), 1, compression);
}
void File::write(const std::string& name, const std::vector<uint64_t>& v, int compression) {
  write_raw(name, H5T_STD_U64LE, H5T_NATIVE_UINT64, v.data(), v.size(), 1, compression);
}
void File::write(const std::string& name, const std::vector<uint8_t>& v, int compression) {
  write_raw(name, H5T_STD_U8LE, H5T_NATIVE_UINT8, v.data(), v.size(), 1, compression);
}
void File::write(const std::string& name, const std::vector<std::string>& v, int compression) {
  std::vector<const char*> ptrs(v.size());
  for (size_t i = 0; i < v.size(); ++i) ptrs[i] = v[i].c_str();
  Handle type = string_type();
  write_raw(name, type.id(), type.id(), ptrs.data(), v.size(), 1, compression);
}

void File::write_attr(const std::string& name, const std::string& value) {
  Handle type = string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(id(), name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  AUTOSCALE_CHECK(a.valid(), "{}: cannot create attribute {}", path_, name);
  const char* ptr = value.c_str();
  AUTOSCALE_CHECK(H5Awrite(a.id(), type.id(), &ptr) >= 0, "{}: cannot write attribute {}", path_, name);
}
void File::write_attr(const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(id(), name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  AUTOSCALE_CHECK(a.valid() && H5Awrite(a.id(), H5T_NATIVE_INT64, &value) >= 0, "{}: cannot write attribute {}",
                  path_, name);
}
void File::write_attr(const std::string& name, double value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(id(), name.c_str(), H5T_IEEE_F64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  AUTOSCALE_CHECK(a.valid() && H5Awrite(a.id(), H5T_NATIVE_DOUBLE, &value) >= 0, "{}: cannot write attribute {}",
                  path_, name);
}

bool File::has_attr(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

std::string File::read_attr_str(const std::string& name) const {
  AUTOSCALE_CHECK(has_attr(name), "{}: missing attribute {} (not an autoscale store file)", path_, name);
  Handle a(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle ftype(H5Aget_type(a.id()), H5Tclose);
  AUTOSCALE_CHECK(H5Tget_class(ftype.id()) == H5T_STRING, "{}: attribute {} is not a string", path_, name);
  if (H5Tis_variable_str(ftype.id()) > 0) {
    Handle type = string_type();
    char* ptr = nullptr;
    AUTOSCALE_CHECK(H5Aread(a.id(), type.id(), &ptr) >= 0, "{}: cannot read attribute {}", path_, name);
    std::string out = ptr ? ptr : "";
    H5free_memory(ptr);
    return out;
  }
  // Fixed-length strings (as h5py writes from numpy bytes) are accepted too.
  const size_t n = H5Tget_size(ftype.id());
  std::string out(n, '\0');
  AUTOSCALE_CHECK(H5Aread(a.id(), ftype.id(), out.data()) >= 0, "{}: cannot read attribute {}", path_, name);
  out.resize(std::strlen(out.c_str()));
  return out;
}

int64_t File::read_attr_i64(const std::string& name) const {
  AUTOSCALE_CHECK(has_attr(name), "{}: missing attribute {}", path_, name);
  Handle a(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  int64_t v = 0;
  AUTOSCALE_CHECK(H5Aread(a.id(), H5T_NATIVE_INT64, &v) >= 0, "{}: cannot read attribute {}", path_, name);
  return v;
}

double File::read_attr_f64(const std::string& name) const {
  AUTOSCALE_CHECK(has_attr(name), "{}: missing attribute {}", path_, name);
  Handle a(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  double v = 0;
  AUTOSCALE_CHECK(H5Aread(a.id(), H5T_NATIVE_DOUBLE, &v) >= 0, "{}: cannot read attribute {}", path_, name);
  return v;
}

size_t File::rows(const std::string& name) const {
  Handle space(H5Dget_space(open_dataset(name)), H5Sclose);
  hsize_t dims[2] = {0, 0};
  const int rank = H5Sget_simple_extent_dims(space.id(), dims, nullptr);
  AUTOSCALE_CHECK(rank >= 1, "{}: dataset /{} has no rows", path_, name);
  return dims[0];
}

size_t File::resolve_count(const std::string& name, size_t first, long long count) const {
  const size_t total = rows(name);
  AUTOSCALE_CHECK(first <= total, "{}: /{} has {} rows, asked for row {}", path_, name, total, first);
  const size_t n = count < 0 ? total - first : static_cast<size_t>(count);
  AUTOSCALE_CHECK(first + n <= total, "{}: /{} has {} rows, asked for rows {}..{} (damaged offsets?)", path_, name,
                  total, first, first + n);
  return n;
}

void File::read_raw(const std::string& name, hid_t mem_type, void* out, size_t cols, size_t first, size_t count,
                    hid_t transfer) const {
  const hid_t d = open_dataset(name);
  Handle space(H5Dget_space(d), H5Sclose);
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_ndims(space.id());
  H5Sget_simple_extent_dims(space.id(), dims, nullptr);
  const size_t file_cols = rank == 2 ? dims[1] : 1;
  AUTOSCALE_CHECK(rank >= 1 && rank <= 2 && file_cols == cols, "{}: /{} has shape ({}, {}), expected {} columns",
                  path_, name, dims[0], file_cols, cols);
  if (count == 0) return;
  const hsize_t start[2] = {first, 0};
  const hsize_t extent[2] = {count, cols};
  H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, start, nullptr, extent, nullptr);
  Handle mem(H5Screate_simple(rank, extent, nullptr), H5Sclose);
  AUTOSCALE_CHECK(H5Dread(d, mem_type, mem.id(), space.id(), transfer, out) >= 0,
                  "{}: cannot read /{} rows {}..{} (truncated or damaged file, or wrong type)", path_, name, first,
                  first + count);
}

std::vector<double> File::read_f64(const std::string& name, size_t cols, size_t first, long long count) const {
  const size_t n = resolve_count(name, first, count);
  std::vector<double> out(n * cols);
  read_raw(name, H5T_NATIVE_DOUBLE, out.data(), cols, first, n);
  return out;
}
std::vector<float> File::read_f32(const std::string& name, size_t cols, size_t first, long long count) const {
  const size_t n = resolve_count(name, first, count);
  std::vector<float> out(n * cols);
  read_raw(name, H5T_NATIVE_FLOAT, out.data(), cols, first, n);
  return out;
}
size_t File::columns(const std::string& name) const {
  Handle space(H5Dget_space(open_dataset(name)), H5Sclose);
  hsize_t dims[2] = {0, 1};
  const int rank = H5Sget_simple_extent_dims(space.id(), dims, nullptr);
  return rank == 2 ? dims[1] : 1;
}
std::vector<int64_t> File::read_i64(const std::string& name, size_t first, long long count) const {
  const size_t n = resolve_count(name, first, count);
  std::vector<int64_t> out(n);
  read_raw(name, H5T_NATIVE_INT64, out.data(), 1, first, n);
  return out;
}
std::vector<uint64_t> File::read_u64(const std::string& name, size_t first, long long count) const {
  const size_t n = resolve_count(name, first, count);
  std::vector<uint64_t> out(n);
  read_raw(name, H5T_NATIVE_UINT64, out.data(), 1, first, n);
  return out;
}
std::vector<uint8_t> File::read_u8(const std::string& name, size_t first, long long count) const {
  const size_t n = resolve_count(name, first, count);
  std::vector<uint8_t> out(n);
  read_raw(name, H5T_NATIVE_UINT8, out.data(), 1, first, n);
  return out;
}
template <class T>
Buffer<T> File::read_column(const std::string& name, size_t cols, size_t first, size_t count) const {
  static_assert(std::is_same_v<T, double> || std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t> ||
                std::is_same_v<T, uint8_t>);
  hid_t type = H5T_NATIVE_UINT8;
  if constexpr (std::is_same_v<T, double>) type = H5T_NATIVE_DOUBLE;
  if constexpr (std::is_same_v<T, int64_t>) type = H5T_NATIVE_INT64;
  if constexpr (std::is_same_v<T, uint64_t>) type = H5T_NATIVE_UINT64;
  const size_t n = resolve_count(name, first, static_cast<long long>(count));
  Buffer<T> out(n * cols);
  read_raw(name, type, out.data(), cols, first, n);
  return out;
}
template Buffer<double> File::read_column(const std::string&, size_t, size_t, size_t) const;
template Buffer<int64_t> File::read_column(const std::string&, size_t, size_t, size_t) const;
template Buffer<uint64_t> File::read_column(const std::string&, size_t, size_t, size_t) const;
template Buffer<uint8_t> File::read_column(const std::string&, size_t, size_t, size_t) const;

std::vector<std::string> File::read_str(const std::string& name, size_t first, long long count) const {
  const size_t n = resolve_count(name, first, count);
  std::vector<char*> ptrs(n, nullptr);
  Handle type = string_type();
  const Handle transfer = string_transfer(n);
  read_raw(name, type.id(), ptrs.data(), 1, first, n, transfer.id());
  std::vector<std::string> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (ptrs[i]) out[i] = ptrs[i];
    H5free_memory(ptrs[i]);
  }
  return out;
}

}  // namespace autoscale::scene::h5
