//===- LastPositionOnly.cpp - Outputs computed at the last position -------===//
//
// Generation reads a decoder's logits at the last position only. Computing
// them there alone takes the LM head over the rest of the prompt out of
// prefill (llama.cpp's prompt processing likewise outputs the last token's
// logits only).
//
//===----------------------------------------------------------------------===//

#include "onebit/Compiler/EntryPoint.h"
#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringSet.h"

namespace onebit {
#define GEN_PASS_DEF_LASTPOSITIONONLY
#include "onebit/Passes.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

bool isLayer(Operation *op) {
  return isa<onebit::LinearOp, onebit::TernaryLinearOp, onebit::SignLinearOp,
             onebit::QuantizedLinearOp>(op);
}

/// The layer `layer` applied to the last position of its input only.
Value atLastPosition(OpBuilder &b, Operation *layer, StringRef name) {
  Location loc = layer->getLoc();
  Value x = layer->getOperand(0);
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rank = xType.getRank();
  int64_t position = rank - 2;
  Value length = tensor::DimOp::create(b, loc, x, position);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value nonEmpty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                         length, one);
  onebit::CheckOp::create(
      b, loc, nonEmpty,
      b.getStringAttr("output '" + name +
                      "' is computed at the last position only "
                      "(--last-position-only), but dimension " +
                      std::to_string(position) + " of its layer's input is 0"),
      Value());
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  offsets[position] = arith::SubIOp::create(b, loc, length, one).getResult();
  sizes[position] = b.getIndexAttr(1);
  Value last = tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes,
                                              strides);
  Operation *clone = b.clone(*layer);
  clone->setOperand(0, last);
  auto resultType = cast<RankedTensorType>(layer->getResult(0).getType());
  SmallVector<int64_t> shape(resultType.getShape());
  shape[position] = 1;
  clone->getResult(0).setType(resultType.clone(shape));
  return clone->getResult(0);
}

struct LastPositionOnly
    : onebit::impl::LastPositionOnlyBase<LastPositionOnly> {
  using LastPositionOnlyBase::LastPositionOnlyBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || outputs.empty())
      return;
    llvm::StringSet<> wanted;
    for (const std::string &name : outputs)
      wanted.insert(name);
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    OpBuilder b(ret);
    SmallVector<Type> results(func.getResultTypes());
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      auto name = func.getResultAttrOfType<StringAttr>(
          i, onebit::kOnnxNameAttr);
      if (!name || !wanted.erase(name.getValue()))
        continue;
      Operation *layer = ret.getOperand(i).getDefiningOp();
      auto type = dyn_cast<RankedTensorType>(ret.getOperand(i).getType());
      if (!layer || !isLayer(layer) || !type || type.getRank() < 2) {
        emitError(func.getLoc()) << "--last-position-only: output '"
                         << name.getValue()
                         << "' is not the result of a linear layer over "
                            "positions (a MatMul or Gemm into it, of rank 2 "
                            "or more)";
        return signalPassFailure();
      }
      b.setInsertionPointAfter(layer);
      Value last = atLastPosition(b, layer, name.getValue());
      ret.setOperand(i, last);
      results[i] = last.getType();
      if (layer->use_empty())
        layer->erase();
    }
    if (!wanted.empty()) {
      emitError(func.getLoc()) << "--last-position-only: the model has no output "
                          "named '"
                       << wanted.begin()->getKey() << "'";
      return signalPassFailure();
    }
    func.setFunctionType(
        FunctionType::get(func.getContext(), func.getArgumentTypes(),
                          results));
  }
};

} // namespace
