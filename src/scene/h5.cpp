#include "autoscale/scene/h5.h"

#include <algorithm>
#include <cstring>

#include "autoscale/core/error.h"

namespace autoscale::scene::h5 {
namespace {

// HDF5 prints its error stack to stderr by default; we report our own one-line errors instead.
struct SilenceHdf5 {
  SilenceHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const SilenceHdf5 g_silence;

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

Handle link_create_plist() {
  hid_t p = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(p, 1);
  return Handle(p, H5Pclose);
}

}  // namespace

std::mutex& global_mutex() {
  static std::mutex m;
  return m;
}

File File::create(const std::string& path) {
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  AUTOSCALE_CHECK(id >= 0, "cannot create HDF5 file {}", quote(path));
  return File(Handle(id, H5Fclose), path);
}

File File::open(const std::string& path) {
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  AUTOSCALE_CHECK(is_hdf5 >= 0, "cannot open {}: file missing or unreadable", quote(path));
  AUTOSCALE_CHECK(is_hdf5 > 0, "{} is not an HDF5 file", quote(path));
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  AUTOSCALE_CHECK(id >= 0, "cannot open {}: truncated or damaged HDF5 file", quote(path));
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
    H5Pset_shuffle(dcpl.id());
    H5Pset_deflate(dcpl.id(), static_cast<unsigned>(std::min(compression, 9)));
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

void File::read_raw(const std::string& name, hid_t mem_type, void* out, size_t cols, size_t first, size_t count) const {
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
  AUTOSCALE_CHECK(H5Dread(d, mem_type, mem.id(), space.id(), H5P_DEFAULT, out) >= 0,
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
std::vector<std::string> File::read_str(const std::string& name, size_t first, long long count) const {
  const size_t n = resolve_count(name, first, count);
  std::vector<char*> ptrs(n, nullptr);
  Handle type = string_type();
  read_raw(name, type.id(), ptrs.data(), 1, first, n);
  std::vector<std::string> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (ptrs[i]) out[i] = ptrs[i];
    H5free_memory(ptrs[i]);
  }
  return out;
}

}  // namespace autoscale::scene::h5
