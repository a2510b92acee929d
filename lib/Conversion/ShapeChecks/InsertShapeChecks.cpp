//===- InsertShapeChecks.cpp - Run-time checks of assumed shapes ----------===//
//
// memref.cast %x : memref<?x?xf32> to memref<?x4xf32>  is a promise that
// dimension 1 is 4 at run time (tensor.cast alike); memref.reshape (and
// tensor.reshape) a promise that the shape holds as many elements as the
// source. Both come from the ONNX file's declarations, which the data can
// contradict. Each becomes
//
//   scf.if (not promise) { call @onebit_shape_check_failed("node: ...") }
//
// and the runtime ends the run there with the message as its error. The
// checks the importer states itself (onebit.check: Gather indices in range,
// dynamic dims that meet in a broadcast) become the same branch.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/Passes.h"
#include "onebit/Dialect/OnebitOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/Support/FormatVariadic.h"

namespace onebit {
#define GEN_PASS_DEF_INSERTSHAPECHECKS
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kFailFunction = "onebit_shape_check_failed";
/// The same with an i64 the message ends with (the offending index).
constexpr llvm::StringLiteral kFailAtFunction = "onebit_shape_check_failed_at";

/// The ONNX node a location names, or "the model" when it names none.
std::string nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations()) {
      std::string name = nodeName(inner);
      if (name != "the model")
        return name;
    }
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return llvm::formatv("{0}:{1}", file.getFilename(), file.getLine()).str();
  return "the model";
}

class CheckEmitter {
public:
  explicit CheckEmitter(ModuleOp module) : module(module) {}

  /// Unless the index values `size` and `expected` are equal, the run ends
  /// with `message`.
  void emitEqual(OpBuilder &b, Location loc, Value size, Value expected,
                 StringRef message) {
    emit(b, loc,
         arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size,
                               expected),
         message);
  }

  /// Unless `holds`, the run ends with `message`, followed by ": <value>"
  /// where an i64 `value` is given.
  void emit(OpBuilder &b, Location loc, Value holds, StringRef message,
            Value value = {}) {
    Value fails = arith::XOrIOp::create(
        b, loc, holds, arith::ConstantIntOp::create(b, loc, 1, 1));
    // The message's address is taken here, where the builder is inside the
    // module (LLVM sinks it into the branch).
    std::string text = (message + Twine('\0')).str();
    Value pointer = LLVM::createGlobalString(loc, b, freshName(), text,
                                             LLVM::Linkage::Internal);
    func::FuncOp fail = failFunction(loc, /*withValue=*/bool(value));
    SmallVector<Value> arguments{pointer};
    if (value)
      arguments.push_back(value);
    scf::IfOp::create(b, loc, fails, [&](OpBuilder &tb, Location tloc) {
      func::CallOp::create(tb, tloc, fail, arguments);
      scf::YieldOp::create(tb, tloc);
    });
  }

private:
  /// A name no symbol has yet (the pass runs twice on a module).
  std::string freshName() {
    std::string name;
    do
      name = llvm::formatv("__onebit_shape_check_{0}", count++).str();
    while (module.lookupSymbol(name));
    return name;
  }

  func::FuncOp failFunction(Location loc, bool withValue) {
    StringRef name = withValue ? kFailAtFunction : kFailFunction;
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    SmallVector<Type> inputs{LLVM::LLVMPointerType::get(b.getContext())};
    if (withValue)
      inputs.push_back(b.getI64Type());
    auto type = b.getFunctionType(inputs, {});
    auto function = func::FuncOp::create(b, loc, name, type);
    function.setPrivate();
    return function;
  }

  ModuleOp module;
  unsigned count = 0;
};

/// Dimension d of a tensor or a buffer.
Value dimOf(OpBuilder &b, Location loc, Value shaped, int64_t d) {
  if (isa<MemRefType>(shaped.getType()))
    return memref::DimOp::create(b, loc, shaped, d);
  return tensor::DimOp::create(b, loc, shaped, d);
}

/// Element i of a 1-d tensor or buffer, as an index.
Value elementOf(OpBuilder &b, Location loc, Value vector, int64_t i) {
  Value position = arith::ConstantIndexOp::create(b, loc, i);
  Value element =
      isa<MemRefType>(vector.getType())
          ? memref::LoadOp::create(b, loc, vector, position).getResult()
          : tensor::ExtractOp::create(b, loc, vector, position).getResult();
  if (!element.getType().isIndex())
    element = arith::IndexCastOp::create(b, loc, b.getIndexType(), element);
  return element;
}

