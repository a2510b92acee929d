//===- ReshapeToExpandShape.cpp - Reshapes without a shape tensor ---------===//
//
// tensor.reshape %x(tensor.from_elements %s0, ..., %sn)
//   ->  tensor.expand_shape (tensor.collapse_shape %x into 1-D)
//         output_shape [index(%s0), ..., index(%sn)]
//
// Both are views of the same row-major data, so the rewrite is exact; what
// it removes is the shape tensor, a buffer that host code would fill and
// read at run time.
//
//===----------------------------------------------------------------------===//

#include "onebit/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace onebit {
#define GEN_PASS_DEF_RESHAPETOEXPANDSHAPE
#include "onebit/Passes.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

struct ReshapeOfListedShape : OpRewritePattern<tensor::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ReshapeOp reshape,
                                PatternRewriter &rewriter) const override {
    auto shape = reshape.getShape().getDefiningOp<tensor::FromElementsOp>();
    auto source = cast<RankedTensorType>(reshape.getSource().getType());
    auto result = cast<RankedTensorType>(reshape.getResult().getType());
    if (!shape || source.getRank() == 0 || result.getRank() == 0)
      return rewriter.notifyMatchFailure(reshape, "not a listed, ranked shape");
    Location loc = reshape.getLoc();

    Value flat = reshape.getSource();
    if (source.getRank() > 1) {
      SmallVector<ReassociationIndices> all = {
          llvm::to_vector(llvm::seq<int64_t>(0, source.getRank()))};
      flat = tensor::CollapseShapeOp::create(rewriter, loc, flat, all);
    }
    // The 1-D view has the result's element count; say so statically when
    // the result knows it, as expand_shape's verifier wants.
    auto flatType = cast<RankedTensorType>(flat.getType());
    int64_t count = result.hasStaticShape() ? result.getNumElements()
                                            : ShapedType::kDynamic;
    if (flatType.getDimSize(0) != count)
      flat = tensor::CastOp::create(rewriter, loc, flatType.clone({count}),
                                    flat);
    if (result.getRank() == 1) {
      rewriter.replaceOpWithNewOp<tensor::CastOp>(reshape, result, flat);
      return success();
    }

    SmallVector<OpFoldResult> sizes;
    for (auto [dim, element] :
         llvm::enumerate(shape.getElements())) {
      if (!result.isDynamicDim(dim)) {
        sizes.push_back(rewriter.getIndexAttr(result.getDimSize(dim)));
        continue;
      }
      Value size = element;
      if (!size.getType().isIndex())
        size = arith::IndexCastOp::create(rewriter, loc,
                                          rewriter.getIndexType(), size);
      sizes.push_back(size);
    }
    SmallVector<ReassociationIndices> into = {
        llvm::to_vector(llvm::seq<int64_t>(0, result.getRank()))};
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(reshape, result, flat,
                                                       into, sizes);
    return success();
  }
};

struct ReshapeToExpandShape
    : onebit::impl::ReshapeToExpandShapeBase<ReshapeToExpandShape> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ReshapeOfListedShape>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
