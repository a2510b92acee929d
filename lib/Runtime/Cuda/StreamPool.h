//===- StreamPool.h - Streams reused across launches ------------*- C++ -*-===//
#ifndef ONEBIT_LIB_RUNTIME_CUDA_STREAMPOOL_H
#define ONEBIT_LIB_RUNTIME_CUDA_STREAMPOOL_H

#include "CudaDriver.h"

namespace onebit::cuda {

/// A stream no one else holds: an idle one from the pool, else a new one.
/// nullptr (with the error recorded) if the driver cannot make one.
CUstream acquireStream(const DriverApi &api);

/// Gives `stream` back to the pool. Work still queued on it is not waited
/// for: the next holder's work simply runs after it.
void releaseStream(CUstream stream);

/// Destroys the idle streams (at the last module unload).
void destroyPooledStreams();

/// Waits for and gives back every stream the calling thread still holds:
/// its run ended early, before the compiled code destroyed its stream.
void releaseThreadStreams();

} // namespace onebit::cuda

#endif // ONEBIT_LIB_RUNTIME_CUDA_STREAMPOOL_H
