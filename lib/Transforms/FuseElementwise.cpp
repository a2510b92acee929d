//===- FuseElementwise.cpp - Elementwise fusion without recomputation -----===//
//
// Fusing an elementwise producer into its consumer saves writing and reading
// the producer's result, but the fused body runs once per iteration of the
// consumer. When the consumer reads the producer's result through a map that
// leaves out some of its loops (a broadcast, or a contraction's operand), the
// producer's arithmetic would run once for each value of the missing loops:
// fusing rotary embeddings into Q K^T multiplies their cost by the sequence
// length. This pass fuses only where each produced element is computed once.
//
//===----------------------------------------------------------------------===//

#include "onebit/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
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

struct FuseElementwise
    : onebit::impl::FuseElementwiseBase<FuseElementwise> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns,
                                                 fusesWithoutRecomputation);
    linalg::populateFoldReshapeOpsByExpansionPatterns(
        patterns, fusesWithoutRecomputation);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
