//===- Errors.h - How the CUDA runtime reports failures ---------*- C++ -*-===//
//
// The mgpu* functions are called by generated code that cannot check
// results, some of them from global constructors while model.so is being
// dlopen'ed, so the CUDA runtime never aborts and never throws. It records
// what went wrong and turns the rest of the work into safe no-ops; the C API
// then reports the message (TargetHooks.h):
//
//  - A fatal error means the GPU cannot be used at all (no driver, no GPU,
//    too old a driver, kernels that do not load). It is set once, never
//    cleared, and every run fails with it.
//  - A run error (a failed launch, out of memory) belongs to the thread that
//    hit it: onebit_run calls the generated code on its own thread and then
//    takes that thread's first error, so one failing run never fails a
//    concurrent run on another thread. Until it is taken, the thread's later
//    GPU calls are no-ops.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_CUDA_ERRORS_H
#define ONEBIT_LIB_RUNTIME_CUDA_ERRORS_H

#include "CudaDriver.h"

namespace onebit::cuda {

/// Sets the fatal error unless one is set already (the first one wins).
void setFatalError(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

/// The fatal error, or nullptr. Once set, the text never changes or moves.
const char *fatalError();

/// Records a run error on this thread unless it has one already.
void recordError(const char *format, ...) __attribute__((format(printf, 1, 2)));

/// Records "CUDA error in <what>: <NAME: description>" on this thread.
void recordDriverError(const char *what, CUresult result);

/// Whether GPU work must be skipped: a fatal error, or an untaken run error
/// on this thread. Cheap: an atomic load and a thread-local flag.
bool hasError();

/// This thread's run error (clearing it), else the fatal error, else
/// nullptr. The text stays valid until this thread calls takeError again.
const char *takeError();

} // namespace onebit::cuda

#endif // ONEBIT_LIB_RUNTIME_CUDA_ERRORS_H
