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
