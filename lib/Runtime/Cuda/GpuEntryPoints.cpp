//===- GpuEntryPoints.cpp - Launches, streams, events, memory -------------===//
//
// The mgpu* functions of GpuEntryPoints.h other than the module ones
// (GpuModules.cpp). Each one is a no-op while an error is pending
// (Errors.h), and otherwise records any driver failure instead of returning
// it: the generated code has no way to look at a result.
//
//===----------------------------------------------------------------------===//
#include "GpuEntryPoints.h"
#include "DeviceMemory.h"
#include "Errors.h"
#include "GpuModules.h"
#include "KernelProfile.h"
#include "StreamPool.h"

#include <climits>

using namespace onebit::cuda;

namespace {

CUstream asStream(void *stream) { return static_cast<CUstream>(stream); }
CUevent asEvent(void *event) { return static_cast<CUevent>(event); }
CUdeviceptr asDevicePointer(void *pointer) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(pointer));
}

/// The driver, or nullptr when the work must be skipped.
const DriverApi *driverForWork() { return hasError() ? nullptr : driver(); }

/// After an operation on the legacy default stream (the null stream the
/// generated code passes for synchronous operations): wait for it, so that
/// "synchronous" means what it says.
CUresult finishIfSynchronous(const DriverApi &api, CUresult result,
                             void *stream) {
  if (result == CUDA_SUCCESS && !stream)
    result = api.cuStreamSynchronize(nullptr);
  return result;
}

bool validDimension(intptr_t size) { return size >= 1 && size <= UINT_MAX; }

/// A memset of `count` elements at `dst`: nothing to do for none, an error
/// for a null pointer, else `enqueue(api)` (the driver call `driverCall`).
template <typename Enqueue>
void fillElements(const char *entry, const char *driverCall, void *dst,
                  size_t count, void *stream, Enqueue enqueue) {
  if (count == 0)
    return;
  const DriverApi *api = driverForWork();
  if (!api)
    return;
  if (!dst) {
    recordError("%s of %zu elements at a null pointer", entry, count);
    return;
  }
  if (CUresult failure =
          finishIfSynchronous(*api, enqueue(*api), stream))
    recordDriverError(driverCall, failure);
}

} // namespace

extern "C" {

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  if (hasError())
    return;
  auto *kernel = static_cast<LoadedFunction *>(function);
  if (!kernel) {
    recordError("a kernel launch got no kernel (its module was not loaded)");
    return;
  }
  if (!validDimension(gridX) || !validDimension(gridY) ||
      !validDimension(gridZ) || !validDimension(blockX) ||
      !validDimension(blockY) || !validDimension(blockZ) || smem < 0) {
    recordError("kernel '%s' launched with grid %ld x %ld x %ld, block %ld x "
                "%ld x %ld and %d bytes of shared memory: sizes must be from "
                "1 to %u, shared memory >= 0",
                kernel->name.c_str(), long(gridX), long(gridY), long(gridZ),
                long(blockX), long(blockY), long(blockZ), int(smem), UINT_MAX);
    return;
  }
  const DriverApi *api = driver();
  if (!api)
    return;
  // Above 48 KiB of dynamic shared memory a kernel must opt in first.
  if (smem > kernel->sharedBytesAllowed.load(std::memory_order_relaxed)) {
    if (CUresult result = api->cuFuncSetAttribute(
            kernel->function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
            smem)) {
      char description[512];
      recordError("kernel '%s' cannot have %d bytes of shared memory: %s",
                  kernel->name.c_str(), int(smem),
                  describe(result, description, sizeof(description)));
      return;
    }
    kernel->sharedBytesAllowed.store(smem, std::memory_order_relaxed);
  }
  struct Launch {
    const DriverApi *api;
    LoadedFunction *kernel;
    unsigned grid[3], block[3], smem;
    CUstream stream;
    void **params, **extra;
  } launch = {api,
              kernel,
              {unsigned(gridX), unsigned(gridY), unsigned(gridZ)},
              {unsigned(blockX), unsigned(blockY), unsigned(blockZ)},
              unsigned(smem),
              asStream(stream),
              params,
              extra};
  auto enqueue = [](void *context) {
    auto *l = static_cast<Launch *>(context);
    return l->api->cuLaunchKernel(l->kernel->function, l->grid[0], l->grid[1],
                                  l->grid[2], l->block[0], l->block[1],
                                  l->block[2], l->smem, l->stream, l->params,
                                  l->extra);
  };
  CUresult result =
      kernelProfileEnabled()
          ? profileLaunch(*api, launch.stream, kernel->name, enqueue, &launch)
          : enqueue(&launch);
  if (result != CUDA_SUCCESS) {
    char description[512];
    recordError("CUDA error launching kernel '%s' (grid %ld x %ld x %ld, "
                "block %ld x %ld x %ld, %d bytes of shared memory): %s",
                kernel->name.c_str(), long(gridX), long(gridY), long(gridZ),
                long(blockX), long(blockY), long(blockZ), int(smem),
                describe(result, description, sizeof(description)));
  }
}

