//===- ExpandBFloat16.cpp - bf16 conversions as integer arithmetic --------===//
//
// Without AVX-512 BF16 (Zen 3, most Xeons before Cooper Lake) LLVM lowers a
// float-to-bf16 truncation to a call to __truncsfbf2, which only newer
// libgccs and compiler-rt define: a model with a Cast to bfloat16 would then
// fail to link on one machine and link on the next. Upstream's bf16
// expansion patterns turn arith.truncf and arith.extf between f32 and bf16
// into shifts and integer rounding (round to nearest even, NaN kept) on
// scalars and vectors alike, so the object never needs the library.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/Passes.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace onebit {
#define GEN_PASS_DEF_EXPANDBFLOAT16
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

struct ExpandBFloat16
    : public onebit::impl::ExpandBFloat16Base<ExpandBFloat16> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
