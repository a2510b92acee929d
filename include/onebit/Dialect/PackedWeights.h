//===- PackedWeights.h - Read the bytes of packed weight attrs --*- C++ -*-===//
//
// Packed weights are i8 elements attributes: dense_resource blobs in real
// models, plain dense literals in hand-written tests. Passes and lowerings read
// their bytes through this one function, which never copies a blob.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_DIALECT_PACKEDWEIGHTS_H
#define ONEBIT_DIALECT_PACKEDWEIGHTS_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <optional>

namespace onebit {

/// The row-major bytes of `attr`, or nullopt where they are not available (a
/// dense_resource whose blob is missing). A splat is expanded into `storage`.
std::optional<llvm::ArrayRef<uint8_t>>
getPackedBytes(mlir::ElementsAttr attr,
               llvm::SmallVectorImpl<uint8_t> &storage);

/// A dense_resource i8 attribute of `shape` holding a copy of `bytes`, with
/// `nameHint` as the blob's name (made unique by the resource manager).
mlir::ElementsAttr createPackedAttr(mlir::MLIRContext *context,
                                    llvm::ArrayRef<int64_t> shape,
                                    llvm::ArrayRef<uint8_t> bytes,
                                    llvm::StringRef nameHint);

} // namespace onebit

#endif // ONEBIT_DIALECT_PACKEDWEIGHTS_H
