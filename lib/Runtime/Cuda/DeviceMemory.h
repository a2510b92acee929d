//===- DeviceMemory.h - GPU allocations and their cache ---------*- C++ -*-===//
#ifndef ONEBIT_LIB_RUNTIME_CUDA_DEVICEMEMORY_H
#define ONEBIT_LIB_RUNTIME_CUDA_DEVICEMEMORY_H

#include "CudaDriver.h"

#include <cstdint>

namespace onebit::cuda {

/// `bytes` of managed memory (`managed`, readable by host code too) or of
/// device memory, from the cache when a block of exactly that size and kind
/// is free. Never nullptr for a successful call; 0 bytes gives a dummy
/// non-null pointer. When an error is recorded (or this allocation fails),
/// returns zeroed host memory instead, so that host code of the failing run
/// can go on reading its buffers without a crash (the run's result is
/// thrown away; only the error is reported).
void *allocate(uint64_t bytes, bool managed);

/// Gives a block from allocate() back (nullptr is fine). After the work
/// queued on `stream` has finished it goes back to the cache, or to the
/// driver when the cache is full.
void release(void *pointer, CUstream stream);

/// Gives back every block the calling thread allocated and still holds: its
/// run ended early, past the frees of the compiled code. The caller has
/// waited for the thread's streams (releaseThreadStreams).
void releaseThreadBlocks();

/// Managed memory outside the cache (device constants); 0 on failure, with
/// the error recorded.
CUdeviceptr allocateManagedUncached(uint64_t bytes);

/// Returns every cached block to the driver.
void releaseCachedBlocks();

/// The pointer allocate(0) returns: never dereferenced, never freed.
void *zeroSizeBlock();

} // namespace onebit::cuda

#endif // ONEBIT_LIB_RUNTIME_CUDA_DEVICEMEMORY_H
