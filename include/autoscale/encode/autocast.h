// bf16 autocast on CUDA for a scope, across the LibTorch 1.13 and 2.x APIs. A no-op unless
// enabled, so CPU runs stay fp32 and bit-reproducible. Torch-free: the ATen calls are in
// src/encode/autocast.cpp.
#pragma once

namespace autoscale::encode {

class CudaAutocast {
 public:
  explicit CudaAutocast(bool enabled);
  ~CudaAutocast();
  CudaAutocast(const CudaAutocast&) = delete;
  CudaAutocast& operator=(const CudaAutocast&) = delete;

 private:
  bool enabled_;
};

}  // namespace autoscale::encode