/// Each dimension a cast (of a tensor or a buffer) makes static equals that
/// size.
void checkCast(Operation *cast, Value source, CheckEmitter &checks) {
  auto sourceType = dyn_cast<ShapedType>(source.getType());
  auto resultType = dyn_cast<ShapedType>(cast->getResult(0).getType());
  if (!sourceType || !resultType || !sourceType.hasRank() ||
      !resultType.hasRank())
    return;
  OpBuilder b(cast);
  Location loc = cast->getLoc();
  for (int64_t d = 0; d < resultType.getRank(); ++d) {
    if (!sourceType.isDynamicDim(d) || resultType.isDynamicDim(d))
      continue;
    Value size = dimOf(b, loc, source, d);
    Value declared =
        arith::ConstantIndexOp::create(b, loc, resultType.getDimSize(d));
    checks.emitEqual(b, loc, size, declared,
                llvm::formatv("{0}: dimension {1} of this value is not the "
                              "{2} that the model declares",
                              nodeName(loc), d, resultType.getDimSize(d))
                    .str());
  }
}

/// The product of `sizes`.
Value product(OpBuilder &b, Location loc, ArrayRef<Value> sizes) {
  Value total = arith::ConstantIndexOp::create(b, loc, 1);
  for (Value size : sizes)
    total = arith::MulIOp::create(b, loc, total, size);
  return total;
}

/// The new shape of a reshape (of a tensor or a buffer) holds as many
/// elements as the source. Checked on tensors too: the CUDA pipeline turns
/// reshapes into expand_shape ops before they become buffers.
template <typename ReshapeOp>
void checkReshape(ReshapeOp reshape, CheckEmitter &checks) {
  auto source = dyn_cast<ShapedType>(reshape.getSource().getType());
  auto shape = dyn_cast<ShapedType>(reshape.getShape().getType());
  if (!source || !source.hasRank() || !shape || !shape.hasStaticShape())
    return;
  OpBuilder b(reshape);
  Location loc = reshape.getLoc();
  SmallVector<Value> sourceSizes, newSizes;
  for (int64_t d = 0; d < source.getRank(); ++d)
    sourceSizes.push_back(dimOf(b, loc, reshape.getSource(), d));
  for (int64_t i = 0; i < shape.getDimSize(0); ++i)
    newSizes.push_back(elementOf(b, loc, reshape.getShape(), i));
  Value sourceElements = product(b, loc, sourceSizes);
  Value newElements = product(b, loc, newSizes);
  checks.emitEqual(b, loc, sourceElements, newElements,
              llvm::formatv("{0}: the reshape's target shape does not hold "
                            "as many elements as its input",
                            nodeName(loc))
                  .str());
}

/// Each group of an expand_shape's output sizes multiplies to the source
/// dimension it splits (the verifier has checked the groups of static
/// sizes, which split static dimensions). The CUDA pipeline turns reshapes
/// into expand_shape ops, and canonicalization can put a declared static
/// size among their sizes.
template <typename ExpandOp>
void checkExpand(ExpandOp expand, CheckEmitter &checks) {
  SmallVector<OpFoldResult> sizes = expand.getMixedOutputShape();
  OpBuilder b(expand);
  Location loc = expand.getLoc();
  for (auto [d, group] : llvm::enumerate(expand.getReassociationIndices())) {
    bool allStatic = llvm::all_of(group, [&](int64_t i) {
      return getConstantIntValue(sizes[i]).has_value();
    });
    if (allStatic)
      continue;
    SmallVector<Value> parts;
    for (int64_t i : group)
      parts.push_back(getValueOrCreateConstantIndexOp(b, loc, sizes[i]));
    Value size = dimOf(b, loc, expand.getSrc(), d);
    Value splitSize = product(b, loc, parts);
    checks.emitEqual(b, loc, size, splitSize,
                llvm::formatv("{0}: the sizes that dimension {1} is split "
                              "into do not multiply to its size",
                              nodeName(loc), d)
                    .str());
  }
}

struct InsertShapeChecks
    : onebit::impl::InsertShapeChecksBase<InsertShapeChecks> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> promises;
    module.walk([&](Operation *op) {
      if (isa<tensor::CastOp, memref::CastOp, tensor::ReshapeOp,
              memref::ReshapeOp, tensor::ExpandShapeOp, memref::ExpandShapeOp,
              onebit::CheckOp>(op))
        promises.push_back(op);
    });
    CheckEmitter checks(module);
    for (Operation *op : promises) {
      if (auto check = dyn_cast<onebit::CheckOp>(op)) {
        OpBuilder b(check);
        checks.emit(b, check.getLoc(), check.getCondition(),
                    check.getMessage(), check.getValue());
        check.erase();
      } else if (auto reshape = dyn_cast<memref::ReshapeOp>(op))
        checkReshape(reshape, checks);
      else if (auto reshape = dyn_cast<tensor::ReshapeOp>(op))
        checkReshape(reshape, checks);
      else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op))
        checkExpand(expand, checks);
      else if (auto expand = dyn_cast<memref::ExpandShapeOp>(op))
        checkExpand(expand, checks);
      else
        checkCast(op, op->getOperand(0), checks);
    }
  }
};

} // namespace
