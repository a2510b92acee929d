//===- OnebitToVector.cpp - Add-only vector kernels for low-bit layers ----===//
//
// The CPU kernels of ternary_linear and sign_linear. Their inner loop reads
// the packed bit planes in place as vector<w x i1> masks and only adds or
// subtracts activations under them; every multiplication (scale, h, bias, the
// int8 row factor) happens once per output, after the reduction. The weights
// stream through once per activation row, so at M = 1 the loop is bound by
// the 2 (or 1) bits per weight it reads, not by arithmetic.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/LinearLayerUtils.h"
#include "onebit/Conversion/Passes.h"
#include "onebit/Dialect/OnebitDialect.h"
#include "onebit/Dialect/OnebitOps.h"

#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/Transforms/DialectConversion.h"

namespace onebit {
#define GEN_PASS_DEF_LOWERTOVECTORKERNELS
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

//===----------------------------------------------------------------------===//
// Kernel description
//===----------------------------------------------------------------------===//

/// What the kernel loop reads, all as buffers.
struct KernelOperands {
  Value x;          // M x K activations (f32), contiguous rows
  Value packed;     // ternary: N x 2 x ceil(K/8); sign: N x ceil(K/8) (i8)
  Value weights;    // float layers: N x K (f32) instead of packed bits
  Value scale;      // 1 or N values (scale or h), or null
  Value bias;       // N values, or null
  Value rowDivisor; // M values (the int8 factor r), or null
  bool ternary = true;
  int64_t inFeatures = 0;
  int64_t outFeatures = 0;
};

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// A read-only view of a tensor as a buffer with the identity layout: rows of
/// x are then contiguous for the vector loads. Where x is a strided view,
/// bufferization makes the contiguous copy (M x K floats, small next to the
/// weights).
Value readBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  return bufferization::ToBufferOp::create(b, loc, memrefType, tensor,
                                           /*read_only=*/true);
}

//===----------------------------------------------------------------------===//
// The inner loop
//===----------------------------------------------------------------------===//

/// The i1 mask of `width` weights of row n from the bytes at `byte` of bit
/// plane `plane` (ternary) or of the sign row. In the tail the bytes are read
/// with zero padding, which the format's zero padding bits make exact.
Value loadBitMask(OpBuilder &b, Location loc, const KernelOperands &ops,
                  Value n, std::optional<int64_t> plane, Value byte,
                  int64_t width, bool tail) {
  SmallVector<Value> indices = {n};
  if (plane)
    indices.push_back(indexConstant(b, loc, *plane));
  indices.push_back(byte);
  auto bytesType = VectorType::get({width / 8}, b.getI8Type());
  Value bytes;
  if (tail) {
    Value zero = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
    bytes = vector::TransferReadOp::create(b, loc, bytesType, ops.packed,
                                           indices, zero,
                                           ArrayRef<bool>{false});
  } else {
    bytes = vector::LoadOp::create(b, loc, bytesType, ops.packed, indices);
  }
  return vector::BitCastOp::create(
      b, loc, VectorType::get({width}, b.getI1Type()), bytes);
}

/// acc += x under the plus mask and -= x under the minus mask (ternary), or
/// acc += x where the sign bit is set and -= x where it is clear (sign), for
/// the `width` inputs from k (a multiple of 8) on.
Value accumulate(OpBuilder &b, Location loc, const KernelOperands &ops,
                 Value acc, Value x, Value n, Value k, int64_t width,
                 bool tail) {
  if (ops.weights) {
    auto vectorType = cast<VectorType>(x.getType());
    Value w;
    if (tail) {
      Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
      w = vector::TransferReadOp::create(b, loc, vectorType, ops.weights,
                                         ValueRange{n, k}, zero,
                                         ArrayRef<bool>{false});
    } else {
      w = vector::LoadOp::create(b, loc, vectorType, ops.weights,
                                 ValueRange{n, k});
    }
    return vector::FMAOp::create(b, loc, x, w, acc);
  }
  Value byte = arith::DivUIOp::create(b, loc, k, indexConstant(b, loc, 8));
  if (!ops.ternary) {
    Value positive =
        loadBitMask(b, loc, ops, n, std::nullopt, byte, width, tail);
    Value added = arith::AddFOp::create(b, loc, acc, x);
    Value subtracted = arith::SubFOp::create(b, loc, acc, x);
    return arith::SelectOp::create(b, loc, positive, added, subtracted);
  }
  Value plus = loadBitMask(b, loc, ops, n, 0, byte, width, tail);
  Value minus = loadBitMask(b, loc, ops, n, 1, byte, width, tail);
  Value added = arith::SelectOp::create(
      b, loc, plus, arith::AddFOp::create(b, loc, acc, x), acc);
  return arith::SelectOp::create(
      b, loc, minus, arith::SubFOp::create(b, loc, added, x), added);
}

