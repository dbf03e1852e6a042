# Every external library comes from Debian 12 packages (see third_party/README.md).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)   # BEFORE faiss: its exported target names OpenMP::OpenMP_CXX
find_package(faiss REQUIRED)                   # static, CPU only

# Debian's faiss target hard-codes /usr/lib/x86_64-linux-gnu/lib{blas,lapack}.so; in a relocated
# prefix (the GPU machine's unpacked .debs) they do not exist, so point them at OpenBLAS.
get_target_property(_faiss_libs faiss INTERFACE_LINK_LIBRARIES)
set(_faiss_fixed "")
foreach(_l IN LISTS _faiss_libs)
  if(_l MATCHES "^/.*lib(blas|lapack)\\.so$" AND NOT EXISTS "${_l}")
    find_library(AUTOSCALE_BLAS_LIBRARY NAMES openblas libopenblas.so.0 blas libblas.so.3
                 PATH_SUFFIXES openblas-pthread openblas-openmp REQUIRED)
    set(_l "${AUTOSCALE_BLAS_LIBRARY}")
  endif()
  list(APPEND _faiss_fixed "${_l}")
endforeach()
set_target_properties(faiss PROPERTIES INTERFACE_LINK_LIBRARIES "${_faiss_fixed}")

find_package(yaml-cpp REQUIRED)                # -> yaml-cpp
find_package(spdlog REQUIRED)                  # -> spdlog::spdlog (compiled) + fmt::fmt
find_package(CLI11 REQUIRED)                   # -> CLI11::CLI11
find_package(Eigen3 3.3 REQUIRED NO_MODULE)    # -> Eigen3::Eigen
find_package(pugixml REQUIRED)                 # -> pugixml::pugixml (CommonRoad XML)
find_package(ZLIB REQUIRED)                    # -> ZLIB::ZLIB (gzipped SUMO FCD output)
find_package(nlohmann_json 3 REQUIRED)         # -> nlohmann_json::nlohmann_json (case files, provenance)

# GEOS (C API): robust polygon union for drivable areas. It is the engine under Shapely, so
# geometry built with it follows the semantics the NAVSIM devkit relies on.
find_path(AUTOSCALE_GEOS_INCLUDE geos_c.h REQUIRED)
find_library(AUTOSCALE_GEOS_C_LIBRARY NAMES geos_c REQUIRED)
add_library(autoscale_geos INTERFACE)
target_include_directories(autoscale_geos SYSTEM INTERFACE "${AUTOSCALE_GEOS_INCLUDE}")
target_link_libraries(autoscale_geos INTERFACE "${AUTOSCALE_GEOS_C_LIBRARY}")

# LZ4: the store's fast codec (store.codec=lz4, HDF5's registered filter 32004), registered
# in-process so that no HDF5 plugin path is needed.
find_path(AUTOSCALE_LZ4_INCLUDE lz4.h REQUIRED)
if(AUTOSCALE_HDF5_STATIC)  # the offline prefix links its libraries statically (no runtime path to it)
  find_library(AUTOSCALE_LZ4_LIBRARY NAMES liblz4.a lz4 REQUIRED)
else()
  find_library(AUTOSCALE_LZ4_LIBRARY NAMES lz4 REQUIRED)
endif()
add_library(autoscale_lz4 INTERFACE)
target_include_directories(autoscale_lz4 SYSTEM INTERFACE "${AUTOSCALE_LZ4_INCLUDE}")
target_link_libraries(autoscale_lz4 INTERFACE "${AUTOSCALE_LZ4_LIBRARY}")

add_library(autoscale_hdf5 INTERFACE)
if(AUTOSCALE_HDF5_STATIC)
  find_path(AUTOSCALE_HDF5_INCLUDE hdf5.h PATH_SUFFIXES hdf5/serial REQUIRED)
  find_library(AUTOSCALE_HDF5_C_A NAMES libhdf5_serial.a libhdf5.a PATH_SUFFIXES hdf5/serial REQUIRED)
  find_library(AUTOSCALE_SZ_A  NAMES libsz.a  REQUIRED)
  find_library(AUTOSCALE_AEC_A NAMES libaec.a REQUIRED)
  find_library(AUTOSCALE_Z     NAMES libz.a z REQUIRED)
  target_include_directories(autoscale_hdf5 SYSTEM INTERFACE "${AUTOSCALE_HDF5_INCLUDE}")
  target_link_libraries(autoscale_hdf5 INTERFACE "${AUTOSCALE_HDF5_C_A}" "${AUTOSCALE_SZ_A}"
                        "${AUTOSCALE_AEC_A}" "${AUTOSCALE_Z}" ${CMAKE_DL_LIBS} m)
else()
  find_package(HDF5 REQUIRED COMPONENTS C)     # the store uses the C API
  target_link_libraries(autoscale_hdf5 INTERFACE hdf5::hdf5)
endif()

if(AUTOSCALE_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
