//===- WeightsFile.h - Large constants in a file beside model.so -*- C++ -*-===//
//
// A 2-billion-parameter model has a gigabyte of packed weights. Inside the
// shared object they cost a copy in LLVM (its constants own their bytes),
// minutes of code generation and a gigabyte-sized .so. Moved to a side file
// (ModelABI.h), they are written once, straight from the IR's blobs, and
// mapped by the runtime at load.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_COMPILER_WEIGHTSFILE_H
#define ONEBIT_COMPILER_WEIGHTSFILE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>

namespace onebit {

/// The bytes of the constant globals of at least `minBytes` of a module in
/// the LLVM dialect: what externalizeWeights would move.
uint64_t externalizableWeightBytes(mlir::ModuleOp module, uint64_t minBytes);

/// Writes those globals to `file` in the side-file format and rewrites the
/// module to read them through onebit_weights_slots, adding the three
/// symbols of ModelABI.h with `fileName` (the file's name, no directory).
/// Returns the number of constants moved (none: the module is unchanged
/// and nothing is written).
mlir::FailureOr<uint64_t> externalizeWeights(mlir::ModuleOp module,
                                             uint64_t minBytes,
                                             llvm::StringRef fileName,
                                             llvm::raw_ostream &file);

} // namespace onebit

#endif // ONEBIT_COMPILER_WEIGHTSFILE_H
