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

/// What the kernel loop reads, all as buffers: a low-bit layer's operands,
/// or for a float layer x, its N x K f32 `weights` (packed stays null) and
/// its bias.
struct KernelOperands : LowBitLayer {
  Value weights;
};

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
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

/// The weights of row n for the `width` inputs from k (a multiple of 8) on:
/// the plus and minus masks (ternary), the sign mask (sign), or the float
/// weights. Loaded once and applied to every activation row of a block.
struct WeightGroup {
  Value first, second;
};

WeightGroup loadWeights(OpBuilder &b, Location loc, const KernelOperands &ops,
                        Value n, Value k, int64_t width, bool tail) {
  if (ops.weights) {
    auto vectorType = VectorType::get({width}, b.getF32Type());
    if (!tail)
      return {vector::LoadOp::create(b, loc, vectorType, ops.weights,
                                     ValueRange{n, k}),
              nullptr};
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    return {vector::TransferReadOp::create(b, loc, vectorType, ops.weights,
                                           ValueRange{n, k}, zero,
                                           ArrayRef<bool>{false}),
            nullptr};
  }
  Value byte = arith::DivUIOp::create(b, loc, k, indexConstant(b, loc, 8));
  if (!ops.ternary)
    return {loadBitMask(b, loc, ops, n, std::nullopt, byte, width, tail),
            nullptr};
  return {loadBitMask(b, loc, ops, n, 0, byte, width, tail),
          loadBitMask(b, loc, ops, n, 1, byte, width, tail)};
}

/// acc += x under the plus mask and -= x under the minus mask (ternary), or
/// acc += x where the sign bit is set and -= x where it is clear (sign), or
/// acc = fma(x, w, acc) for float weights.
Value applyWeights(OpBuilder &b, Location loc, const KernelOperands &ops,
                   const WeightGroup &w, Value acc, Value x) {
  if (ops.weights)
    return vector::FMAOp::create(b, loc, x, w.first, acc);
  if (!ops.ternary) {
    Value added = arith::AddFOp::create(b, loc, acc, x);
    Value subtracted = arith::SubFOp::create(b, loc, acc, x);
    return arith::SelectOp::create(b, loc, w.first, added, subtracted);
  }
  Value added = arith::SelectOp::create(
      b, loc, w.first, arith::AddFOp::create(b, loc, acc, x), acc);
  return arith::SelectOp::create(
      b, loc, w.second, arith::SubFOp::create(b, loc, added, x), added);
}

/// Independent accumulators per activation row in the main loop over K. One
/// accumulator makes every step wait for the previous one's add (4 cycles on
/// current x86 cores); several keep the vector units busy, so the loop runs
/// at the speed of the weights it reads rather than of one dependency chain.
constexpr int64_t kAccumulatorsPerRow = 4;
/// Activation rows that share each load (and, for the low-bit layers, the
/// decoding) of a weight group when M > 1. Two accumulators per row then
/// suffice: the rows' chains are independent too.
constexpr int64_t kRowBlock = 4;
constexpr int64_t kAccumulatorsPerBlockedRow = 2;

/// The pairwise sum of `values`.
Value sumPairwise(OpBuilder &b, Location loc, SmallVector<Value> values) {
  while (values.size() > 1) {
    SmallVector<Value> halved;
    for (size_t i = 0; i + 1 < values.size(); i += 2)
      halved.push_back(arith::AddFOp::create(b, loc, values[i], values[i + 1]));
    if (values.size() % 2)
      halved.push_back(values.back());
    values = std::move(halved);
  }
  return values.front();
}

/// sum_k x[m, k] * W[n, k] for each row m of `rows`, with W in {-1, 0, +1}
/// or {-1, +1} by adds alone (or by FMAs for float weights): a main loop of
/// `perRow` groups of `width` inputs a step (an accumulator for each row and
/// group), then single groups, then the zero-padded tail.
SmallVector<Value> emitRowsDot(OpBuilder &b, Location loc,
                               const KernelOperands &ops, Value n,
                               ArrayRef<Value> rows, int64_t width,
                               int64_t perRow) {
  auto vectorType = VectorType::get({width}, b.getF32Type());
  int64_t numRows = rows.size();
  int64_t unrolledEnd = ops.inFeatures / (width * perRow) * (width * perRow);
  int64_t fullEnd = ops.inFeatures / width * width;
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0)));
  // acc[r * groups + u] += W[n, k + u*width ..] . x[rows[r], ...]
  auto step = [&](OpBuilder &lb, Location lloc, Value k, ValueRange accs,
                  int64_t groups, bool tail) {
    SmallVector<Value> next(accs.begin(), accs.end());
    for (int64_t u = 0; u < groups; ++u) {
      Value ku =
          u ? arith::AddIOp::create(lb, lloc, k,
                                    indexConstant(lb, lloc, u * width))
                  .getResult()
            : k;
      WeightGroup w = loadWeights(lb, lloc, ops, n, ku, width, tail);
      for (int64_t r = 0; r < numRows; ++r) {
        Value x;
        if (tail) {
          Value zero =
              arith::ConstantOp::create(lb, lloc, lb.getF32FloatAttr(0));
          x = vector::TransferReadOp::create(lb, lloc, vectorType, ops.x,
                                             ValueRange{rows[r], ku}, zero,
                                             ArrayRef<bool>{false});
        } else {
          x = vector::LoadOp::create(lb, lloc, vectorType, ops.x,
                                     ValueRange{rows[r], ku});
        }
        Value &acc = next[r * groups + u];
        acc = applyWeights(lb, lloc, ops, w, acc, x);
      }
    }
    return next;
  };
  auto loopOver = [&](int64_t begin, int64_t end, int64_t groups,
                      SmallVector<Value> inits) {
    auto loop = scf::ForOp::create(
        b, loc, indexConstant(b, loc, begin), indexConstant(b, loc, end),
        indexConstant(b, loc, width * groups), inits,
        [&](OpBuilder &lb, Location lloc, Value k, ValueRange accs) {
          scf::YieldOp::create(lb, lloc,
                               step(lb, lloc, k, accs, groups, false));
        });
    return SmallVector<Value>(loop.getResults());
  };

  SmallVector<Value> accs(numRows, zeros);
  if (unrolledEnd > 0) {
    SmallVector<Value> partial =
        loopOver(0, unrolledEnd, perRow,
                 SmallVector<Value>(numRows * perRow, zeros));
    for (int64_t r = 0; r < numRows; ++r)
      accs[r] = sumPairwise(
          b, loc,
          SmallVector<Value>(partial.begin() + r * perRow,
                             partial.begin() + (r + 1) * perRow));
  }
  if (fullEnd > unrolledEnd)
    accs = loopOver(unrolledEnd, fullEnd, 1, accs);
  if (fullEnd != ops.inFeatures)
    accs = step(b, loc, indexConstant(b, loc, fullEnd), accs, 1, true);

  SmallVector<Value> sums;
  for (Value acc : accs)
    sums.push_back(
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc));
  return sums;
}

