//===- GpuModules.h - Loaded kernel modules and their kernels ---*- C++ -*-===//
#ifndef ONEBIT_LIB_RUNTIME_CUDA_GPUMODULES_H
#define ONEBIT_LIB_RUNTIME_CUDA_GPUMODULES_H

#include "CudaDriver.h"

#include <atomic>
#include <cstdint>
#include <string>

namespace onebit::cuda {

/// What mgpuModuleGetFunction returns and mgpuLaunchKernel takes.
struct LoadedFunction {
  CUfunction function = nullptr;
  std::string name;
  /// The dynamic shared memory the kernel may use without asking the driver
  /// (48 KiB); raised by cuFuncSetAttribute for larger launches.
  std::atomic<int32_t> sharedBytesAllowed{48 * 1024};
};

} // namespace onebit::cuda

#endif // ONEBIT_LIB_RUNTIME_CUDA_GPUMODULES_H
