//===- FuseValueScaling.cpp - Fold value vectors into neighbours ----------===//
//
// OneBit's g scales every input feature and h every output; ternary layers
// scale every output. These scalings are cheapest where a neighbour already
// multiplies by a per-channel constant (a norm weight before the layer, a
// scaling after it), or in the layer's own epilogue, which the kernels apply
// once per output. The rewrites here only reassociate products of constants,
// so results change by float rounding alone.
//
//===----------------------------------------------------------------------===//

#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace onebit {
#define GEN_PASS_DEF_FUSEVALUESCALING
#include "onebit/Passes.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

//===----------------------------------------------------------------------===//
// Per-channel elementwise ops
//===----------------------------------------------------------------------===//

/// y = x * v or y = x + v, with v a constant f32 vector broadcast along the
/// last dimension: a linalg.generic with two inputs, all-parallel iterators,
/// identity maps for x and y, and the map (d0, ..., dn) -> (dn) for v.
struct PerChannelOp {
  linalg::GenericOp op;
  unsigned activationIndex;
  unsigned vectorIndex;
  DenseElementsAttr vector;
  bool isMultiply;

  Value activation() { return op.getDpsInputOperand(activationIndex)->get(); }
  std::vector<float> values() {
    auto range = vector.getValues<float>();
    return std::vector<float>(range.begin(), range.end());
  }
};

std::optional<PerChannelOp> matchPerChannel(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic.getNumDpsInits() != 1 || generic->getNumResults() != 1 ||
      !llvm::all_of(generic.getIteratorTypesArray(),
                    linalg::isParallelIterator))
    return std::nullopt;

  Block &body = generic.getRegion().front();
  if (body.getOperations().size() != 2)
    return std::nullopt;
  Operation &arithOp = body.front();
  bool isMultiply = isa<arith::MulFOp>(arithOp);
  if (!isMultiply && !isa<arith::AddFOp>(arithOp))
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1 ||
      yield.getOperand(0) != arithOp.getResult(0))
    return std::nullopt;
  Value lhs = body.getArgument(0), rhs = body.getArgument(1);
  if (!((arithOp.getOperand(0) == lhs && arithOp.getOperand(1) == rhs) ||
        (arithOp.getOperand(0) == rhs && arithOp.getOperand(1) == lhs)))
    return std::nullopt;

  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  unsigned rank = generic.getNumLoops();
  if (rank == 0 || !maps[2].isIdentity())
    return std::nullopt;
  AffineMap lastDim = AffineMap::get(
      rank, 0, getAffineDimExpr(rank - 1, generic.getContext()));
  for (unsigned vectorIndex : {0u, 1u}) {
    unsigned activationIndex = 1 - vectorIndex;
    DenseElementsAttr vector;
    if (!matchPattern(generic.getDpsInputOperand(vectorIndex)->get(),
                      m_Constant(&vector)) ||
        vector.getType().getRank() != 1 ||
        !vector.getElementType().isF32() || maps[vectorIndex] != lastDim ||
        !maps[activationIndex].isIdentity() ||
        generic.getDpsInputOperand(activationIndex)->get().getType() !=
            generic->getResult(0).getType())
      continue;
    return PerChannelOp{generic, activationIndex, vectorIndex, vector,
                        isMultiply};
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

DenseElementsAttr f32Vector(MLIRContext *context, ArrayRef<float> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    Float32Type::get(context));
  return DenseElementsAttr::get(type, values);
}

std::vector<float> valuesOf(DenseElementsAttr attr) {
  auto range = attr.getValues<float>();
  return std::vector<float>(range.begin(), range.end());
}

/// The per-output factor a layer applies in its epilogue (h, or the scale
/// broadcast to N values), or nullopt for a sign_linear without h.
std::optional<std::vector<float>> outputScaleOf(Operation *layer, int64_t n) {
  if (auto ternary = dyn_cast<TernaryLinearOp>(layer)) {
    std::vector<float> scale = valuesOf(ternary.getScale());
    if (scale.size() == 1)
      scale.assign(n, scale[0]);
    return scale;
  }
  if (DenseElementsAttr h = cast<SignLinearOp>(layer).getHAttr())
    return valuesOf(h);
  return std::nullopt;
}

