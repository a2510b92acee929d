//===- EntryPoint.cpp - The model's entry and signature symbols -----------===//

#include "onebit/Compiler/EntryPoint.h"
#include "onebit/Runtime/ModelABI.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace onebit;

namespace {

/// onebit_dtype numbers (ONNX TensorProto.DataType), or 0 if unsupported.
int dtypeNumber(Type type) {
  if (type.isF32())
    return 1;
  if (type.isUnsignedInteger(8))
    return 2;
  if (type.isUnsignedInteger(16))
    return 4;
  if (type.isUnsignedInteger(32))
    return 12;
  if (type.isUnsignedInteger(64))
    return 13;
  if (type.isSignlessInteger(8))
    return 3;
  if (type.isSignlessInteger(16))
    return 5;
  if (type.isSignlessInteger(32))
    return 6;
  if (type.isSignlessInteger(64))
    return 7;
  if (type.isSignlessInteger(1))
    return 9;
  if (type.isF16())
    return 10;
  if (type.isF64())
    return 11;
  if (type.isBF16())
    return 16;
  return 0;
}

FailureOr<func::FuncOp> findEntry(ModuleOp module) {
  SmallVector<func::FuncOp> publicFuncs;
  for (auto func : module.getOps<func::FuncOp>())
    if (func.isPublic() && !func.isDeclaration())
      publicFuncs.push_back(func);
  if (publicFuncs.size() == 1)
    return publicFuncs.front();
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  return module.emitError("the model needs one public function (or one "
                          "named 'main') as its entry point; found ")
         << publicFuncs.size();
}

LogicalResult describe(Operation *where, StringRef direction, unsigned index,
                       Type type, DictionaryAttr attrs, std::string &text) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return where->emitError() << direction << " " << index
                              << " must be a ranked tensor, got " << type;
  int dtype = dtypeNumber(tensor.getElementType());
  if (!dtype)
    return where->emitError()
           << direction << " " << index << " has element type "
           << tensor.getElementType() << ", which the runtime does not support";
  std::string name =
      (direction == "input" ? "input" : "output") + std::to_string(index);
  if (attrs)
    if (auto onnxName = attrs.getAs<StringAttr>(kOnnxNameAttr))
      name = onnxName.str();
  if (StringRef(name).find_first_of("\t\n") != StringRef::npos)
    return where->emitError()
           << direction << " name '" << name << "' contains a tab or newline";
  SmallVector<std::string> dims;
  for (int64_t dim : tensor.getShape())
    dims.push_back(ShapedType::isDynamic(dim) ? "-1" : std::to_string(dim));
  text += (direction == "input" ? "in\t" : "out\t") + name + "\t" +
          std::to_string(dtype) + "\t" + llvm::join(dims, ",") + "\n";
  return success();
}

} // namespace

FailureOr<EntryPoint> onebit::prepareEntryPoint(ModuleOp module) {
  FailureOr<func::FuncOp> func = findEntry(module);
  if (failed(func))
    return failure();
  EntryPoint entry;
  entry.functionName = func->getSymName().str();
  FunctionType type = func->getFunctionType();
  entry.numInputs = type.getNumInputs();
  entry.numOutputs = type.getNumResults();
  if (entry.numOutputs == 0)
    return func->emitError("the entry function returns nothing");
  for (unsigned i = 0; i < entry.numInputs; ++i)
    if (failed(describe(*func, "input", i, type.getInput(i),
                        func->getArgAttrDict(i), entry.signature)))
      return failure();
  for (unsigned i = 0; i < entry.numOutputs; ++i)
    if (failed(describe(*func, "output", i, type.getResult(i),
                        func->getResultAttrDict(i), entry.signature)))
      return failure();
  // The inputs are views of the caller's arrays (the runtime does not copy
  // them, and concurrent runs may share one): bufferization must copy
  // rather than update an input in place.
  for (unsigned i = 0; i < entry.numInputs; ++i)
    func->setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                     BoolAttr::get(module.getContext(), false));
  (*func)->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                   UnitAttr::get(module.getContext()));
  return entry;
}

LogicalResult onebit::emitEntrySymbols(ModuleOp module,
                                       const EntryPoint &entry) {
  MLIRContext *context = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();

  std::string text = entry.signature;
  text.push_back('\0');
  auto textType =
      LLVM::LLVMArrayType::get(IntegerType::get(context, 8), text.size());
  LLVM::GlobalOp::create(b, loc, textType, /*isConstant=*/true,
                         LLVM::Linkage::External, abi::kSignatureSymbol,
                         b.getStringAttr(text));

  std::string wrapper = "_mlir_ciface_" + entry.functionName;
  auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>(wrapper);
  if (!callee)
    return module.emitError("lowering did not produce the C interface '")
           << wrapper << "' of the entry function";

  // onebit_model_entry(void **inputs, void *results) ->
  //   _mlir_ciface_<entry>(results, inputs[0], inputs[1], ...)
  auto ptr = LLVM::LLVMPointerType::get(context);
  auto entryType =
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context), {ptr, ptr});
  auto entryFunc =
      LLVM::LLVMFuncOp::create(b, loc, abi::kEntrySymbol, entryType);
  Block *block = entryFunc.addEntryBlock(b);
  b.setInsertionPointToStart(block);
  SmallVector<Value> args = {block->getArgument(1)};
  for (unsigned i = 0; i < entry.numInputs; ++i) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, block->getArgument(0),
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    args.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
  }
  if (callee.getNumArguments() != args.size())
    return module.emitError("the C interface '")
           << wrapper << "' takes " << callee.getNumArguments()
           << " arguments, expected " << args.size();
  LLVM::CallOp::create(b, loc, callee, args);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return success();
}
