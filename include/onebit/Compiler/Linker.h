//===- Linker.h - Link the compiled object and the runtime ------*- C++ -*-===//
#ifndef ONEBIT_COMPILER_LINKER_H
#define ONEBIT_COMPILER_LINKER_H

#include "llvm/Support/Error.h"

#include <string>

namespace onebit {

/// Where the runtime archive linked into every model.so lives:
/// $ONEBIT_RUNTIME_LIB, else lib/libOnebitRuntime.a beside the tool's bin/.
std::string findRuntimeLibrary(const char *argv0);

/// Links `objectPath` and the runtime archive into the shared library
/// `outputPath` with the system C++ compiler driver ($ONEBIT_LINKER, else
/// $CXX, else c++), so the result needs only the C and C++ runtimes.
llvm::Error linkSharedLibrary(llvm::StringRef objectPath,
                              llvm::StringRef runtimeLibrary,
                              llvm::StringRef outputPath);

} // namespace onebit

#endif // ONEBIT_COMPILER_LINKER_H
