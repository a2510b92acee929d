//===- LinearLayerUtils.cpp - Pieces shared by the layer lowerings --------===//

#include "onebit/Conversion/LinearLayerUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"

using namespace mlir;
using namespace onebit;

//===----------------------------------------------------------------------===//
// Shape plumbing: N-d input <-> M x K matrix
//===----------------------------------------------------------------------===//

/// Views [b..., K] as [M, K] with M the product of the batch dimensions
/// (M = 1 for a 1-d input).
Value onebit::collapseToMatrix(OpBuilder &b, Location loc, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return input;
  if (rank == 1) {
    auto matrixType =
        RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType());
    SmallVector<OpFoldResult> shape = {b.getIndexAttr(1),
                                       tensor::getMixedSize(b, loc, input, 0)};
    return tensor::ExpandShapeOp::create(b, loc, matrixType, input,
                                         {ReassociationIndices{0, 1}}, shape);
  }
  ReassociationIndices batch = llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
  return tensor::CollapseShapeOp::create(
      b, loc, input,
      SmallVector<ReassociationIndices>{batch, ReassociationIndices{rank - 1}});
}

/// The inverse of collapseToMatrix for the [M, N] product, giving the op's
/// result type [b..., N].
Value onebit::restoreBatchDims(OpBuilder &b, Location loc, Value matrix, Value input,
                       RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  Value result = matrix;
  if (rank == 1) {
    result = tensor::CollapseShapeOp::create(
        b, loc, matrix, SmallVector<ReassociationIndices>{{0, 1}});
  } else if (rank > 2) {
    SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, input);
    shape.back() = tensor::getMixedSize(b, loc, matrix, 1);
    SmallVector<int64_t> staticShape;
    for (OpFoldResult size : shape) {
      std::optional<int64_t> constant = getConstantIntValue(size);
      staticShape.push_back(constant ? *constant : ShapedType::kDynamic);
    }
    auto expandedType = RankedTensorType::get(
        staticShape, resultType.getElementType());
    ReassociationIndices batch =
        llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
    // expand_shape wants a static M where all batch sizes are static.
    auto matrixType = cast<RankedTensorType>(matrix.getType());
    if (!llvm::any_of(ArrayRef(staticShape).drop_back(), ShapedType::isDynamic) &&
        matrixType.isDynamicDim(0)) {
      int64_t rows = 1;
      for (int64_t size : ArrayRef(staticShape).drop_back())
        rows *= size;
      matrix = tensor::CastOp::create(
          b, loc, RankedTensorType::get({rows, matrixType.getDimSize(1)},
                                        matrixType.getElementType()),
          matrix);
    }
    result = tensor::ExpandShapeOp::create(
        b, loc, expandedType, matrix,
        SmallVector<ReassociationIndices>{batch, ReassociationIndices{rank - 1}},
        shape);
  }
  if (result.getType() != resultType)
    result = tensor::CastOp::create(b, loc, resultType, result);
  return result;
}

Value onebit::emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

SmallVector<utils::IteratorType> onebit::parallelLoops(unsigned count) {
  return SmallVector<utils::IteratorType>(count, utils::IteratorType::parallel);
}

/// x[m, k] * g[k].
Value onebit::scaleColumns(OpBuilder &b, Location loc, Value x, DenseElementsAttr g) {
  Value gValue = arith::ConstantOp::create(b, loc, g);
  MLIRContext *ctx = b.getContext();
  AffineMap identity = b.getMultiDimIdentityMap(2);
  AffineMap column = AffineMap::get(2, 0, getAffineDimExpr(1, ctx));
  return linalg::GenericOp::create(
             b, loc, TypeRange{x.getType()}, ValueRange{x, gValue},
             ValueRange{emptyTensor(b, loc, tensor::getMixedSizes(b, loc, x),
                                  b.getF32Type())},
             SmallVector<AffineMap>{identity, column, identity},
             parallelLoops(2),
             [](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nloc, arith::MulFOp::create(nb, nloc, args[0], args[1])
                                 .getResult());
             })
      .getResult(0);
}

