//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// The CUDA runtime of a model.so talks to the GPU through the driver API of
// libcuda.so.1, which it dlopens on first use (ONEBIT_CUDA_DRIVER names
// another file) instead of linking it: a cuda model.so must load, and report
// a readable error, on a machine without a GPU or driver, and onebit must
// build without the CUDA toolkit. So this header declares the few driver
// types and entry points we call itself, with the signatures of cuda.h (CUDA
// 12/13), and never includes cuda.h.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_CUDA_CUDADRIVER_H
#define ONEBIT_LIB_RUNTIME_CUDA_CUDADRIVER_H

#include <cstddef>

namespace onebit::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUjit_option = int;

// The enum values of cuda.h that we pass or test.
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr unsigned CU_MEM_ATTACH_GLOBAL = 0x1;
constexpr unsigned CU_STREAM_NON_BLOCKING = 0x1;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 0x2;
constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr CUjit_option CU_JIT_OPTIMIZATION_LEVEL = 7;

/// The oldest driver we accept: the kernels are PTX ISA 8.0 / CUDA 12 cubins.
constexpr int kMinimumDriverVersion = 12000;

/// The driver entry points we use, resolved by their exported names (the
/// `_v2` ones where cuda.h maps the API name onto one, as it does for
/// cuMemAlloc, cuMemFree, cuStreamDestroy, cuEventDestroy and
/// cuDevicePrimaryCtxRelease; the rest have no newer ABI we need).
struct DriverApi {
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDriverGetVersion)(int *);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice); // _v2
  CUresult (*cuCtxGetCurrent)(CUcontext *);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned,
                                 CUjit_option *, void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream); // _v2
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy)(CUevent); // _v2
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t); // _v2
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemFree)(CUdeviceptr); // _v2
  CUresult (*cuMemcpy)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
};

/// The driver, initialized on the first call (dlopen, cuInit, the device of
/// ONEBIT_CUDA_DEVICE or 0, its primary context retained), with that context
/// made current on the calling thread. nullptr when the GPU cannot be used:
/// the reason is then the fatal error (Errors.h).
const DriverApi *driver();

/// Like driver(), but only initializes (no context switch): for the target
/// check, which may run on a thread that never launches anything.
bool driverUsable();

/// The driver's version as a number like 12040, after a successful init.
int driverVersion();

/// The GPU's name ("NVIDIA H100 80GB HBM3"), or "the GPU".
const char *deviceName(char *buffer, size_t size);

/// "NAME: description" of a driver error code (NAME alone if the driver has
/// no text for it).
const char *describe(CUresult result, char *buffer, size_t size);

/// Releases the primary context; later calls of driver() return nullptr.
/// Called when the last kernel module of the model.so is unloaded.
void shutDownDriver();

} // namespace onebit::cuda

#endif // ONEBIT_LIB_RUNTIME_CUDA_CUDADRIVER_H
