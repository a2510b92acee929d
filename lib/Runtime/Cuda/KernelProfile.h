//===- KernelProfile.h - Per-kernel GPU times on request --------*- C++ -*-===//
//
// With ONEBIT_CUDA_PROFILE=<file>, every launch is timed with a pair of CUDA
// events (and waited for: the profile serializes the run), and at exit the
// file gets one line per kernel: name, launches, total and fastest time in
// microseconds, tab-separated. The benchmarks read kernel times from it
// instead of timing whole runs, whose copies and host work would hide a
// kernel of a few microseconds.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_CUDA_KERNELPROFILE_H
#define ONEBIT_LIB_RUNTIME_CUDA_KERNELPROFILE_H

#include "CudaDriver.h"

#include <string>

namespace onebit::cuda {

/// Whether ONEBIT_CUDA_PROFILE names a file (read once).
bool kernelProfileEnabled();

/// Runs `launch` (which enqueues one kernel on `stream` and returns its
/// result) between two events, waits, and adds the time to `name`'s line.
CUresult profileLaunch(const DriverApi &api, CUstream stream,
                       const std::string &name, CUresult (*launch)(void *),
                       void *context);

} // namespace onebit::cuda

#endif // ONEBIT_LIB_RUNTIME_CUDA_KERNELPROFILE_H
