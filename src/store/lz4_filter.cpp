#include "lz4_filter.h"

#include <lz4.h>

#include <cstdint>
#include <cstring>
#include <mutex>

#include "autoscale/core/error.h"

namespace autoscale::scene::h5 {
namespace {

// The byte layout of the registered filter (the one h5py's hdf5plugin.LZ4 and the
// hdf5-filter-plugin package read and write): the uncompressed size (8 bytes, big-endian), the
// block size (4 bytes, big-endian), then per block its stored size (4 bytes, big-endian) and its
// bytes, LZ4-compressed, or as they are when compression would not make them smaller (the stored
// size then equals the block size).
constexpr size_t kHeader = 12;
constexpr uint64_t kDefaultBlock = 1u << 30;  // one block per chunk: our chunks are ~256 KiB
constexpr uint64_t kMaxChunk = 1ull << 31;    // larger than any chunk we write: a damaged header

uint64_t load_be(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}
void store_be(uint8_t* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v & 0xff);
}

// Returns the output size, 0 on failure (HDF5 then fails the read or write with its own error,
// which the store reports naming the file and dataset).
size_t decompress(size_t nbytes, size_t* buf_size, void** buf) {
  const auto* in = static_cast<const uint8_t*>(*buf);
  if (nbytes < kHeader) return 0;
  const uint64_t total = load_be(in, 8);
  uint64_t block = load_be(in + 8, 4);
  if (total > kMaxChunk || (total > 0 && block == 0)) return 0;
  if (block > total) block = total;
  auto* out = static_cast<uint8_t*>(H5allocate_memory(total > 0 ? total : 1, false));
  if (!out) return 0;
  size_t pos = kHeader;
  uint64_t done = 0;
  while (done < total) {
    const uint64_t want = std::min(block, total - done);
    if (pos + 4 > nbytes) break;
    const uint64_t stored = load_be(in + pos, 4);
    pos += 4;
    if (stored > nbytes - pos) break;
    if (stored == want) {
      std::memcpy(out + done, in + pos, want);
    } else if (LZ4_decompress_safe(reinterpret_cast<const char*>(in + pos), reinterpret_cast<char*>(out + done),
                                   static_cast<int>(stored), static_cast<int>(want)) != static_cast<int>(want)) {
      break;
    }
    pos += stored;
    done += want;
  }
  if (done != total) {
    H5free_memory(out);
    return 0;
  }
  H5free_memory(*buf);
  *buf = out;
  *buf_size = total;
  return total;
}

size_t compress(size_t cd_nelmts, const unsigned cd_values[], size_t nbytes, size_t* buf_size, void** buf) {
  if (nbytes > kMaxChunk) return 0;
  uint64_t block = cd_nelmts > 0 && cd_values[0] > 0 ? cd_values[0] : kDefaultBlock;
  if (block > nbytes) block = nbytes;
  const size_t blocks = block == 0 ? 0 : (nbytes + block - 1) / block;
  const size_t bound = kHeader + blocks * (4 + static_cast<size_t>(LZ4_compressBound(static_cast<int>(block))));
  auto* out = static_cast<uint8_t*>(H5allocate_memory(bound, false));
  if (!out) return 0;
  const auto* in = static_cast<const uint8_t*>(*buf);
  store_be(out, nbytes, 8);
  store_be(out + 8, block, 4);
  size_t pos = kHeader;
  for (size_t done = 0; done < nbytes; done += block) {
    const int want = static_cast<int>(std::min<uint64_t>(block, nbytes - done));
    const int packed = LZ4_compress_default(reinterpret_cast<const char*>(in + done),
                                            reinterpret_cast<char*>(out + pos + 4), want,
                                            LZ4_compressBound(want));
    if (packed <= 0 || packed >= want) {  // no gain: stored as it is
      std::memcpy(out + pos + 4, in + done, static_cast<size_t>(want));
      store_be(out + pos, static_cast<uint64_t>(want), 4);
      pos += 4 + static_cast<size_t>(want);
    } else {
      store_be(out + pos, static_cast<uint64_t>(packed), 4);
      pos += 4 + static_cast<size_t>(packed);
    }
  }
  H5free_memory(*buf);
  *buf = out;
  *buf_size = bound;
  return pos;
}

size_t lz4_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes, size_t* buf_size,
                  void** buf) {
  return (flags & H5Z_FLAG_REVERSE) ? decompress(nbytes, buf_size, buf)
                                    : compress(cd_nelmts, cd_values, nbytes, buf_size, buf);
}

}  // namespace

void register_lz4_filter() {
  static std::once_flag once;
  std::call_once(once, [] {
    static const H5Z_class2_t kClass = {H5Z_CLASS_T_VERS, kLz4FilterId, 1, 1, "lz4", nullptr, nullptr, lz4_filter};
    AUTOSCALE_CHECK(H5Zregister(&kClass) >= 0, "cannot register the LZ4 filter with HDF5");
  });
}

}  // namespace autoscale::scene::h5
