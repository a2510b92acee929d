//===- DeviceConstants.cpp - Weights copied to the GPU once ---------------===//
//
// A model's weights are constant globals of model.so, in host memory that
// kernels cannot read. The compiler (--globals-to-device) turns each use of
// one in host code into
//
//   void *onebit_cuda_constant(void **slot, const void *host, int64_t bytes)
//
// with `slot` a pointer variable of its own per global, null at first. The
// first call copies the global into managed memory (kernels read it on the
// GPU; host code may read it too) and publishes the copy in *slot; every
// later call, on any thread, is one acquire load.
//
//===----------------------------------------------------------------------===//
#include "DeviceConstants.h"
#include "DeviceMemory.h"
#include "Errors.h"
#include "GpuEntryPoints.h"

#include <mutex>
#include <vector>

namespace onebit::cuda {
namespace {

struct Constant {
  void **slot;
  CUdeviceptr copy;
};

struct Constants {
  std::mutex mutex;
  std::vector<Constant> copies;
};

/// Never destroyed (see Allocator in DeviceMemory.cpp).
Constants &constants() {
  static Constants *instance = new Constants;
  return *instance;
}

void *toPointer(CUdeviceptr pointer) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(pointer));
}

} // namespace

void freeDeviceConstants() {
  Constants &state = constants();
  std::vector<Constant> copies;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    copies.swap(state.copies);
  }
  const DriverApi *api = driver();
  for (const Constant &constant : copies) {
    __atomic_store_n(constant.slot, nullptr, __ATOMIC_RELEASE);
    if (api)
      api->cuMemFree(constant.copy);
  }
}

} // namespace onebit::cuda

using namespace onebit::cuda;

/// When the copy cannot be made (an error is recorded, or the GPU is out of
/// memory), returns `host` itself: no kernel runs until the error has been
/// reported, and host code of the failing run can still read the constant.
/// Nothing is stored in *slot then, so the next run tries again.
extern "C" void *onebit_cuda_constant(void **slot, const void *host,
                                      int64_t bytes) {
  if (slot)
    if (void *copy = __atomic_load_n(slot, __ATOMIC_ACQUIRE))
      return copy;
  void *fallback = const_cast<void *>(host);
  if (!slot || bytes < 0 || (bytes > 0 && !host)) {
    recordError("onebit_cuda_constant: bad arguments (slot %p, host %p, "
                "%lld bytes)",
                static_cast<void *>(slot), host, static_cast<long long>(bytes));
    return fallback;
  }
  if (bytes == 0)
    return zeroSizeBlock(); // Never read; not worth a slot.
  if (hasError())
    return fallback;

  Constants &state = constants();
  std::lock_guard<std::mutex> lock(state.mutex);
  // Another thread may have made the copy while this one waited.
  if (void *copy = __atomic_load_n(slot, __ATOMIC_ACQUIRE))
    return copy;
  const DriverApi *api = driver();
  if (!api)
    return fallback;
  CUdeviceptr copy = allocateManagedUncached(static_cast<uint64_t>(bytes));
  if (!copy)
    return fallback;
  // cuMemcpy from pageable memory may return before the data has reached
  // the GPU, and kernels on our non-blocking streams are not ordered after
  // the legacy stream it uses: wait for it before publishing the copy.
  CUresult result = api->cuMemcpy(
      copy, static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(host)),
      static_cast<size_t>(bytes));
  if (result == CUDA_SUCCESS)
    result = api->cuStreamSynchronize(nullptr);
  if (result != CUDA_SUCCESS) {
    recordDriverError("cuMemcpy (copying a constant to the GPU)", result);
    api->cuMemFree(copy);
    return fallback;
  }
  state.copies.push_back({slot, copy});
  __atomic_store_n(slot, toPointer(copy), __ATOMIC_RELEASE);
  return toPointer(copy);
}
