//===- FakeCudaDriver.cpp - A libcuda.so.1 that cannot run anything -------===//
//
// Exports every driver entry point the CUDA runtime resolves, so that the
// tests can point ONEBIT_CUDA_DRIVER at it and see the errors of machines
// they do not run on. ONEBIT_FAKE_CUDA picks the machine:
//
//   old    a CUDA 11.8 driver
//   nogpu  a CUDA 12.4 driver on a machine without a GPU (cuInit fails
//          with CUDA_ERROR_NO_DEVICE)
//
//===----------------------------------------------------------------------===//
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kNoDevice = 100;
constexpr int kNotSupported = 801;

bool mode(const char *name) {
  const char *value = std::getenv("ONEBIT_FAKE_CUDA");
  return value && std::strcmp(value, name) == 0;
}

} // namespace

extern "C" {

int cuGetErrorName(int error, const char **name) {
  *name =
      error == kNoDevice ? "CUDA_ERROR_NO_DEVICE" : "CUDA_ERROR_NOT_SUPPORTED";
  return 0;
}

int cuGetErrorString(int error, const char **text) {
  *text = error == kNoDevice ? "no CUDA-capable device is detected"
                             : "operation not supported";
  return 0;
}

int cuDriverGetVersion(int *version) {
  *version = mode("old") ? 11080 : 12040;
  return 0;
}

int cuInit(unsigned) { return mode("nogpu") ? kNoDevice : kNotSupported; }

// Never reached while cuInit fails; present so that the runtime resolves
// every symbol it needs.
#define FAKE(name)                                                             \
  int name() { return kNotSupported; }
FAKE(cuDeviceGetCount)
FAKE(cuDeviceGet)
FAKE(cuDeviceGetName)
FAKE(cuDevicePrimaryCtxRetain)
FAKE(cuDevicePrimaryCtxRelease_v2)
FAKE(cuCtxGetCurrent)
FAKE(cuCtxSetCurrent)
FAKE(cuModuleLoadData)
FAKE(cuModuleLoadDataEx)
FAKE(cuModuleUnload)
FAKE(cuModuleGetFunction)
FAKE(cuFuncSetAttribute)
FAKE(cuLaunchKernel)
FAKE(cuStreamCreate)
FAKE(cuStreamDestroy_v2)
FAKE(cuStreamSynchronize)
FAKE(cuStreamWaitEvent)
FAKE(cuEventCreate)
FAKE(cuEventDestroy_v2)
FAKE(cuEventRecord)
FAKE(cuEventSynchronize)
FAKE(cuEventElapsedTime)
FAKE(cuMemAlloc_v2)
FAKE(cuMemAllocManaged)
FAKE(cuMemFree_v2)
FAKE(cuMemcpy)
FAKE(cuMemcpyAsync)
FAKE(cuMemsetD32Async)
FAKE(cuMemsetD16Async)
#undef FAKE

} // extern "C"
