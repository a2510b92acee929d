//===- EntryPoint.h - The model's entry and signature symbols ---*- C++ -*-===//
//
// Produces the two symbols of include/onebit/Runtime/ModelABI.h: the
// signature text, read off the entry function's tensor types and ONNX names
// before lowering, and the fixed-signature trampoline that the runtime calls,
// added once the module is in the LLVM dialect.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_COMPILER_ENTRYPOINT_H
#define ONEBIT_COMPILER_ENTRYPOINT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace onebit {

/// The attribute that carries an ONNX input or output name on the entry
/// function's arguments and results.
constexpr llvm::StringLiteral kOnnxNameAttr = "onnx.name";

struct EntryPoint {
  std::string functionName;
  unsigned numInputs = 0;
  unsigned numOutputs = 0;
  /// The signature text of ModelABI.h.
  std::string signature;
};

/// Finds the entry (the only public func.func, or `main`), checks that its
/// arguments and results are ranked tensors of supported element types,
/// asks for a C interface, and describes it. Errors are reported on the
/// module.
mlir::FailureOr<EntryPoint> prepareEntryPoint(mlir::ModuleOp module);

/// Adds onebit_model_signature and onebit_model_entry to a module already
/// lowered to the LLVM dialect.
mlir::LogicalResult emitEntrySymbols(mlir::ModuleOp module,
                                     const EntryPoint &entry);

} // namespace onebit

#endif // ONEBIT_COMPILER_ENTRYPOINT_H
