// Sub-seeds: every random choice of a run derives from the run's seed and where it is made
// (method, iteration, cluster; training step and batch slot), so one seed reproduces the whole
// run and the parts differ. Header-only and torch-free: every module may use it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

namespace autoscale {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A double in [0, 1) from the top 53 bits of a hash.
inline double unit_interval(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

inline uint64_t derive_seed(uint64_t seed, const std::string& tag, std::initializer_list<uint64_t> parts = {}) {
  uint64_t h = splitmix64(seed);
  for (unsigned char c : tag) h = splitmix64(h ^ c);
  for (uint64_t p : parts) h = splitmix64(h ^ p);
  return h;
}

}  // namespace autoscale
