//===- OnebitToLinalg.cpp - Reference lowering of onebit ops --------------===//
//
// Spells out each op's arithmetic, as its description states it, in linalg on
// tensors: the input viewed as an M x K matrix, packed weights unpacked by bit
// tests into an N x K float matrix, one linalg.matmul (transposed B), and
// elementwise prologue and epilogue. Simple on purpose: this is the oracle for
// the fast lowerings, so it shares no matrix-product code with them (only the
// shape plumbing and activation prologues of LinearLayerUtils).
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/LinearLayerUtils.h"
#include "onebit/Conversion/Passes.h"
#include "onebit/Dialect/OnebitDialect.h"
#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Dialect/PackedWeights.h"

#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace onebit {
#define GEN_PASS_DEF_LOWERTOLINALG
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

//===----------------------------------------------------------------------===//
// Arithmetic pieces
//===----------------------------------------------------------------------===//

/// acc[m, n] = sum_k x[m, k] * w[n, k].
Value matmulTransposeB(OpBuilder &b, Location loc, Value x, Value w) {
  Type elementType = cast<RankedTensorType>(x.getType()).getElementType();
  Value empty = emptyTensor(b, loc,
                          {tensor::getMixedSize(b, loc, x, 0),
                           tensor::getMixedSize(b, loc, w, 0)},
                          elementType);
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  return linalg::MatmulTransposeBOp::create(b, loc, TypeRange{init.getType()},
                                            ValueRange{x, w}, ValueRange{init})
      ->getResult(0);
}

/// Bit `k mod 8` of byte `k / 8` along the last dimension of `packed`, at the
/// leading indices `prefix`, as an i8 of value 0 or 1.
Value extractBit(OpBuilder &b, Location loc, Value packed,
                 SmallVector<Value> prefix, Value k) {
  Value eight = arith::ConstantIndexOp::create(b, loc, 8);
  prefix.push_back(arith::DivUIOp::create(b, loc, k, eight));
  Value byte = tensor::ExtractOp::create(b, loc, packed, prefix);
  Value shift = arith::IndexCastOp::create(
      b, loc, b.getI8Type(), arith::RemUIOp::create(b, loc, k, eight));
  Value shifted = arith::ShRUIOp::create(b, loc, byte, shift);
  Value one = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 1);
  return arith::AndIOp::create(b, loc, shifted, one);
}

/// Unpacks an N x K float weight matrix; `decode` maps (n, k) to the weight.
Value unpackWeights(
    OpBuilder &b, Location loc, int64_t n, int64_t k,
    function_ref<Value(OpBuilder &, Location, Value, Value)> decode) {
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{n, k},
                                        b.getF32Type());
  return linalg::GenericOp::create(
             b, loc, TypeRange{empty.getType()}, ValueRange{}, ValueRange{empty},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(2)},
             parallelLoops(2),
             [&](OpBuilder &nb, Location nloc, ValueRange) {
               Value row = linalg::IndexOp::create(nb, nloc, 0);
               Value col = linalg::IndexOp::create(nb, nloc, 1);
               linalg::YieldOp::create(nb, nloc, decode(nb, nloc, row, col));
             })
      .getResult(0);
}

/// T[n, k] = plus bit - minus bit.
Value unpackTernary(OpBuilder &b, Location loc, TernaryLinearOp op) {
  Value packed = arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(op.getPackedWeights()));
  return unpackWeights(
      b, loc, op.getOutFeatures(), op.getInFeatures(),
      [&](OpBuilder &nb, Location nloc, Value row, Value col) -> Value {
        Value plane0 = arith::ConstantIndexOp::create(nb, nloc, 0);
        Value plane1 = arith::ConstantIndexOp::create(nb, nloc, 1);
        Value plus = extractBit(nb, nloc, packed, {row, plane0}, col);
        Value minus = extractBit(nb, nloc, packed, {row, plane1}, col);
        Value trit = arith::SubIOp::create(nb, nloc, plus, minus);
        return arith::SIToFPOp::create(nb, nloc, nb.getF32Type(), trit);
      });
}

