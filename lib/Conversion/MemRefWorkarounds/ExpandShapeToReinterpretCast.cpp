//===- ExpandShapeToReinterpretCast.cpp - expand_shape as a plain view ----===//
//
// Upstream `--expand-strided-metadata` (LLVM 22) crashes on a
// memref.expand_shape whose reassociation group has several dynamic result
// sizes: it builds a memref.reinterpret_cast from a null size. The linear
// layers of every model with dynamic batch and sequence dims produce one
// (collapse [B, S, K] to [B*S, K], matmul, expand back to [B, S, N]).
// The expanded view is computed here instead, in the same way (base, offset
// and strides of the source from memref.extract_strided_metadata), for the
// ops upstream would crash on; the others are left to upstream.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace onebit {
#define GEN_PASS_DEF_EXPANDSHAPETOREINTERPRETCAST
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

/// True where some reassociation group has two or more dynamic sizes: the
/// case upstream cannot handle.
bool hasGroupWithSeveralDynamicSizes(memref::ExpandShapeOp op) {
  ArrayRef<int64_t> shape = op.getResultType().getShape();
  for (const ReassociationIndices &group : op.getReassociationIndices()) {
    if (llvm::count_if(group, [&](int64_t dim) {
          return ShapedType::isDynamic(shape[dim]);
        }) >= 2)
      return true;
  }
  return false;
}

/// a * b as an OpFoldResult, folded when both are constants.
OpFoldResult multiply(OpBuilder &b, Location loc, OpFoldResult lhs,
                      OpFoldResult rhs) {
  std::optional<int64_t> l = getConstantIntValue(lhs);
  std::optional<int64_t> r = getConstantIntValue(rhs);
  if (l && r)
    return b.getIndexAttr(*l * *r);
  if (l == 1)
    return rhs;
  if (r == 1)
    return lhs;
  return arith::MulIOp::create(b, loc,
                               getValueOrCreateConstantIndexOp(b, loc, lhs),
                               getValueOrCreateConstantIndexOp(b, loc, rhs))
      .getResult();
}

/// Within each group the innermost result dim keeps the source dim's stride
/// and each outer one strides over the sizes inside it; offset and base stay
/// those of the source (read through extract_strided_metadata, so any
/// strided source works).
struct ExpandShapeAsReinterpretCast : OpRewritePattern<memref::ExpandShapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::ExpandShapeOp op,
                                PatternRewriter &rewriter) const override {
    if (!hasGroupWithSeveralDynamicSizes(op))
      return failure();
    Location loc = op.getLoc();
    MemRefType sourceType = op.getSrcType();
    SmallVector<int64_t> sourceStrides;
    int64_t sourceOffset;
    if (failed(sourceType.getStridesAndOffset(sourceStrides, sourceOffset)))
      return failure();
    auto metadata =
        memref::ExtractStridedMetadataOp::create(rewriter, loc, op.getSrc());
    auto staticOr = [&](int64_t value, Value dynamic) -> OpFoldResult {
      if (ShapedType::isDynamic(value))
        return dynamic;
      return rewriter.getIndexAttr(value);
    };

    SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
    SmallVector<OpFoldResult> strides(sizes.size());
    for (auto [sourceDim, group] :
         llvm::enumerate(op.getReassociationIndices())) {
      OpFoldResult running = staticOr(sourceStrides[sourceDim],
                                      metadata.getStrides()[sourceDim]);
      for (int64_t dim : llvm::reverse(group)) {
        strides[dim] = running;
        running = multiply(rewriter, loc, running, sizes[dim]);
      }
    }
    rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
        op, op.getResultType(), metadata.getBaseBuffer(),
        staticOr(sourceOffset, metadata.getOffset()), sizes, strides);
    return success();
  }
};

struct ExpandShapeToReinterpretCastPass
    : onebit::impl::ExpandShapeToReinterpretCastBase<
          ExpandShapeToReinterpretCastPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandShapeAsReinterpretCast>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
