//===- Linker.cpp - Link the compiled object and the runtime --------------===//

#include "onebit/Compiler/Linker.h"
#include "onebit/Runtime/ModelABI.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace onebit;

std::string onebit::findRuntimeLibrary(const char *argv0,
                                       RuntimeLibrary library) {
  bool cuda = library == RuntimeLibrary::Cuda;
  if (const char *path = std::getenv(cuda ? "ONEBIT_CUDA_RUNTIME_LIB"
                                          : "ONEBIT_RUNTIME_LIB"))
    return path;
  std::string exe = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&linkSharedLibrary));
  llvm::SmallString<256> path(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(path, "..", "lib",
                          cuda ? "libOnebitCudaRuntime.a"
                               : "libOnebitRuntime.a");
  return std::string(path);
}

namespace {

/// A linker version script that keeps exactly the runtime's API exported:
/// the compiled object's functions (the entry function and its C interface
/// among them) have default visibility, and would otherwise be exported
/// too, where another library could interpose on them.
llvm::Error writeExportScript(llvm::SmallVectorImpl<char> &path) {
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("onebit-exports", "map", fd, path))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  llvm::raw_fd_ostream script(fd, /*shouldClose=*/true);
  script << "{\n  global:\n";
  for (const char *symbol : abi::kExportedSymbols)
    script << "    " << symbol << ";\n";
  script << "  local: *;\n};\n";
  script.close();
  if (script.has_error())
    return llvm::createStringError("cannot write the export list '" +
                                   std::string(path.begin(), path.end()) + "'");
  return llvm::Error::success();
}

} // namespace

llvm::Error
onebit::linkSharedLibrary(llvm::StringRef objectPath,
                          llvm::ArrayRef<std::string> runtimeLibraries,
                          llvm::StringRef outputPath) {
  for (const std::string &library : runtimeLibraries)
    if (!llvm::sys::fs::exists(library))
      return llvm::createStringError(
          "the onebit runtime library '" + library +
          "' does not exist (set ONEBIT_RUNTIME_LIB or "
          "ONEBIT_CUDA_RUNTIME_LIB to its path)");
  std::string driver = "c++";
  if (const char *linker = std::getenv("ONEBIT_LINKER"))
    driver = linker;
  else if (const char *cxx = std::getenv("CXX"))
    driver = cxx;
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName(driver);
  if (!program)
    return llvm::createStringError("cannot find the linker driver '" + driver +
                                   "' (set ONEBIT_LINKER)");
  llvm::SmallString<128> exportScript;
  if (llvm::Error error = writeExportScript(exportScript))
    return error;
  std::string versionScript =
      "-Wl,--version-script=" + exportScript.str().str();
  // The runtime's C API must stay exported even though nothing in the
  // object references it: take the whole archive. --no-undefined turns a
  // call the object makes into nothing this library provides into a link
  // error here rather than a failure to load later.
  // (-ldl: the CUDA runtime opens libcuda.so.1 itself, at run time.)
  llvm::SmallVector<llvm::StringRef> args = {
      *program, "-shared", "-o", outputPath, objectPath, "-Wl,--whole-archive"};
  for (const std::string &library : runtimeLibraries)
    args.push_back(library);
  args.append({"-Wl,--no-whole-archive", versionScript, "-Wl,--no-undefined",
               "-lm", "-ldl", "-pthread"});
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, {}, 0,
                                         0, &message);
  llvm::sys::fs::remove(exportScript);
  if (status != 0)
    return llvm::createStringError(
        "linking '" + outputPath.str() + "' failed (" + driver + " exited " +
        std::to_string(status) + (message.empty() ? "" : ": " + message) +
        ")");
  return llvm::Error::success();
}