/// out[m, n] for all m and n: channels in parallel; inside, rows of x in
/// blocks of kRowBlock that share each weight load, then the rows left one
/// at a time. A channel's weights are read from memory once and from cache
/// for every block after the first.
void emitKernel(OpBuilder &b, Location loc, const KernelOperands &ops,
                Value out, int64_t width) {
  Value zero = indexConstant(b, loc, 0);
  Value one = indexConstant(b, loc, 1);
  Value rows = memref::DimOp::create(b, loc, ops.x, 0);
  Value block = indexConstant(b, loc, kRowBlock);
  Value blockedRows = arith::SubIOp::create(
      b, loc, rows, arith::RemUIOp::create(b, loc, rows, block));
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
        // The epilogue, once per output.
        auto store = [&](OpBuilder &fb, Location floc, Value m, Value y) {
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
        };
        scf::ForOp::create(
            pb, ploc, zero, blockedRows, block, ValueRange{},
            [&](OpBuilder &fb, Location floc, Value m0, ValueRange) {
              SmallVector<Value> ms;
              for (int64_t r = 0; r < kRowBlock; ++r)
                ms.push_back(
                    r ? arith::AddIOp::create(fb, floc, m0,
                                              indexConstant(fb, floc, r))
                            .getResult()
                      : m0);
              SmallVector<Value> ys = emitRowsDot(
                  fb, floc, ops, n, ms, width, kAccumulatorsPerBlockedRow);
              for (int64_t r = 0; r < kRowBlock; ++r)
                store(fb, floc, ms[r], ys[r]);
              scf::YieldOp::create(fb, floc);
            });
        scf::ForOp::create(
            pb, ploc, blockedRows, rows, one, ValueRange{},
            [&](OpBuilder &fb, Location floc, Value m, ValueRange) {
              Value y = emitRowsDot(fb, floc, ops, n, {m}, width,
                                    kAccumulatorsPerRow)[0];
              store(fb, floc, m, y);
              scf::YieldOp::create(fb, floc);
            });
      });
}

/// Runs the kernel on the operands' buffers and returns the [M, N] tensor.
Value emitLayer(OpBuilder &b, Location loc, const KernelOperands &ops,
                int64_t width) {
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

/// ternary_linear and sign_linear alike: the shared operands, read as
/// buffers, then the loop nest.
template <typename LayerOp>
struct LowBitLayerToVector : OpConversionPattern<LayerOp> {
  LowBitLayerToVector(MLIRContext *context, int64_t width)
      : OpConversionPattern<LayerOp>(context), width(width) {}

  LogicalResult
  matchAndRewrite(LayerOp op, typename LayerOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelOperands ops;
    static_cast<LowBitLayer &>(ops) = readBuffers(
        rewriter, loc,
        prepareLowBitLayer(rewriter, op, adaptor.getInput(), adaptor.getBias()));
    Value y = emitLayer(rewriter, loc, ops, width);
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
    KernelOperands ops;
    ops.x = readBuffer(rewriter, loc, collapseToMatrix(rewriter, loc, input));
    ops.inFeatures = weightType.getDimSize(1);
    ops.outFeatures = weightType.getDimSize(0);
    ops.weights = readBuffer(rewriter, loc, adaptor.getWeight());
    if (adaptor.getBias())
      ops.bias = readBuffer(rewriter, loc, adaptor.getBias());
    Value y = emitLayer(rewriter, loc, ops, width);
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
  patterns.add<LowBitLayerToVector<TernaryLinearOp>,
               LowBitLayerToVector<SignLinearOp>>(patterns.getContext(),
                                                  vectorWidth);
}
