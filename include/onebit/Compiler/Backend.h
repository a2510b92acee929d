//===- Backend.h - From the LLVM dialect to an object file ------*- C++ -*-===//
#ifndef ONEBIT_COMPILER_BACKEND_H
#define ONEBIT_COMPILER_BACKEND_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace onebit {

/// The machine code is generated for: the host unless --mcpu says otherwise.
struct CpuTarget {
  std::string triple;
  std::string cpu;
  std::string features;
  bool hasAvx512 = false;
  bool hasAvx2 = false;
  bool hasAvx512bw = false;
};

/// The target for `mcpu` ("" or "native" for the host). Fails with a message
/// for a CPU name LLVM does not know.
llvm::Expected<CpuTarget> resolveCpuTarget(llvm::StringRef mcpu);

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CpuTarget &target, unsigned optLevel);

/// Translates the LLVM-dialect module, then runs LLVM's -O<optLevel>.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &context,
                     llvm::TargetMachine &machine, unsigned optLevel);

/// Writes `module` as an object file to `path`.
llvm::Error emitObjectFile(llvm::Module &module, llvm::TargetMachine &machine,
                           llvm::StringRef path);

} // namespace onebit

#endif // ONEBIT_COMPILER_BACKEND_H
