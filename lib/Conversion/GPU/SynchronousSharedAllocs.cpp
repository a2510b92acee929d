//===- SynchronousSharedAllocs.cpp - Take host_shared allocs off streams --===//
//
// gpu-async-region makes every gpu.alloc asynchronous, but gpu-to-llvm
// (LLVM 22) only lowers host_shared (managed memory) allocations that are
// not: CUDA allocates managed memory synchronously anyway. Such an alloc is
// turned back into a plain one, and the token it would have produced is its
// dependency's, so the stream's order is unchanged.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace onebit {
#define GEN_PASS_DEF_SYNCHRONOUSSHAREDALLOCS
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

struct SynchronousSharedAllocs
    : onebit::impl::SynchronousSharedAllocsBase<SynchronousSharedAllocs> {
  void runOnOperation() override {
    WalkResult result = getOperation()->walk([](gpu::AllocOp alloc) {
      if (!alloc.getHostShared() || !alloc.getAsyncToken())
        return WalkResult::advance();
      if (alloc.getAsyncDependencies().size() != 1) {
        alloc.emitOpError("expected exactly one async dependency, as "
                          "gpu-async-region makes them");
        return WalkResult::interrupt();
      }
      OpBuilder b(alloc);
      auto sync = gpu::AllocOp::create(
          b, alloc.getLoc(), alloc.getMemref().getType(), Type(),
          ValueRange{}, alloc.getDynamicSizes(), alloc.getSymbolOperands(),
          /*hostShared=*/true);
      alloc.getMemref().replaceAllUsesWith(sync.getMemref());
      alloc.getAsyncToken().replaceAllUsesWith(
          alloc.getAsyncDependencies().front());
      alloc.erase();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
