//===- EmitParallelDispatch.cpp - Pack loop captures for the runtime ------===//
//
// The second step of running outlined parallel loops on the runtime's thread
// pool (see OutlineParallelLoops.cpp). In the LLVM dialect every captured
// value, memref descriptors included, has become plain parameters of the
// dispatch and body functions, in the same order. The dispatch function
// stores them into one stack struct and hands the runtime a trampoline of
// the fixed signature (ctx, begin, end) that loads them back and calls the
// body for its chunk.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/ParallelDispatch.h"
#include "onebit/Conversion/Passes.h"

#include "mlir/IR/Builders.h"

namespace onebit {
#define GEN_PASS_DEF_EMITPARALLELDISPATCH
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

LLVM::LLVMFuncOp declareParallelFor(ModuleOp module) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(kParallelForSymbol))
    return existing;
  MLIRContext *context = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(context);
  auto i64 = IntegerType::get(context, 64);
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(
      b, module.getLoc(), kParallelForSymbol,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context),
                                  {ptr, ptr, i64, i64}));
}

LogicalResult defineDispatch(LLVM::LLVMFuncOp dispatch, ModuleOp module) {
  std::string index =
      dispatch.getSymName().drop_front(strlen(kParallelDispatchPrefix)).str();
  auto body =
      module.lookupSymbol<LLVM::LLVMFuncOp>(kParallelBodyPrefix + index);
  if (!body || body.getFunctionType() != dispatch.getFunctionType())
    return dispatch.emitError("no parallel body with the dispatch's "
                              "parameters for ")
           << dispatch.getSymName();
  MLIRContext *context = module.getContext();
  Location loc = dispatch.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(context);
  auto i64 = IntegerType::get(context, 64);
  ArrayRef<Type> parameters = dispatch.getFunctionType().getParams();
  if (parameters.size() < 2 || parameters[0] != i64 || parameters[1] != i64)
    return dispatch.emitError("a parallel dispatch must start with the i64 "
                              "bounds of the loop");
  auto context_t = LLVM::LLVMStructType::getLiteral(
      context, SmallVector<Type>(parameters.drop_front(2)));
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());

  // trampoline(ctx, begin, end): body(begin, end, ctx fields...)
  auto trampoline = LLVM::LLVMFuncOp::create(
      b, loc, kParallelTrampolinePrefix + index,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context),
                                  {ptr, i64, i64}));
  trampoline.setLinkage(LLVM::Linkage::Internal);
  {
    Block *block = trampoline.addEntryBlock(b);
    OpBuilder tb = OpBuilder::atBlockEnd(block);
    SmallVector<Value> arguments = {block->getArgument(1),
                                    block->getArgument(2)};
    for (auto [field, type] : llvm::enumerate(parameters.drop_front(2))) {
      Value address = LLVM::GEPOp::create(
          tb, loc, ptr, context_t, block->getArgument(0),
          ArrayRef<LLVM::GEPArg>{0, int32_t(field)});
      arguments.push_back(LLVM::LoadOp::create(tb, loc, type, address));
    }
    LLVM::CallOp::create(tb, loc, body, arguments);
    LLVM::ReturnOp::create(tb, loc, ValueRange{});
  }

  // dispatch(begin, end, captured...): pack and hand over to the runtime.
  Block *block = dispatch.addEntryBlock(b);
  OpBuilder db = OpBuilder::atBlockEnd(block);
  Value one = LLVM::ConstantOp::create(db, loc, i64, db.getI64IntegerAttr(1));
  Value ctx = LLVM::AllocaOp::create(db, loc, ptr, context_t, one);
  for (auto [field, argument] :
       llvm::enumerate(block->getArguments().drop_front(2))) {
    Value address = LLVM::GEPOp::create(db, loc, ptr, context_t, ctx,
                                        ArrayRef<LLVM::GEPArg>{0, int32_t(field)});
    LLVM::StoreOp::create(db, loc, argument, address);
  }
  Value function = LLVM::AddressOfOp::create(db, loc, trampoline);
  LLVM::CallOp::create(db, loc, declareParallelFor(module),
                       ValueRange{function, ctx, block->getArgument(0),
                                  block->getArgument(1)});
  LLVM::ReturnOp::create(db, loc, ValueRange{});
  dispatch.setLinkage(LLVM::Linkage::Internal);
  body.setLinkage(LLVM::Linkage::Internal);
  return success();
}

struct EmitParallelDispatchPass
    : onebit::impl::EmitParallelDispatchBase<EmitParallelDispatchPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> dispatches;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func.isExternal() &&
          func.getSymName().starts_with(kParallelDispatchPrefix))
        dispatches.push_back(func);
    for (LLVM::LLVMFuncOp dispatch : dispatches)
      if (failed(defineDispatch(dispatch, module)))
        return signalPassFailure();
  }
};

} // namespace
