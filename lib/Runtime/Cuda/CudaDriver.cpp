//===- CudaDriver.cpp - dlopen libcuda.so.1, pick the device, set context -===//
#include "CudaDriver.h"
#include "Errors.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace onebit::cuda {
namespace {

// Every object here is trivially destructible on purpose: mgpuModuleUnload
// runs from a global destructor, and must never find this state destroyed.
struct DriverState {
  DriverApi api;
  CUdevice device;
  CUcontext context;
  int version;
  std::atomic<bool> ready;
};
DriverState state;
std::once_flag initOnce;

/// "this model runs on CUDA, but ..." is how every fatal error starts: it is
/// what a user of a CPU-only machine sees first.
#define CUDA_BUT "this model runs on CUDA, but "

bool resolveSymbols(void *library, const char *path) {
  struct Entry {
    const char *name;
    void **slot;
  };
  DriverApi &api = state.api;
  const Entry entries[] = {
#define ENTRY(field, symbol) {symbol, reinterpret_cast<void **>(&api.field)}
      ENTRY(cuGetErrorName, "cuGetErrorName"),
      ENTRY(cuGetErrorString, "cuGetErrorString"),
      ENTRY(cuInit, "cuInit"),
      ENTRY(cuDriverGetVersion, "cuDriverGetVersion"),
      ENTRY(cuDeviceGetCount, "cuDeviceGetCount"),
      ENTRY(cuDeviceGet, "cuDeviceGet"),
      ENTRY(cuDeviceGetName, "cuDeviceGetName"),
      ENTRY(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
      ENTRY(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"),
      ENTRY(cuCtxGetCurrent, "cuCtxGetCurrent"),
      ENTRY(cuCtxSetCurrent, "cuCtxSetCurrent"),
      ENTRY(cuModuleLoadData, "cuModuleLoadData"),
      ENTRY(cuModuleLoadDataEx, "cuModuleLoadDataEx"),
      ENTRY(cuModuleUnload, "cuModuleUnload"),
      ENTRY(cuModuleGetFunction, "cuModuleGetFunction"),
      ENTRY(cuFuncSetAttribute, "cuFuncSetAttribute"),
      ENTRY(cuLaunchKernel, "cuLaunchKernel"),
      ENTRY(cuStreamCreate, "cuStreamCreate"),
      ENTRY(cuStreamDestroy, "cuStreamDestroy_v2"),
      ENTRY(cuStreamSynchronize, "cuStreamSynchronize"),
      ENTRY(cuStreamWaitEvent, "cuStreamWaitEvent"),
      ENTRY(cuEventCreate, "cuEventCreate"),
      ENTRY(cuEventDestroy, "cuEventDestroy_v2"),
      ENTRY(cuEventRecord, "cuEventRecord"),
      ENTRY(cuEventSynchronize, "cuEventSynchronize"),
      ENTRY(cuEventElapsedTime, "cuEventElapsedTime"),
      ENTRY(cuMemAlloc, "cuMemAlloc_v2"),
      ENTRY(cuMemAllocManaged, "cuMemAllocManaged"),
      ENTRY(cuMemFree, "cuMemFree_v2"),
      ENTRY(cuMemcpy, "cuMemcpy"),
      ENTRY(cuMemcpyAsync, "cuMemcpyAsync"),
      ENTRY(cuMemsetD32Async, "cuMemsetD32Async"),
      ENTRY(cuMemsetD16Async, "cuMemsetD16Async"),
#undef ENTRY
  };
  for (const Entry &entry : entries) {
    *entry.slot = dlsym(library, entry.name);
    if (!*entry.slot) {
      setFatalError(CUDA_BUT "the CUDA driver %s has no %s: it is too old "
                             "(onebit needs CUDA 12.0 or newer)",
                    path, entry.name);
      return false;
    }
  }
  return true;
}

/// The device ONEBIT_CUDA_DEVICE names, else 0; -1 (and a fatal error) when
/// the variable is not a number of an existing device.
int chooseDevice(int count) {
  const char *text = std::getenv("ONEBIT_CUDA_DEVICE");
  if (!text || !*text)
    return 0;
  char *end = nullptr;
  long ordinal = std::strtol(text, &end, 10);
  if (*end || ordinal < 0 || ordinal >= count) {
    setFatalError("ONEBIT_CUDA_DEVICE is '%s', but this machine has %d CUDA "
                  "GPU%s: it must be a number from 0 to %d",
                  text, count, count == 1 ? "" : "s", count - 1);
    return -1;
  }
  return static_cast<int>(ordinal);
}

void initialize() {
  const char *path = std::getenv("ONEBIT_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  // Never dlclose'd: the driver does not support being unloaded, and other
  // models in the process may use it too.
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *reason = dlerror();
    if (!reason)
      reason = "unknown reason";
    // dlerror says "<path>: <why>"; the path is in our text already.
    size_t pathLength = std::strlen(path);
    if (!std::strncmp(reason, path, pathLength) &&
        !std::strncmp(reason + pathLength, ": ", 2))
      reason += pathLength + 2;
    setFatalError(CUDA_BUT "%s cannot be loaded: %s (is the NVIDIA driver "
                           "installed?)",
                  path, reason);
    return;
  }
  if (!resolveSymbols(library, path))
    return;
  const DriverApi &api = state.api;
  char description[512];

  int version = 0;
  if (CUresult result = api.cuDriverGetVersion(&version)) {
    setFatalError(CUDA_BUT "the CUDA driver's version cannot be read: %s",
                  describe(result, description, sizeof(description)));
    return;
  }
  if (version < kMinimumDriverVersion) {
    setFatalError(CUDA_BUT "the CUDA driver is version %d.%d; onebit needs "
                           "12.0 or newer",
                  version / 1000, version % 1000 / 10);
    return;
  }
  state.version = version;

  if (CUresult result = api.cuInit(0)) {
    // CUDA_ERROR_NO_DEVICE (100) is the usual one: a driver but no GPU.
    if (result == 100)
      setFatalError(CUDA_BUT "no CUDA GPU was found (cuInit: %s)",
                    describe(result, description, sizeof(description)));
    else
      setFatalError(CUDA_BUT "the CUDA driver failed to initialize: %s",
                    describe(result, description, sizeof(description)));
    return;
  }
  int count = 0;
  if (CUresult result = api.cuDeviceGetCount(&count)) {
    setFatalError(CUDA_BUT "the CUDA GPUs cannot be counted: %s",
                  describe(result, description, sizeof(description)));
    return;
  }
  if (count <= 0) {
    setFatalError(CUDA_BUT "no CUDA GPU was found");
    return;
  }
  int ordinal = chooseDevice(count);
  if (ordinal < 0)
    return;
  if (CUresult result = api.cuDeviceGet(&state.device, ordinal)) {
    setFatalError(CUDA_BUT "CUDA GPU %d cannot be opened: %s", ordinal,
                  describe(result, description, sizeof(description)));
    return;
  }
  // The primary context is the one the CUDA runtime API (and so PyTorch and
  // friends) uses too: sharing it keeps one context per GPU per process.
  if (CUresult result =
          api.cuDevicePrimaryCtxRetain(&state.context, state.device)) {
    setFatalError(CUDA_BUT "no context can be created on CUDA GPU %d: %s",
                  ordinal, describe(result, description, sizeof(description)));
    return;
  }
  state.ready.store(true, std::memory_order_release);
}

} // namespace

bool driverUsable() {
  std::call_once(initOnce, initialize);
  return state.ready.load(std::memory_order_acquire);
}

const DriverApi *driver() {
  if (!driverUsable())
    return nullptr;
  // Every thread has its own current context, and the application may have
  // switched it since our last call: check (cheap) rather than assume.
  const DriverApi &api = state.api;
  CUcontext current = nullptr;
  if (api.cuCtxGetCurrent(&current) != CUDA_SUCCESS ||
      current != state.context) {
    if (CUresult result = api.cuCtxSetCurrent(state.context)) {
      recordDriverError("cuCtxSetCurrent", result);
      return nullptr;
    }
  }
  return &api;
}

int driverVersion() { return state.version; }

const char *deviceName(char *buffer, size_t size) {
  if (!state.ready.load(std::memory_order_acquire) ||
      state.api.cuDeviceGetName(buffer, static_cast<int>(size), state.device) !=
          CUDA_SUCCESS)
    std::snprintf(buffer, size, "the GPU");
  return buffer;
}

const char *describe(CUresult result, char *buffer, size_t size) {
  const char *name = nullptr;
  const char *text = nullptr;
  if (state.api.cuGetErrorName)
    state.api.cuGetErrorName(result, &name);
  if (state.api.cuGetErrorString)
    state.api.cuGetErrorString(result, &text);
  if (name && text)
    std::snprintf(buffer, size, "%s: %s", name, text);
  else if (name)
    std::snprintf(buffer, size, "%s", name);
  else
    std::snprintf(buffer, size, "CUDA error %d", result);
  return buffer;
}

void shutDownDriver() {
  if (!state.ready.exchange(false, std::memory_order_acq_rel))
    return;
  setFatalError("the CUDA runtime of this model has been shut down (the "
                "model is being unloaded)");
  // At process exit the driver may have torn itself down already: then this
  // returns an error, which there is nobody left to tell.
  state.api.cuDevicePrimaryCtxRelease(state.device);
}

} // namespace onebit::cuda
