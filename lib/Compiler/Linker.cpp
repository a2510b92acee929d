//===- Linker.cpp - Link the compiled object and the runtime --------------===//

#include "onebit/Compiler/Linker.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace onebit;

std::string onebit::findRuntimeLibrary(const char *argv0) {
  if (const char *path = std::getenv("ONEBIT_RUNTIME_LIB"))
    return path;
  std::string exe = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&findRuntimeLibrary));
  llvm::SmallString<256> path(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(path, "..", "lib", "libOnebitRuntime.a");
  return std::string(path);
}

llvm::Error onebit::linkSharedLibrary(llvm::StringRef objectPath,
                                      llvm::StringRef runtimeLibrary,
                                      llvm::StringRef outputPath) {
  if (!llvm::sys::fs::exists(runtimeLibrary))
    return llvm::createStringError(
        "the onebit runtime library '" + runtimeLibrary.str() +
        "' does not exist (set ONEBIT_RUNTIME_LIB to its path)");
  std::string driver = "c++";
  if (const char *linker = std::getenv("ONEBIT_LINKER"))
    driver = linker;
  else if (const char *cxx = std::getenv("CXX"))
    driver = cxx;
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName(driver);
  if (!program)
    return llvm::createStringError("cannot find the linker driver '" + driver +
                                   "' (set ONEBIT_LINKER)");
  // The runtime's C API must stay exported even though nothing in the
  // object references it: take the whole archive.
  llvm::SmallVector<llvm::StringRef> args = {
      *program,         "-shared",          "-o",
      outputPath,       objectPath,         "-Wl,--whole-archive",
      runtimeLibrary,   "-Wl,--no-whole-archive",
      "-lm",            "-pthread"};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, {}, 0,
                                         0, &message);
  if (status != 0)
    return llvm::createStringError(
        "linking '" + outputPath.str() + "' failed (" + driver + " exited " +
        std::to_string(status) + (message.empty() ? "" : ": " + message) +
        ")");
  return llvm::Error::success();
}
