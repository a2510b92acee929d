//===- OnnxImporter.h - ONNX to MLIR importer -------------------*- C++ -*-===//
//
// Turns an ONNX model into one func.func on tensors in upstream dialects
// (linalg, tensor, arith, math) plus onebit.linear for every MatMul/Gemm whose
// weight is an initializer. The ONNX protobuf types stay out of this header so
// that tools and the compiler driver need neither libonnx nor protobuf.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_IMPORT_ONNXIMPORTER_H
#define ONEBIT_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace onebit {

struct OnnxImportOptions {
  /// Graph input name -> dims that replace the declared shape (dynamic dims
  /// become static; a declared static dim must agree).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Run onnx::checker::check_model where the model's opsets are ones this
  /// libonnx knows (the checker rejects newer opsets outright).
  bool runChecker = true;
  /// Canonicalize and CSE the imported function, which folds the run-time
  /// shape arithmetic the exporters emit (tensor.extract of a concat of
  /// tensor.dims, index casts back and forth) into plain tensor.dim uses.
  bool simplify = true;
};

/// Parses one `NAME=D0xD1x...` specification (as given to --input-shape) into
/// `options`. On failure returns false and sets `error`.
bool parseInputShapeSpec(llvm::StringRef spec, OnnxImportOptions &options,
                         std::string &error);

/// Every dialect the importer's output uses.
void registerOnnxImportDialects(mlir::DialectRegistry &registry);

/// Imports `bytes`, a binary ModelProto or (with `isText`) a model in ONNX
/// textual syntax. `modelPath` names the model in diagnostics and anchors
/// relative paths of external data. Errors are reported as MLIR diagnostics;
/// the result is null after any error.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModel(llvm::StringRef bytes, bool isText, llvm::StringRef modelPath,
                mlir::MLIRContext *context, const OnnxImportOptions &options);

/// Reads and imports the model file at `path`; `.onnxtxt` files are read as
/// textual syntax, anything else as a binary ModelProto.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(llvm::StringRef path, mlir::MLIRContext *context,
               const OnnxImportOptions &options);

} // namespace onebit

#endif // ONEBIT_IMPORT_ONNXIMPORTER_H