//===-- Streams and events ------------------------------------------------===//

void *mgpuStreamCreate() {
  const DriverApi *api = driverForWork();
  return api ? acquireStream(*api) : nullptr;
}

void mgpuStreamDestroy(void *stream) {
  // Even after an error: the stream is ours to recycle either way.
  releaseStream(asStream(stream));
}

void mgpuStreamSynchronize(void *stream) {
  const DriverApi *api = driverForWork();
  if (!api)
    return;
  // Kernel faults surface here, at the first synchronization after them.
  if (CUresult result = api->cuStreamSynchronize(asStream(stream)))
    recordDriverError("cuStreamSynchronize", result);
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  const DriverApi *api = driverForWork();
  if (!api || !event)
    return;
  if (CUresult result =
          api->cuStreamWaitEvent(asStream(stream), asEvent(event), 0))
    recordDriverError("cuStreamWaitEvent", result);
}

void *mgpuEventCreate() {
  const DriverApi *api = driverForWork();
  if (!api)
    return nullptr;
  CUevent event = nullptr;
  if (CUresult result = api->cuEventCreate(&event, CU_EVENT_DISABLE_TIMING)) {
    recordDriverError("cuEventCreate", result);
    return nullptr;
  }
  return event;
}

void mgpuEventDestroy(void *event) {
  if (!event)
    return;
  if (const DriverApi *api = driver())
    api->cuEventDestroy(asEvent(event));
}

void mgpuEventSynchronize(void *event) {
  const DriverApi *api = driverForWork();
  if (!api || !event)
    return;
  if (CUresult result = api->cuEventSynchronize(asEvent(event)))
    recordDriverError("cuEventSynchronize", result);
}

void mgpuEventRecord(void *event, void *stream) {
  const DriverApi *api = driverForWork();
  if (!api || !event)
    return;
  if (CUresult result = api->cuEventRecord(asEvent(event), asStream(stream)))
    recordDriverError("cuEventRecord", result);
}

//===-- Memory ------------------------------------------------------------===//

void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/, bool isHostShared) {
  // Blocks in the cache are idle (release waited for their stream), so
  // the stream an allocation is ordered on does not matter.
  return allocate(sizeBytes, isHostShared);
}

void mgpuMemFree(void *ptr, void *stream) { release(ptr, asStream(stream)); }

void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream) {
  if (sizeBytes == 0)
    return;
  const DriverApi *api = driverForWork();
  if (!api)
    return;
  if (!dst || !src) {
    recordError("mgpuMemcpy of %zu bytes from %p to %p", sizeBytes, src, dst);
    return;
  }
  CUresult result = api->cuMemcpyAsync(
      asDevicePointer(dst), asDevicePointer(src), sizeBytes, asStream(stream));
  if (CUresult failure = finishIfSynchronous(*api, result, stream))
    recordDriverError("cuMemcpyAsync", failure);
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  fillElements("mgpuMemset32", "cuMemsetD32Async", dst, count, stream,
               [&](const DriverApi &api) {
                 return api.cuMemsetD32Async(asDevicePointer(dst), value,
                                             count, asStream(stream));
               });
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  fillElements("mgpuMemset16", "cuMemsetD16Async", dst, count, stream,
               [&](const DriverApi &api) {
                 return api.cuMemsetD16Async(asDevicePointer(dst), value,
                                             count, asStream(stream));
               });
}

} // extern "C"