/// Independent accumulators of the main loop. One accumulator makes every
/// step wait for the previous one's add (4 cycles on current x86 cores);
/// four keep the vector units busy, which is what lets the loop run at the
/// speed of the weights it reads rather than of one dependency chain.
constexpr int64_t kAccumulators = 4;

/// sum_k x[m, k] * W[n, k], with W in {-1, 0, +1} or {-1, +1}, by adds alone
/// (or by FMAs for float weights): kAccumulators groups of `width` inputs a
/// step, then single groups, then the zero-padded tail.
Value emitRowDot(OpBuilder &b, Location loc, const KernelOperands &ops,
                 Value n, Value m, int64_t width) {
  Type f32 = b.getF32Type();
  auto vectorType = VectorType::get({width}, f32);
  int64_t unrolledEnd =
      ops.inFeatures / (width * kAccumulators) * (width * kAccumulators);
  int64_t fullEnd = ops.inFeatures / width * width;
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0)));
  auto group = [&](OpBuilder &lb, Location lloc, Value acc, Value k) {
    Value x = vector::LoadOp::create(lb, lloc, vectorType, ops.x,
                                     ValueRange{m, k});
    return accumulate(lb, lloc, ops, acc, x, n, k, width, /*tail=*/false);
  };

  Value acc = zeros;
  if (unrolledEnd > 0) {
    SmallVector<Value> inits(kAccumulators, zeros);
    auto loop = scf::ForOp::create(
        b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, unrolledEnd),
        indexConstant(b, loc, width * kAccumulators), inits,
        [&](OpBuilder &lb, Location lloc, Value k, ValueRange accs) {
          SmallVector<Value> next;
          for (int64_t u = 0; u < kAccumulators; ++u) {
            Value ku = arith::AddIOp::create(lb, lloc, k,
                                             indexConstant(lb, lloc, u * width));
            next.push_back(group(lb, lloc, accs[u], ku));
          }
          scf::YieldOp::create(lb, lloc, next);
        });
    // A pairwise sum of the partial accumulators.
    SmallVector<Value> partial(loop.getResults());
    while (partial.size() > 1) {
      SmallVector<Value> halved;
      for (size_t i = 0; i + 1 < partial.size(); i += 2)
        halved.push_back(
            arith::AddFOp::create(b, loc, partial[i], partial[i + 1]));
      if (partial.size() % 2)
        halved.push_back(partial.back());
      partial = std::move(halved);
    }
    acc = partial.front();
  }
  if (fullEnd > unrolledEnd) {
    auto loop = scf::ForOp::create(
        b, loc, indexConstant(b, loc, unrolledEnd),
        indexConstant(b, loc, fullEnd), indexConstant(b, loc, width),
        ValueRange{acc},
        [&](OpBuilder &lb, Location lloc, Value k, ValueRange accs) {
          scf::YieldOp::create(lb, lloc, group(lb, lloc, accs[0], k));
        });
    acc = loop.getResult(0);
  }

  if (fullEnd != ops.inFeatures) {
    Value k = indexConstant(b, loc, fullEnd);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    Value x = vector::TransferReadOp::create(b, loc, vectorType, ops.x,
                                             ValueRange{m, k}, zero,
                                             ArrayRef<bool>{false});
    acc = accumulate(b, loc, ops, acc, x, n, k, width, /*tail=*/true);
  }
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc);
}

