//===- LowerByteShuffles.cpp - The byte ops to x86 intrinsics -------------===//
//
// onebit.byte_lookup, onebit.pair_sum, onebit.lane_lookup and
// onebit.pair_lane_lookup are exactly vpshufb, vpmaddubsw, vpermps and
// vpermi2ps;
// they stay dialect ops (Pure) through bufferization and become intrinsic
// calls only here, on the way to LLVM.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/Passes.h"
#include "onebit/Dialect/OnebitOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace onebit {
#define GEN_PASS_DEF_LOWERBYTESHUFFLES
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

/// The intrinsic for `bytes` operand bytes: the AVX2 one for 32, the
/// AVX-512 one for 64.
std::optional<StringRef> intrinsicFor(int64_t bytes, StringRef avx2,
                                      StringRef avx512) {
  if (bytes == 32)
    return avx2;
  if (bytes == 64)
    return avx512;
  return std::nullopt;
}

struct LowerByteShufflesPass
    : onebit::impl::LowerByteShufflesBase<LowerByteShufflesPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    auto replace = [&](Operation *op, std::optional<StringRef> name) {
      if (!name) {
        op->emitError("has no x86 instruction for ")
            << op->getOperand(0).getType()
            << " (32 bytes need AVX2, 64 AVX-512)";
        return WalkResult::interrupt();
      }
      rewriter.setInsertionPoint(op);
      auto call = LLVM::CallIntrinsicOp::create(
          rewriter, op->getLoc(), op->getResult(0).getType(),
          rewriter.getStringAttr(*name), op->getOperands());
      rewriter.replaceOp(op, call.getResults());
      return WalkResult::advance();
    };
    WalkResult result = getOperation()->walk([&](Operation *op) {
      if (auto lookup = dyn_cast<ByteLookupOp>(op))
        return replace(op, intrinsicFor(lookup.getType().getNumElements(),
                                        "llvm.x86.avx2.pshuf.b",
                                        "llvm.x86.avx512.pshuf.b.512"));
      if (auto lookup = dyn_cast<LaneLookupOp>(op)) {
        int64_t lanes = lookup.getType().getNumElements();
        return replace(op, intrinsicFor(lanes * 4, "llvm.x86.avx2.permps",
                                        "llvm.x86.avx512.permvar.sf.512"));
      }
      if (auto lookup = dyn_cast<PairLaneLookupOp>(op)) {
        if (lookup.getType().getNumElements() != 16) {
          op->emitError("has no x86 instruction for ")
              << lookup.getType() << " (vpermi2ps takes 16 lanes, AVX-512)";
          return WalkResult::interrupt();
        }
        // The intrinsic takes (low, indices, high).
        rewriter.setInsertionPoint(op);
        auto call = LLVM::CallIntrinsicOp::create(
            rewriter, op->getLoc(), lookup.getType(),
            rewriter.getStringAttr("llvm.x86.avx512.vpermi2var.ps.512"),
            ValueRange{lookup.getLow(), lookup.getIndices(), lookup.getHigh()});
        rewriter.replaceOp(op, call.getResults());
        return WalkResult::advance();
      }
      if (auto pairs = dyn_cast<PairSumOp>(op))
        return replace(op,
                       intrinsicFor(pairs.getWeights().getType().getNumElements(),
                                    "llvm.x86.avx2.pmadd.ub.sw",
                                    "llvm.x86.avx512.pmaddubs.w.512"));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
