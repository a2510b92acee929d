//===- Linker.h - Link the compiled object and the runtime ------*- C++ -*-===//
#ifndef ONEBIT_COMPILER_LINKER_H
#define ONEBIT_COMPILER_LINKER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace onebit {

/// The static libraries linked into a model.so: the runtime of every model,
/// and the CUDA runtime that --target=cuda models add.
enum class RuntimeLibrary { Core, Cuda };

/// Where a runtime archive lives: $ONEBIT_RUNTIME_LIB (Core) or
/// $ONEBIT_CUDA_RUNTIME_LIB (Cuda), else lib/libOnebitRuntime.a or
/// lib/libOnebitCudaRuntime.a beside the tool's bin/.
std::string findRuntimeLibrary(const char *argv0, RuntimeLibrary library);

/// Links `objectPath` and the runtime archives (whole) into the shared
/// library `outputPath` with the system C++ compiler driver ($ONEBIT_LINKER,
/// else $CXX, else c++), so the result needs only the C and C++ runtimes
/// (and libdl, with which the CUDA runtime opens the driver).
llvm::Error linkSharedLibrary(llvm::StringRef objectPath,
                              llvm::ArrayRef<std::string> runtimeLibraries,
                              llvm::StringRef outputPath);

} // namespace onebit

#endif // ONEBIT_COMPILER_LINKER_H