/// BitNet's per-token activation quantization of x[m, k]: returns q (float
/// values of int8 range) and r[m] = 127 / max(max_k |x[m, k]|, 1e-5).
std::pair<Value, Value> onebit::quantizeRowsToInt8(OpBuilder &b, Location loc,
                                           Value x) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  OpFoldResult rows = tensor::getMixedSize(b, loc, x, 0);
  AffineMap identity = b.getMultiDimIdentityMap(2);
  AffineMap row = AffineMap::get(2, 0, getAffineDimExpr(0, ctx));

  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value maxInit =
      linalg::FillOp::create(b, loc, zero, emptyTensor(b, loc, {rows}, f32))
          .getResult(0);
  Value absMax =
      linalg::GenericOp::create(
          b, loc, TypeRange{maxInit.getType()}, ValueRange{x},
          ValueRange{maxInit}, SmallVector<AffineMap>{identity, row},
          {utils::IteratorType::parallel, utils::IteratorType::reduction},
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            Value magnitude = math::AbsFOp::create(nb, nloc, args[0]);
            linalg::YieldOp::create(
                nb, nloc,
                arith::MaximumFOp::create(nb, nloc, args[1], magnitude)
                    .getResult());
          })
          .getResult(0);

  Value reciprocal =
      linalg::GenericOp::create(
          b, loc, TypeRange{absMax.getType()}, ValueRange{absMax},
          ValueRange{emptyTensor(b, loc, {rows}, f32)},
          SmallVector<AffineMap>{b.getMultiDimIdentityMap(1),
                                 b.getMultiDimIdentityMap(1)},
          parallelLoops(1),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            Value floor =
                arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(1e-5f));
            Value limit =
                arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(127));
            Value clamped = arith::MaximumFOp::create(nb, nloc, args[0], floor);
            linalg::YieldOp::create(
                nb, nloc,
                arith::DivFOp::create(nb, nloc, limit, clamped).getResult());
          })
          .getResult(0);

  Value quantized =
      linalg::GenericOp::create(
          b, loc, TypeRange{x.getType()}, ValueRange{x, reciprocal},
          ValueRange{emptyTensor(b, loc, tensor::getMixedSizes(b, loc, x), f32)},
          SmallVector<AffineMap>{identity, row, identity}, parallelLoops(2),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            Value scaled = arith::MulFOp::create(nb, nloc, args[0], args[1]);
            Value rounded = math::RoundEvenOp::create(nb, nloc, scaled);
            Value low =
                arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(-128));
            Value high =
                arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(127));
            Value clamped = arith::MinimumFOp::create(
                nb, nloc, arith::MaximumFOp::create(nb, nloc, rounded, low),
                high);
            linalg::YieldOp::create(nb, nloc, clamped);
          })
          .getResult(0);
  return {quantized, reciprocal};
}


//===----------------------------------------------------------------------===//
// Low-bit layers for the fast kernels
//===----------------------------------------------------------------------===//

static Value constantTensor(OpBuilder &b, Location loc, Attribute value) {
  return arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
}

LowBitLayer onebit::prepareLowBitLayer(OpBuilder &b, TernaryLinearOp op,
                                       Value input, Value bias) {
  Location loc = op.getLoc();
  LowBitLayer layer;
  layer.inFeatures = op.getInFeatures();
  layer.outFeatures = op.getOutFeatures();
  layer.x = collapseToMatrix(b, loc, input);
  if (op.getInt8Activations())
    std::tie(layer.x, layer.rowDivisor) = quantizeRowsToInt8(b, loc, layer.x);
  layer.packed = constantTensor(b, loc, op.getPackedWeights());
  layer.scale = constantTensor(b, loc, op.getScale());
  layer.bias = bias;
  return layer;
}

LowBitLayer onebit::prepareLowBitLayer(OpBuilder &b, SignLinearOp op,
                                       Value input, Value bias) {
  Location loc = op.getLoc();
  LowBitLayer layer;
  layer.ternary = false;
  layer.inFeatures = op.getInFeatures();
  layer.outFeatures = op.getOutFeatures();
  layer.x = collapseToMatrix(b, loc, input);
  if (DenseElementsAttr g = op.getGAttr())
    layer.x = scaleColumns(b, loc, layer.x, g);
  layer.packed = constantTensor(b, loc, op.getPackedSigns());
  if (DenseElementsAttr h = op.getHAttr())
    layer.scale = constantTensor(b, loc, h);
  layer.bias = bias;
  return layer;
}

Value onebit::readBuffer(OpBuilder &b, Location loc, Value tensor) {
  if (!tensor)
    return tensor;
  auto type = cast<RankedTensorType>(tensor.getType());
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  return bufferization::ToBufferOp::create(b, loc, memrefType, tensor,
                                           /*read_only=*/true);
}

LowBitLayer onebit::readBuffers(OpBuilder &b, Location loc, LowBitLayer layer) {
  for (Value *value : {&layer.x, &layer.packed, &layer.scale, &layer.bias,
                       &layer.rowDivisor})
    *value = readBuffer(b, loc, *value);
  return layer;
}
