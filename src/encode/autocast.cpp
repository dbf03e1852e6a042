#include "autoscale/encode/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

// LibTorch 2.4 made autocast per device type; 1.13 (Debian) has the GPU-only calls.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define AUTOSCALE_AUTOCAST_PER_DEVICE 1
#else
#define AUTOSCALE_AUTOCAST_PER_DEVICE 0
#endif

namespace autoscale::encode {

CudaAutocast::CudaAutocast(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
#if AUTOSCALE_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  at::autocast::set_enabled(true);
#endif
  at::autocast::increment_nesting();
}

CudaAutocast::~CudaAutocast() {
  if (!enabled_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if AUTOSCALE_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
  at::autocast::set_enabled(false);
#endif
}

}  // namespace autoscale::encode