void setOutputScale(Operation *layer, DenseElementsAttr scale) {
  if (auto ternary = dyn_cast<TernaryLinearOp>(layer))
    ternary.setScaleAttr(scale);
  else
    cast<SignLinearOp>(layer).setHAttr(scale);
}

/// The layer's bias as numbers: an empty vector for no bias, nullopt for a
/// bias that is not a constant (and so cannot absorb anything).
std::optional<std::vector<float>> constantBiasOf(Value bias) {
  if (!bias)
    return std::vector<float>();
  DenseElementsAttr attr;
  if (!matchPattern(bias, m_Constant(&attr)) ||
      !attr.getElementType().isF32())
    return std::nullopt;
  return valuesOf(attr);
}

//===----------------------------------------------------------------------===//
// Patterns on the layer's output side
//===----------------------------------------------------------------------===//

/// The per-channel multiply (or add) of N values that is the only user of
/// the layer's result.
std::optional<PerChannelOp> matchFollowingPerChannel(Operation *layer,
                                                     bool multiply) {
  if (!layer->hasOneUse())
    return std::nullopt;
  std::optional<PerChannelOp> next = matchPerChannel(*layer->user_begin());
  auto resultType = cast<RankedTensorType>(layer->getResult(0).getType());
  if (!next || next->isMultiply != multiply ||
      next->activation() != layer->getResult(0) ||
      next->vector.getNumElements() != resultType.getShape().back())
    return std::nullopt;
  return next;
}

/// layer(x) * d  ->  layer'(x) with h' = h * d (or scale' = scale * d) and
/// bias' = bias * d.
template <typename LayerOp>
struct FoldFollowingMultiply : OpRewritePattern<LayerOp> {
  using OpRewritePattern<LayerOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerOp layer,
                                PatternRewriter &rewriter) const override {
    int64_t n = layer.getOutFeatures();
    std::optional<PerChannelOp> next =
        matchFollowingPerChannel(layer, /*multiply=*/true);
    std::optional<std::vector<float>> bias = constantBiasOf(layer.getBias());
    if (!next || !bias)
      return failure();

    std::vector<float> factor = next->values();
    std::vector<float> scale =
        outputScaleOf(layer, n).value_or(std::vector<float>(n, 1.0f));
    for (int64_t i = 0; i < n; ++i)
      scale[i] *= factor[i];
    for (size_t i = 0; i < bias->size(); ++i)
      (*bias)[i] *= factor[i];

    MLIRContext *context = rewriter.getContext();
    Value newBias;
    if (!bias->empty()) {
      rewriter.setInsertionPoint(layer);
      newBias = arith::ConstantOp::create(rewriter, layer.getLoc(),
                                          f32Vector(context, *bias));
    }
    rewriter.modifyOpInPlace(layer, [&] {
      setOutputScale(layer, f32Vector(context, scale));
      if (newBias)
        layer.getBiasMutable().assign(newBias);
    });
    rewriter.replaceOp(next->op, layer.getResult());
    return success();
  }
};

