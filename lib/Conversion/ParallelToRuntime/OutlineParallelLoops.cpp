//===- OutlineParallelLoops.cpp - scf.parallel to dispatch calls ----------===//
//
// A model.so runs its parallel loops on onebit's own thread pool rather than
// on OpenMP, so that it needs nothing beyond the C and C++ runtimes. The
// runtime can only call functions of one fixed C signature, and a loop body
// captures values of any type, so this happens in two steps: here the body
// is outlined into a function whose parameters are (begin, end, captured
// values...), called through a dispatch function of the same parameters;
// after the lowering to LLVM (EmitParallelDispatch.cpp) the dispatch function
// packs those parameters into a struct for the fixed-signature trampoline.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/ParallelDispatch.h"
#include "onebit/Conversion/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"

namespace onebit {
#define GEN_PASS_DEF_OUTLINEPARALLELLOOPS
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

/// Only loops the runtime can split as they are: one dimension, from 0,
/// step 1, and not inside another parallel loop (those run inline).
bool isOutlinable(scf::ParallelOp loop) {
  return loop.getNumLoops() == 1 && loop.getInitVals().empty() &&
         matchPattern(loop.getLowerBound()[0], m_Zero()) &&
         matchPattern(loop.getStep()[0], m_One()) &&
         !loop->getParentOfType<scf::ParallelOp>();
}

void outline(scf::ParallelOp loop, unsigned index, ModuleOp module) {
  MLIRContext *context = module.getContext();
  Location loc = loop.getLoc();
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  SmallVector<Value> captured;
  SmallVector<Operation *> constants;
  for (Value value : used) {
    Operation *def = value.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      captured.push_back(value);
  }

  SmallVector<Type> parameterTypes = {IndexType::get(context),
                                      IndexType::get(context)};
  for (Value value : captured)
    parameterTypes.push_back(value.getType());
  auto functionType = FunctionType::get(context, parameterTypes, {});

  OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
  auto body = func::FuncOp::create(moduleBuilder, loc,
                                   parallelBodyName(index), functionType);
  body.setPrivate();
  auto dispatch = func::FuncOp::create(
      moduleBuilder, loc, parallelDispatchName(index), functionType);
  dispatch.setPrivate();

  // begin..end of the original body, as a sequential loop.
  Block *entry = body.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(entry);
  IRMapping mapping;
  for (Operation *constant : constants)
    mapping.map(constant->getResult(0), b.clone(*constant)->getResult(0));
  for (auto [value, argument] :
       llvm::zip(captured, entry->getArguments().drop_front(2)))
    mapping.map(value, argument);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  scf::ForOp::create(
      b, loc, entry->getArgument(0), entry->getArgument(1), one, ValueRange{},
      [&](OpBuilder &fb, Location floc, Value iv, ValueRange) {
        mapping.map(loop.getInductionVars()[0], iv);
        for (Operation &op : loop.getBody()->without_terminator())
          fb.clone(op, mapping);
        scf::YieldOp::create(fb, floc);
      });
  func::ReturnOp::create(b, loc);

  OpBuilder callBuilder(loop);
  SmallVector<Value> arguments = {loop.getLowerBound()[0],
                                  loop.getUpperBound()[0]};
  arguments.append(captured.begin(), captured.end());
  func::CallOp::create(callBuilder, loc, dispatch, arguments);
  loop.erase();
}

struct OutlineParallelLoopsPass
    : onebit::impl::OutlineParallelLoopsBase<OutlineParallelLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp loop) {
      if (isOutlinable(loop))
        loops.push_back(loop);
    });
    unsigned index = 0;
    for (scf::ParallelOp loop : loops)
      outline(loop, index++, module);
  }
};

} // namespace