/// out[m, n] for all m and n: channels in parallel, rows of x inside, so a
/// channel's weights are read from cache for every row after the first.
void emitKernel(OpBuilder &b, Location loc, const KernelOperands &ops,
                Value out, int64_t width) {
  Value zero = indexConstant(b, loc, 0);
  Value one = indexConstant(b, loc, 1);
  Value rows = memref::DimOp::create(b, loc, ops.x, 0);
  bool perTensorScale =
      ops.scale && cast<MemRefType>(ops.scale.getType()).getDimSize(0) == 1 &&
      ops.outFeatures != 1;
  scf::ParallelOp::create(
      b, loc, ValueRange{zero}, ValueRange{indexConstant(b, loc, ops.outFeatures)},
      ValueRange{one}, [&](OpBuilder &pb, Location ploc, ValueRange ivs) {
        Value n = ivs[0];
        Value scale, bias;
        if (ops.scale)
          scale = memref::LoadOp::create(pb, ploc, ops.scale,
                                         ValueRange{perTensorScale ? zero : n});
        if (ops.bias)
          bias = memref::LoadOp::create(pb, ploc, ops.bias, ValueRange{n});
        scf::ForOp::create(
            pb, ploc, zero, rows, one, ValueRange{},
            [&](OpBuilder &fb, Location floc, Value m, ValueRange) {
              Value y = emitRowDot(fb, floc, ops, n, m, width);
              if (ops.rowDivisor)
                y = arith::DivFOp::create(
                    fb, floc, y,
                    memref::LoadOp::create(fb, floc, ops.rowDivisor,
                                           ValueRange{m}));
              if (scale)
                y = arith::MulFOp::create(fb, floc, y, scale);
              if (bias)
                y = arith::AddFOp::create(fb, floc, y, bias);
              memref::StoreOp::create(fb, floc, y, out, ValueRange{m, n});
              scf::YieldOp::create(fb, floc);
            });
      });
}

/// Runs the kernel on the [M, K] tensor `x` and returns the [M, N] tensor.
Value emitLayer(OpBuilder &b, Location loc, KernelOperands ops, Value x,
                int64_t width) {
  ops.x = readBuffer(b, loc, x);
  int64_t staticRows = cast<MemRefType>(ops.x.getType()).getDimSize(0);
  auto outType = MemRefType::get({staticRows, ops.outFeatures}, b.getF32Type());
  SmallVector<Value> dynamicRows;
  if (ShapedType::isDynamic(staticRows))
    dynamicRows.push_back(memref::DimOp::create(b, loc, ops.x, 0));
  Value out = memref::AllocOp::create(b, loc, outType, dynamicRows);
  emitKernel(b, loc, ops, out, width);
  auto tensorType =
      RankedTensorType::get(outType.getShape(), outType.getElementType());
  return bufferization::ToTensorOp::create(b, loc, tensorType, out,
                                           /*restrict=*/b.getUnitAttr(),
                                           /*writable=*/b.getUnitAttr());
}

//===----------------------------------------------------------------------===//
// Conversion patterns
//===----------------------------------------------------------------------===//

struct TernaryLinearOpToVector : OpConversionPattern<TernaryLinearOp> {
  TernaryLinearOpToVector(MLIRContext *context, int64_t width)
      : OpConversionPattern(context), width(width) {}

  LogicalResult
  matchAndRewrite(TernaryLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    KernelOperands ops;
    ops.ternary = true;
    ops.inFeatures = op.getInFeatures();
    ops.outFeatures = op.getOutFeatures();
    if (op.getInt8Activations()) {
      Value divisor;
      std::tie(x, divisor) = quantizeRowsToInt8(rewriter, loc, x);
      ops.rowDivisor = readBuffer(rewriter, loc, divisor);
    }
    ops.packed = readBuffer(
        rewriter, loc,
        arith::ConstantOp::create(rewriter, loc,
                                  cast<TypedAttr>(op.getPackedWeights())));
    ops.scale = readBuffer(
        rewriter, loc, arith::ConstantOp::create(rewriter, loc, op.getScale()));
    if (adaptor.getBias())
      ops.bias = readBuffer(rewriter, loc, adaptor.getBias());
    Value y = emitLayer(rewriter, loc, ops, x, width);
    rewriter.replaceOp(op, restoreBatchDims(rewriter, loc, y,
                                            adaptor.getInput(), op.getType()));
    return success();
  }

  int64_t width;
};

