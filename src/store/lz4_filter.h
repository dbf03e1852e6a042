// HDF5's registered LZ4 filter (id 32004), implemented on liblz4 and registered in-process, so
// stores written with store.codec=lz4 need no plugin path. Internal to the store module.
#pragma once

#include <hdf5.h>

namespace autoscale::scene::h5 {

inline constexpr H5Z_filter_t kLz4FilterId = 32004;

// Registers the filter with HDF5 once per process (under h5::global_mutex(), as every HDF5 call).
void register_lz4_filter();

}  // namespace autoscale::scene::h5
