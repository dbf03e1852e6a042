# LibTorch: Debian's CPU-only 1.13 by default; a CUDA libtorch 2.x with AUTOSCALE_CUDA=ON.
# Only the encode/train/loop/cli modules link it; the rest of the project stays torch-free.
if(AUTOSCALE_CUDA)
  if(NOT Torch_DIR)   # ask the python3 on PATH (the one that has torch) where its libtorch is
    find_program(AUTOSCALE_TORCH_PYTHON NAMES python3 REQUIRED)
    execute_process(COMMAND "${AUTOSCALE_TORCH_PYTHON}" -c "import torch; print(torch.utils.cmake_prefix_path)"
                    OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
                    COMMAND_ERROR_IS_FATAL ANY)
    list(PREPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
  endif()
  enable_language(CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90)         # H100 / H200
  endif()
endif()

find_package(Torch REQUIRED)
if(AUTOSCALE_CUDA AND NOT TORCH_CUDA_LIBRARIES)
  message(FATAL_ERROR "AUTOSCALE_CUDA=ON but the libtorch at ${Torch_DIR} is CPU-only")
endif()
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR "pre-C++11-ABI libtorch at ${Torch_DIR}: cannot mix with Debian's C++ libraries")
endif()
if(NOT DEFINED CMAKE_CXX_STANDARD)
  if(Torch_VERSION VERSION_GREATER_EQUAL 2.12)   # torch headers #error below C++20 from 2.12 on
    set(CMAKE_CXX_STANDARD 20)
  else()
    set(CMAKE_CXX_STANDARD 17)
  endif()
endif()
if(AUTOSCALE_CUDA AND NOT DEFINED CMAKE_CUDA_STANDARD)
  set(CMAKE_CUDA_STANDARD ${CMAKE_CXX_STANDARD})
endif()
message(STATUS "autoscale: libtorch ${Torch_VERSION} (${Torch_DIR}), CUDA: ${AUTOSCALE_CUDA}, C++${CMAKE_CXX_STANDARD}")

# NCCL carries CUDA gradients GPU to GPU between data-parallel ranks (without it Gloo stages them
# through host memory). The wheel's libtorch_cuda has c10d's ProcessGroupNCCL; its header needs
# nccl.h (from the nvidia-nccl wheel beside torch, or the CUDA toolkit) and USE_C10D_NCCL.
option(AUTOSCALE_NCCL "With AUTOSCALE_CUDA: data-parallel CUDA tensors over NCCL" ON)
set(AUTOSCALE_WITH_NCCL OFF)
if(AUTOSCALE_CUDA AND AUTOSCALE_NCCL)
  set(_nccl_hints "$ENV{CUDA_HOME}/include" /usr/local/cuda/include)
  if(AUTOSCALE_TORCH_PYTHON)
    execute_process(COMMAND "${AUTOSCALE_TORCH_PYTHON}" -c
                            "import nvidia.nccl as m, os; print(os.path.join(list(m.__path__)[0], 'include'))"
                    OUTPUT_VARIABLE _nccl_wheel OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    list(PREPEND _nccl_hints "${_nccl_wheel}")
  endif()
  find_path(AUTOSCALE_NCCL_INCLUDE_DIR nccl.h HINTS ${_nccl_hints})
  # The header's inline helpers call NCCL itself: link it (the wheel ships only libnccl.so.2).
  list(TRANSFORM _nccl_hints REPLACE "include$" "lib" OUTPUT_VARIABLE _nccl_lib_hints)
  find_library(AUTOSCALE_NCCL_LIBRARY NAMES nccl libnccl.so.2 HINTS ${_nccl_lib_hints} /usr/local/cuda/lib64)
  if(AUTOSCALE_NCCL_INCLUDE_DIR AND AUTOSCALE_NCCL_LIBRARY)
    set(AUTOSCALE_WITH_NCCL ON)
  else()
    message(WARNING "autoscale: nccl.h or libnccl not found: data-parallel CUDA training stages tensors through Gloo "
                    "(set AUTOSCALE_NCCL_INCLUDE_DIR, or -DAUTOSCALE_NCCL=OFF to silence this)")
  endif()
endif()
message(STATUS "autoscale: NCCL: ${AUTOSCALE_WITH_NCCL}")