struct SignLinearOpToVector : OpConversionPattern<SignLinearOp> {
  SignLinearOpToVector(MLIRContext *context, int64_t width)
      : OpConversionPattern(context), width(width) {}

  LogicalResult
  matchAndRewrite(SignLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = collapseToMatrix(rewriter, loc, adaptor.getInput());
    if (DenseElementsAttr g = op.getGAttr())
      x = scaleColumns(rewriter, loc, x, g);
    KernelOperands ops;
    ops.ternary = false;
    ops.inFeatures = op.getInFeatures();
    ops.outFeatures = op.getOutFeatures();
    ops.packed = readBuffer(
        rewriter, loc,
        arith::ConstantOp::create(rewriter, loc,
                                  cast<TypedAttr>(op.getPackedSigns())));
    if (DenseElementsAttr h = op.getHAttr())
      ops.scale = readBuffer(rewriter, loc,
                             arith::ConstantOp::create(rewriter, loc, h));
    if (adaptor.getBias())
      ops.bias = readBuffer(rewriter, loc, adaptor.getBias());
    Value y = emitLayer(rewriter, loc, ops, x, width);
    rewriter.replaceOp(op, restoreBatchDims(rewriter, loc, y,
                                            adaptor.getInput(), op.getType()));
    return success();
  }

  int64_t width;
};

/// Float layers in the same loop nest, with FMAs over the weights in place
/// of the masked adds: threads over output channels and vector partial sums
/// over K, which the linalg path (scalar, in-order sums) does not give.
struct FloatLinearOpToVector : OpConversionPattern<LinearOp> {
  FloatLinearOpToVector(MLIRContext *context, int64_t width)
      : OpConversionPattern(context), width(width) {}

  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType weightType = op.getWeight().getType();
    if (!weightType.hasStaticShape() || !weightType.getElementType().isF32() ||
        !op.getInput().getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "needs static f32 weights");
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    if (ShapedType::isDynamic(inputType.getShape().back())) {
      SmallVector<int64_t> shape(inputType.getShape());
      shape.back() = weightType.getDimSize(1);
      input = tensor::CastOp::create(rewriter, loc, inputType.clone(shape),
                                     input);
    }
    Value x = collapseToMatrix(rewriter, loc, input);
    KernelOperands ops;
    ops.inFeatures = weightType.getDimSize(1);
    ops.outFeatures = weightType.getDimSize(0);
    ops.weights = readBuffer(rewriter, loc, adaptor.getWeight());
    if (adaptor.getBias())
      ops.bias = readBuffer(rewriter, loc, adaptor.getBias());
    Value y = emitLayer(rewriter, loc, ops, x, width);
    rewriter.replaceOp(op, restoreBatchDims(rewriter, loc, y, input,
                                            op.getType()));
    return success();
  }

  int64_t width;
};

struct LowerToVectorKernelsPass
    : onebit::impl::LowerToVectorKernelsBase<LowerToVectorKernelsPass> {
  using LowerToVectorKernelsBase::LowerToVectorKernelsBase;

  LogicalResult initialize(MLIRContext *context) override {
    // Masks are read a byte (8 lanes) at a time.
    int64_t width = vectorWidth;
    if (width <= 0 || width % 8 != 0)
      return emitError(UnknownLoc::get(context))
             << "onebit-lower-to-vector: vector-width must be a positive "
                "multiple of 8, got "
             << width;
    return success();
  }

  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalOp<TernaryLinearOp, SignLinearOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateOnebitToVectorPatterns(patterns, vectorWidth);
    if (floatLayers) {
      // Layers whose weights are not static f32 stay for the linalg path.
      target.addDynamicallyLegalOp<LinearOp>([](LinearOp op) {
        RankedTensorType weight = op.getWeight().getType();
        return !weight.hasStaticShape() || !weight.getElementType().isF32() ||
               !op.getInput().getType().getElementType().isF32();
      });
      patterns.add<FloatLinearOpToVector>(&getContext(), vectorWidth);
    }
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void onebit::populateOnebitToVectorPatterns(RewritePatternSet &patterns,
                                            int64_t vectorWidth) {
  patterns.add<TernaryLinearOpToVector, SignLinearOpToVector>(
      patterns.getContext(), vectorWidth);
}
