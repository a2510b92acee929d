//===- ParallelLoopsToGPU.cpp - scf.parallel loop nests to gpu.launch -----===//
//
// The generic path of the CUDA target: every loop nest that
// convert-linalg-to-parallel-loops made of a linalg op becomes one kernel
// launch with one thread per iteration. The iteration space is linearized so
// that any rank maps onto a one-dimensional grid of fixed-size blocks, with
// the innermost loop dimension varying fastest across neighbouring threads:
// for the row-major buffers of a model that makes their accesses coalesce.
// Reduction loops (scf.for) inside stay sequential in each thread.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"

namespace onebit {
#define GEN_PASS_DEF_PARALLELLOOPSTOGPU
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

/// Trip count of one loop dimension, never negative.
Value tripCount(OpBuilder &b, Location loc, Value lb, Value ub, Value step) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value span = arith::SubIOp::create(b, loc, ub, lb);
  Value trips = arith::CeilDivSIOp::create(b, loc, span, step);
  return arith::MaxSIOp::create(b, loc, trips, zero);
}

void convertToLaunch(scf::ParallelOp loop, int64_t blockSize) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  unsigned rank = loop.getNumLoops();
  SmallVector<Value> trips;
  Value total = arith::ConstantIndexOp::create(b, loc, 1);
  for (unsigned d = 0; d < rank; ++d) {
    trips.push_back(tripCount(b, loc, loop.getLowerBound()[d],
                              loop.getUpperBound()[d], loop.getStep()[d]));
    total = arith::MulIOp::create(b, loc, total, trips.back());
  }
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value threads = arith::ConstantIndexOp::create(b, loc, blockSize);
  // At least one block: an empty grid is a launch error, and the guard
  // below keeps the threads of a zero-trip loop idle.
  Value blocks = arith::MaxSIOp::create(
      b, loc, arith::CeilDivSIOp::create(b, loc, total, threads), one);
  auto launch =
      gpu::LaunchOp::create(b, loc, blocks, one, one, threads, one, one);

  b.setInsertionPointToStart(&launch.getBody().front());
  Value id = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, launch.getBlockIds().x, threads),
      launch.getThreadIds().x);
  Value inRange =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, id, total);
  auto guard = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
  gpu::TerminatorOp::create(b, loc);

  b.setInsertionPoint(guard.thenBlock()->getTerminator());
  IRMapping mapping;
  Value rest = id;
  for (int d = rank - 1; d >= 0; --d) {
    Value index = d == 0 ? rest : arith::RemSIOp::create(b, loc, rest, trips[d]);
    if (d != 0)
      rest = arith::DivSIOp::create(b, loc, rest, trips[d]);
    Value iv = arith::AddIOp::create(
        b, loc, loop.getLowerBound()[d],
        arith::MulIOp::create(b, loc, index, loop.getStep()[d]));
    mapping.map(loop.getInductionVars()[d], iv);
  }
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
  loop.erase();
}

struct ParallelLoopsToGPU
    : onebit::impl::ParallelLoopsToGPUBase<ParallelLoopsToGPU> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize <= 0 || blockSize > 1024) {
      getOperation()->emitError("block-size must be 1 to 1024, got ")
          << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    // Outermost loop nests only, and only those without reductions (the
    // linalg lowering makes reductions sequential scf.for loops).
    SmallVector<scf::ParallelOp> loops;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        if (loop.getNumReductions() == 0)
          loops.push_back(loop);
        return WalkResult::skip();
      }
      return WalkResult::advance();
    });
    for (scf::ParallelOp loop : loops)
      convertToLaunch(loop, blockSize);
  }
};

} // namespace
