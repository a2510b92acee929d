//===- PackedWeights.h - Read the bytes of packed weight attrs --*- C++ -*-===//
//
// Packed weights are i8 elements attributes: dense_resource blobs in real
// models, plain dense literals in hand-written tests. Passes and lowerings read
// their bytes through this one function, which never copies a blob.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_DIALECT_PACKEDWEIGHTS_H
#define ONEBIT_DIALECT_PACKEDWEIGHTS_H

#include "mlir/IR/Builders.h"
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

/// The row-major f32 values of `attr` (an f32 elements attribute), in place
/// where the attribute holds them as such, else nullopt; a splat is expanded
/// into `storage`. Float weights are read this way without a copy: an
/// embedding table can be a gigabyte.
std::optional<llvm::ArrayRef<float>>
getF32Values(mlir::ElementsAttr attr, llvm::SmallVectorImpl<float> &storage);

/// A dense_resource i8 attribute of `shape` holding a copy of `bytes`, with
/// `nameHint` as the blob's name (characters other than letters, digits,
/// '_' and '.' become '_'; made unique by the resource manager).
mlir::ElementsAttr createPackedAttr(mlir::MLIRContext *context,
                                    llvm::ArrayRef<int64_t> shape,
                                    llvm::ArrayRef<uint8_t> bytes,
                                    llvm::StringRef nameHint);

/// Frees the data of the `dropped` blobs (constants a pass erased, such as
/// float weights it quantized) that no arith.constant under `root` still
/// holds. Attributes live as long as the context, so an erased constant's
/// blob would otherwise stay in memory to the end of the compile: for a
/// 2B-parameter model, gigabytes of float weights already packed.
void releaseDroppedBlobs(mlir::Operation *root,
                         llvm::ArrayRef<mlir::Attribute> dropped);

/// q[row, col] of onebit.quantized_linear's `packed` weight tensor (i8) of
/// `bits` bits, as an i8 scalar: the byte itself (8 bits) or the nibble
/// col % 2 of byte col / 2, sign-extended (4 bits). Shared by every reader
/// of the format that works element by element.
mlir::Value emitQuantizedValue(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value packed, mlir::Value row,
                               mlir::Value col, int64_t bits);

} // namespace onebit

#endif // ONEBIT_DIALECT_PACKEDWEIGHTS_H
