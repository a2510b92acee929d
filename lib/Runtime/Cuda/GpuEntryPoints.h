//===- GpuEntryPoints.h - What compiled CUDA code calls ---------*- C++ -*-===//
//
// The functions that MLIR's gpu-to-llvm lowering (LLVM/MLIR 22) and
// onebit's --globals-to-device pass make the generated host code call, with
// the C types of the LLVM declarations they emit:
//
//   declare ptr  @mgpuModuleLoad(ptr, i64)        ; global constructor
//   declare void @mgpuModuleUnload(ptr)           ; global destructor
//   declare ptr  @mgpuModuleGetFunction(ptr, ptr) ; before every launch
//   declare void @mgpuLaunchKernel(ptr, i64, i64, i64, i64, i64, i64, i32,
//                                  ptr, ptr, ptr, i64)
//   declare ptr  @mgpuStreamCreate()
//   declare void @mgpuStreamSynchronize(ptr)
//   declare void @mgpuStreamDestroy(ptr)
//   declare void @mgpuStreamWaitEvent(ptr, ptr)
//   declare ptr  @mgpuEventCreate()
//   declare void @mgpuEventRecord(ptr, ptr)
//   declare void @mgpuEventSynchronize(ptr)
//   declare void @mgpuEventDestroy(ptr)
//   declare ptr  @mgpuMemAlloc(i64, ptr, i8)      ; size, stream, host_shared
//   declare void @mgpuMemFree(ptr, ptr)
//   declare void @mgpuMemcpy(ptr, ptr, i64, ptr)
//   declare void @mgpuMemset32(ptr, i32, i64, ptr)
//   declare void @mgpuMemset16(ptr, i16, i64, ptr)
//
// They are defined (hidden) in the OnebitCudaRuntime archive, which
// onebit-compile links into a cuda model.so. Declared here for the tests.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_CUDA_GPUENTRYPOINTS_H
#define ONEBIT_LIB_RUNTIME_CUDA_GPUENTRYPOINTS_H

#include <cstddef>
#include <cstdint>

extern "C" {

/// Loads a kernel image (cubin, fatbin or NUL-terminated PTX); nullptr on
/// failure, which is then the fatal error.
void *mgpuModuleLoad(void *data, size_t gpuBlobSize);
/// Loads PTX text, JIT-compiling it at `optLevel` (0 to 4).
void *mgpuModuleLoadJIT(void *data, int optLevel, size_t assemblySize);
void mgpuModuleUnload(void *module);
/// A kernel of `module`, looked up once per (module, name) and cached.
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);

void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamWaitEvent(void *stream, void *event);

void *mgpuEventCreate();
void mgpuEventDestroy(void *event);
void mgpuEventSynchronize(void *event);
void mgpuEventRecord(void *event, void *stream);

void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream);
void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream);
void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream);

/// The device copy of a constant global (DeviceConstants.cpp).
void *onebit_cuda_constant(void **slot, const void *host, int64_t bytes);

} // extern "C"

#endif // ONEBIT_LIB_RUNTIME_CUDA_GPUENTRYPOINTS_H