/// S[n, k] = +1 where the bit is set, -1 where it is clear.
Value unpackSigns(OpBuilder &b, Location loc, SignLinearOp op) {
  Value packed =
      arith::ConstantOp::create(b, loc, cast<TypedAttr>(op.getPackedSigns()));
  return unpackWeights(
      b, loc, op.getOutFeatures(), op.getInFeatures(),
      [&](OpBuilder &nb, Location nloc, Value row, Value col) -> Value {
        Value bit = extractBit(nb, nloc, packed, {row}, col);
        Value isPositive = arith::TruncIOp::create(nb, nloc, nb.getI1Type(), bit);
        Value plusOne = arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(1));
        Value minusOne =
            arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(-1));
        return arith::SelectOp::create(nb, nloc, isPositive, plusOne, minusOne);
      });
}

/// What the epilogue applies to acc[m, n], in this order:
/// acc / rowDivisor[m] * channelScale[n or 0] + bias[n].
struct Epilogue {
  Value rowDivisor;   // [M], or null
  Value channelScale; // [N] or [1], or null
  Value bias;         // [N], or null
};

Value applyEpilogue(OpBuilder &b, Location loc, Value acc,
                    const Epilogue &epilogue) {
  if (!epilogue.rowDivisor && !epilogue.channelScale && !epilogue.bias)
    return acc;
  MLIRContext *ctx = b.getContext();
  AffineMap identity = b.getMultiDimIdentityMap(2);
  AffineMap row = AffineMap::get(2, 0, getAffineDimExpr(0, ctx));
  AffineMap column = AffineMap::get(2, 0, getAffineDimExpr(1, ctx));
  AffineMap first = AffineMap::get(2, 0, getAffineConstantExpr(0, ctx));

  SmallVector<Value> inputs = {acc};
  SmallVector<AffineMap> maps = {identity};
  if (epilogue.rowDivisor) {
    inputs.push_back(epilogue.rowDivisor);
    maps.push_back(row);
  }
  if (epilogue.channelScale) {
    inputs.push_back(epilogue.channelScale);
    bool perTensor =
        cast<RankedTensorType>(epilogue.channelScale.getType()).getDimSize(0) ==
            1 &&
        cast<RankedTensorType>(acc.getType()).getDimSize(1) != 1;
    maps.push_back(perTensor ? first : column);
  }
  if (epilogue.bias) {
    inputs.push_back(epilogue.bias);
    maps.push_back(column);
  }
  maps.push_back(identity);
  Type elementType = cast<RankedTensorType>(acc.getType()).getElementType();
  Value init =
      emptyTensor(b, loc, tensor::getMixedSizes(b, loc, acc), elementType);
  return linalg::GenericOp::create(
             b, loc, TypeRange{acc.getType()}, inputs, ValueRange{init}, maps,
             parallelLoops(2),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               unsigned next = 1;
               Value value = args[0];
               if (epilogue.rowDivisor)
                 value = arith::DivFOp::create(nb, nloc, value, args[next++]);
               if (epilogue.channelScale)
                 value = arith::MulFOp::create(nb, nloc, value, args[next++]);
               if (epilogue.bias)
                 value = arith::AddFOp::create(nb, nloc, value, args[next++]);
               linalg::YieldOp::create(nb, nloc, value);
             })
      .getResult(0);
}

/// What every layer shares once its input is an M x K matrix `x`: the product
/// with the N x K `weights`, the epilogue, and the batch dims put back.
Value finishLinear(OpBuilder &b, Location loc, Value x, Value weights,
                   const Epilogue &epilogue, Value input,
                   RankedTensorType resultType) {
  Value acc = matmulTransposeB(b, loc, x, weights);
  acc = applyEpilogue(b, loc, acc, epilogue);
  return restoreBatchDims(b, loc, acc, input, resultType);
}

//===----------------------------------------------------------------------===//
// Conversion patterns
//===----------------------------------------------------------------------===//