/// layer(x) + c  ->  layer'(x) with bias' = bias + c.
template <typename LayerOp>
struct FoldFollowingAdd : OpRewritePattern<LayerOp> {
  using OpRewritePattern<LayerOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerOp layer,
                                PatternRewriter &rewriter) const override {
    int64_t n = layer.getOutFeatures();
    std::optional<PerChannelOp> next =
        matchFollowingPerChannel(layer, /*multiply=*/false);
    std::optional<std::vector<float>> bias = constantBiasOf(layer.getBias());
    if (!next || !bias)
      return failure();

    std::vector<float> addend = next->values();
    if (bias->empty())
      bias->assign(n, 0.0f);
    for (int64_t i = 0; i < n; ++i)
      (*bias)[i] += addend[i];

    rewriter.setInsertionPoint(layer);
    Value newBias = arith::ConstantOp::create(
        rewriter, layer.getLoc(), f32Vector(rewriter.getContext(), *bias));
    rewriter.modifyOpInPlace(
        layer, [&] { layer.getBiasMutable().assign(newBias); });
    rewriter.replaceOp(next->op, layer.getResult());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Patterns on the layer's input side and between neighbours
//===----------------------------------------------------------------------===//

/// (x * c) feeding only sign_linear(g)  ->  (x * (c * g)) feeding
/// sign_linear without g. The norm weight before a layer absorbs g for free.
struct MoveGIntoPrecedingMultiply : OpRewritePattern<SignLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SignLinearOp layer,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr g = layer.getGAttr();
    if (!g)
      return failure();
    Operation *producer = layer.getInput().getDefiningOp();
    std::optional<PerChannelOp> previous = matchPerChannel(producer);
    if (!previous || !previous->isMultiply || !producer->hasOneUse() ||
        previous->vector.getNumElements() != g.getNumElements())
      return failure();

    std::vector<float> product = previous->values();
    std::vector<float> gValues = valuesOf(g);
    for (size_t i = 0; i < product.size(); ++i)
      product[i] *= gValues[i];

    rewriter.setInsertionPoint(producer);
    Value merged = arith::ConstantOp::create(
        rewriter, producer->getLoc(), f32Vector(rewriter.getContext(), product));
    rewriter.modifyOpInPlace(producer, [&] {
      previous->op.getDpsInputOperand(previous->vectorIndex)->set(merged);
    });
    rewriter.modifyOpInPlace(layer, [&] { layer.removeGAttr(); });
    return success();
  }
};

/// (x * a) * b  ->  x * (a * b), and (x + a) + b  ->  x + (a + b), where the
/// inner op has no other user.
struct MergePerChannelChain : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<PerChannelOp> outer = matchPerChannel(op);
    if (!outer)
      return failure();
    Operation *producer = outer->activation().getDefiningOp();
    std::optional<PerChannelOp> inner = matchPerChannel(producer);
    if (!inner || inner->isMultiply != outer->isMultiply ||
        !producer->hasOneUse() ||
        inner->vector.getNumElements() != outer->vector.getNumElements())
      return failure();

    std::vector<float> merged = inner->values();
    std::vector<float> outerValues = outer->values();
    for (size_t i = 0; i < merged.size(); ++i)
      merged[i] = outer->isMultiply ? merged[i] * outerValues[i]
                                    : merged[i] + outerValues[i];

    rewriter.setInsertionPoint(op);
    Value mergedVector = arith::ConstantOp::create(
        rewriter, op.getLoc(), f32Vector(rewriter.getContext(), merged));
    rewriter.modifyOpInPlace(op, [&] {
      op.getDpsInputOperand(outer->vectorIndex)->set(mergedVector);
      op.getDpsInputOperand(outer->activationIndex)->set(inner->activation());
    });
    rewriter.eraseOp(producer);
    return success();
  }
};

/// A value vector of all ones scales nothing: drop it.
struct DropUnitValueVectors : OpRewritePattern<SignLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  static bool isAllOnes(DenseElementsAttr attr) {
    return attr && llvm::all_of(attr.getValues<float>(),
                                [](float v) { return v == 1.0f; });
  }

  LogicalResult matchAndRewrite(SignLinearOp layer,
                                PatternRewriter &rewriter) const override {
    bool dropG = isAllOnes(layer.getGAttr());
    bool dropH = isAllOnes(layer.getHAttr());
    if (!dropG && !dropH)
      return failure();
    rewriter.modifyOpInPlace(layer, [&] {
      if (dropG)
        layer.removeGAttr();
      if (dropH)
        layer.removeHAttr();
    });
    return success();
  }
};

struct FuseValueScalingPass
    : onebit::impl::FuseValueScalingBase<FuseValueScalingPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldFollowingMultiply<TernaryLinearOp>,
                 FoldFollowingMultiply<SignLinearOp>,
                 FoldFollowingAdd<TernaryLinearOp>,
                 FoldFollowingAdd<SignLinearOp>, MoveGIntoPrecedingMultiply,
                 MergePerChannelChain, DropUnitValueVectors>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
