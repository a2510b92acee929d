//===- FuseElementwise.cpp - Elementwise fusion without recomputation -----===//
//
// Fusing an elementwise producer into its consumer saves writing and reading
// the producer's result, but the fused body runs once per iteration of the
// consumer. When the consumer reads the producer's result through a map that
// leaves out some of its loops (a broadcast, or a contraction's operand), the
// producer's arithmetic would run once for each value of the missing loops:
// fusing rotary embeddings into Q K^T multiplies their cost by the sequence
// length. This pass fuses only where each produced element is computed once,
// or where the producer computes nothing: a transpose or broadcast (Q K^T's
// K, the K and V that grouped-query attention repeats per head) then costs
// the consumer an index change instead of a copy of its operand.
//
//===----------------------------------------------------------------------===//

#include "onebit/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "llvm/ADT/SmallBitVector.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace onebit {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "onebit/Passes.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

/// Whether fusing the producer of `operand` into its consumer computes every
/// produced element exactly once: the producer has no other user, and the
/// consumer indexes the operand with a permutation of all its loops.
bool fusesWithoutRecomputation(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
  if (!consumer || !isa<linalg::LinalgOp>(producer))
    // A reshape folded into a generic by expansion: nothing is computed.
    return true;
  return consumer.getMatchingIndexingMap(operand).isPermutation();
}

/// Transposes and broadcasts as generics, which elementwise fusion takes
/// (it fuses generics only).
struct GeneralizeDataMovement
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<linalg::TransposeOp, linalg::BroadcastOp>(op))
      return failure();
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

/// Whether `producer` only moves data: one input, read through any map,
/// written through a permutation, the body yielding the input unchanged.
bool onlyMovesData(linalg::GenericOp producer) {
  if (producer.getNumDpsInputs() != 1 || producer.getNumDpsInits() != 1 ||
      producer.getNumReductionLoops() != 0 ||
      !producer.getMatchingIndexingMap(producer.getDpsInitOperand(0))
           .isPermutation())
    return false;
  Block *body = producer.getBody();
  return body->getOperations().size() == 1 &&
         body->getTerminator()->getOperand(0) == body->getArgument(0);
}

/// A consumer generic reads a transpose's or broadcast's input in place,
/// through the composed map, whatever its own map of the operand (the
/// elementwise fusion above refuses a consumer that skips some of its loops
/// there, which costs nothing when the producer computes nothing). A
/// reduction loop that only the moved operand bounded stays bounded by it.
struct FoldDataMovementIntoConsumer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    for (OpOperand *operand : consumer.getDpsInputOperands()) {
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      if (!producer || !onlyMovesData(producer))
        continue;
      AffineMap toOutput =
          producer.getMatchingIndexingMap(producer.getDpsInitOperand(0));
      AffineMap fromInput =
          producer.getMatchingIndexingMap(producer.getDpsInputOperand(0));
      AffineMap composed = fromInput.compose(inversePermutation(toOutput))
                               .compose(consumer.getMatchingIndexingMap(operand));
      SmallVector<AffineMap> maps = consumer.getIndexingMapsArray();
      maps[operand->getOperandNumber()] = composed;
      // Every loop must still be some operand's dimension, or its bound
      // would be lost.
      llvm::SmallBitVector bounded(consumer.getNumLoops());
      for (AffineMap map : maps)
        for (AffineExpr result : map.getResults())
          if (auto dim = dyn_cast<AffineDimExpr>(result))
            bounded.set(dim.getPosition());
      if (!bounded.all())
        continue;
      rewriter.modifyOpInPlace(consumer, [&] {
        operand->set(producer.getDpsInputOperand(0)->get());
        consumer.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      });
      return success();
    }
    return failure();
  }
};

struct FuseElementwise
    : onebit::impl::FuseElementwiseBase<FuseElementwise> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<GeneralizeDataMovement, FoldDataMovementIntoConsumer>(
        context);
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 fusesWithoutRecomputation);
    linalg::populateFoldReshapeOpsByExpansionPatterns(
        patterns, fusesWithoutRecomputation);
    // A reshape's size queries, answered from its source, leave the reshape
    // to the fusion that needs it to have one use.
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