struct LinearOpLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    Epilogue epilogue;
    epilogue.bias = adaptor.getBias();
    rewriter.replaceOp(op, finishLinear(rewriter, loc, x, adaptor.getWeight(),
                                        epilogue, adaptor.getInput(),
                                        op.getType()));
    return success();
  }
};

struct TernaryLinearOpLowering : OpConversionPattern<TernaryLinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TernaryLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    Epilogue epilogue;
    if (op.getInt8Activations())
      std::tie(x, epilogue.rowDivisor) = quantizeRowsToInt8(rewriter, loc, x);
    Value weights = unpackTernary(rewriter, loc, op);
    epilogue.channelScale =
        arith::ConstantOp::create(rewriter, loc, op.getScale());
    epilogue.bias = adaptor.getBias();
    rewriter.replaceOp(op, finishLinear(rewriter, loc, x, weights, epilogue,
                                        adaptor.getInput(), op.getType()));
    return success();
  }
};

struct SignLinearOpLowering : OpConversionPattern<SignLinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SignLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    if (DenseElementsAttr g = op.getGAttr())
      x = scaleColumns(rewriter, loc, x, g);
    Value weights = unpackSigns(rewriter, loc, op);
    Epilogue epilogue;
    if (DenseElementsAttr h = op.getHAttr())
      epilogue.channelScale = arith::ConstantOp::create(rewriter, loc, h);
    epilogue.bias = adaptor.getBias();
    rewriter.replaceOp(op, finishLinear(rewriter, loc, x, weights, epilogue,
                                        adaptor.getInput(), op.getType()));
    return success();
  }
};

/// acc[m, n] = sum_k x[m, k] * q[n, k], each q decoded where it is read:
/// no N x K float copy of the weight (an LM head's is a gigabyte).
struct QuantizedLinearOpLowering : OpConversionPattern<QuantizedLinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QuantizedLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    Value weight = adaptor.getWeight();
    int64_t bits = op.getBits();
    Type f32 = rewriter.getF32Type();
    Value empty = emptyTensor(rewriter, loc,
                              {tensor::getMixedSize(rewriter, loc, x, 0),
                               rewriter.getIndexAttr(op.getOutFeatures())},
                              f32);
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getF32FloatAttr(0));
    Value init = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx),
                                   AffineMap::get(3, 0, {m, n}, ctx)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction};
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{init.getType()}, ValueRange{x},
            ValueRange{init}, maps, iterators,
            [&](OpBuilder &nb, Location nloc, ValueRange args) {
              Value q = emitQuantizedValue(
                  nb, nloc, weight, linalg::IndexOp::create(nb, nloc, 1),
                  linalg::IndexOp::create(nb, nloc, 2), bits);
              Value w = arith::SIToFPOp::create(nb, nloc, f32, q);
              Value product = arith::MulFOp::create(nb, nloc, args[0], w);
              linalg::YieldOp::create(
                  nb, nloc,
                  arith::AddFOp::create(nb, nloc, args[1], product).getResult());
            })
            .getResult(0);
    Epilogue epilogue;
    epilogue.channelScale = adaptor.getScale();
    epilogue.bias = adaptor.getBias();
    acc = applyEpilogue(rewriter, loc, acc, epilogue);
    rewriter.replaceOp(op, restoreBatchDims(rewriter, loc, acc,
                                            adaptor.getInput(), op.getType()));
    return success();
  }
};

struct LowerToLinalgPass
    : onebit::impl::LowerToLinalgBase<LowerToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<OnebitDialect>();
    // Run-time checks and the kernels' byte ops are lowered later.
    target.addLegalOp<CheckOp, ByteLookupOp, PairSumOp, LaneLookupOp,
                      PairLaneLookupOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateOnebitToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void onebit::populateOnebitToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearOpLowering, TernaryLinearOpLowering, SignLinearOpLowering,
               QuantizedLinearOpLowering>(patterns.getContext());
}
