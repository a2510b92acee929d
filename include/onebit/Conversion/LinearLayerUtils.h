//===- LinearLayerUtils.h - Pieces shared by the layer lowerings -*- C++ -*-=//
//
// Every lowering of a onebit layer views its input as an M x K matrix and puts
// the batch dimensions back at the end, and the activation-side prologues
// (OneBit's g, BitNet's int8 per-token quantization) are the same elementwise
// math whatever kernel follows. These live here once; the matrix products
// themselves are each lowering's own.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_CONVERSION_LINEARLAYERUTILS_H
#define ONEBIT_CONVERSION_LINEARLAYERUTILS_H

#include "onebit/Dialect/OnebitOps.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <utility>

namespace onebit {

/// Views [b..., K] as [M, K], M the product of the batch dimensions (M = 1 for
/// a 1-d input).
mlir::Value collapseToMatrix(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value input);

/// The inverse of collapseToMatrix for an [M, N] result: [b..., N] of
/// `resultType`, taking the batch sizes from `input`.
mlir::Value restoreBatchDims(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value matrix, mlir::Value input,
                             mlir::RankedTensorType resultType);

/// A tensor.empty of the given sizes.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<mlir::OpFoldResult> sizes,
                        mlir::Type elementType);

/// `count` parallel iterators.
llvm::SmallVector<mlir::utils::IteratorType> parallelLoops(unsigned count);

/// x[m, k] * g[k].
mlir::Value scaleColumns(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                         mlir::DenseElementsAttr g);

/// BitNet's per-token activation quantization of x[m, k] (see
/// onebit.ternary_linear): returns q (f32 holding int8 values) and
/// r[m] = 127 / max(max_k |x[m, k]|, 1e-5), by which the output is divided.
std::pair<mlir::Value, mlir::Value>
quantizeRowsToInt8(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// A low-bit layer as its fast kernels read it: x as the M x K matrix after
/// the activation-side prologue (OneBit's g, BitNet's int8 quantization),
/// the packed planes, the per-output scale (scale or h), the bias and the
/// int8 row divisor r[m], null where the layer has none. As tensors from
/// prepareLowBitLayer, as buffers after readBuffers.
struct LowBitLayer {
  mlir::Value x;          // M x K activations (f32)
  mlir::Value packed;     // ternary: N x 2 x ceil(K/8); sign: N x ceil(K/8) (i8)
  mlir::Value scale;      // 1 or N values, or null
  mlir::Value bias;       // N values, or null
  mlir::Value rowDivisor; // M values, or null
  bool ternary = true;
  int64_t inFeatures = 0;
  int64_t outFeatures = 0;
};

LowBitLayer prepareLowBitLayer(mlir::OpBuilder &b, TernaryLinearOp op,
                               mlir::Value input, mlir::Value bias);
LowBitLayer prepareLowBitLayer(mlir::OpBuilder &b, SignLinearOp op,
                               mlir::Value input, mlir::Value bias);

/// A read-only view of a tensor as a buffer with the identity layout (rows
/// contiguous; where the tensor is a strided view, bufferization makes the
/// contiguous copy). Null stays null.
mlir::Value readBuffer(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value tensor);

/// Every tensor of `layer` through readBuffer.
LowBitLayer readBuffers(mlir::OpBuilder &b, mlir::Location loc,
                        LowBitLayer layer);

} // namespace onebit

#endif // ONEBIT_CONVERSION_LINEARLAYERUTILS_H
