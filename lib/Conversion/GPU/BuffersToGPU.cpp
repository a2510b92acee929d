//===- BuffersToGPU.cpp - Put a bufferized model's buffers on the GPU -----===//
//
// After bufferization a model allocates host memory and copies with
// memref.copy. For the CUDA target every buffer becomes GPU memory instead,
// and the entry function copies its inputs in once and its results out once,
// so the runtime's contract (host arrays in, malloc'ed results out: see
// ModelABI.h) is the same for CPU and CUDA models.
//
// The buffers are `host_shared` (CUDA managed memory): a few ops stay on the
// host (the shape operands of memref.reshape, a reduction of a whole tensor
// to a scalar), and they may then read a kernel's result, in order, because
// gpu-async-region waits for the stream before each such op.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace onebit {
#define GEN_PASS_DEF_BUFFERSTOGPU
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value memref) {
  SmallVector<Value> sizes;
  auto type = cast<MemRefType>(memref.getType());
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(b, loc, memref, d));
  return sizes;
}

/// The buffer a view (reshape, subview, cast...) looks into.
Value viewRoot(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// memref.copy between GPU buffers becomes linalg.copy, which then lowers
/// to a kernel like every other linalg op (and takes any strides).
void copiesToLinalg(func::FuncOp func) {
  func.walk([](memref::CopyOp copy) {
    OpBuilder b(copy);
    linalg::CopyOp::create(b, copy.getLoc(), ValueRange{copy.getSource()},
                           ValueRange{copy.getTarget()});
    copy.erase();
  });
}

void allocationsToGPU(func::FuncOp func) {
  func.walk([](memref::AllocOp alloc) {
    OpBuilder b(alloc);
    auto gpuAlloc = gpu::AllocOp::create(
        b, alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(),
        ValueRange{}, alloc.getDynamicSizes(), alloc.getSymbolOperands(),
        /*hostShared=*/true);
    alloc.replaceAllUsesWith(gpuAlloc.getMemref());
    alloc.erase();
  });
  func.walk([](memref::DeallocOp dealloc) {
    OpBuilder b(dealloc);
    gpu::DeallocOp::create(b, dealloc.getLoc(), /*asyncToken=*/Type(),
                           ValueRange{}, dealloc.getMemref());
    dealloc.erase();
  });
}

/// Inputs: one device copy each, made on entry and freed on return. Results:
/// copied into fresh host buffers, and the device buffers they were (if this
/// function allocated them) freed.
LogicalResult copyAtBoundary(func::FuncOp func) {
  Block &entry = func.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  SmallVector<Value> inputCopies;
  for (BlockArgument arg : entry.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || arg.use_empty())
      continue;
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : arg.getUses())
      uses.push_back(&use);
    Location loc = arg.getLoc();
    Value copy = gpu::AllocOp::create(b, loc, type, Type(), ValueRange{},
                                      dynamicSizes(b, loc, arg), ValueRange{},
                                      /*hostShared=*/true)
                     .getMemref();
    gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, copy, arg);
    for (OpOperand *use : uses)
      use->set(copy);
    inputCopies.push_back(copy);
  }

  WalkResult result = func.walk([&](func::ReturnOp ret) {
    OpBuilder b(ret);
    Location loc = ret.getLoc();
    SetVector<Value> toFree(inputCopies.begin(), inputCopies.end());
    for (OpOperand &operand : ret->getOpOperands()) {
      auto type = dyn_cast<MemRefType>(operand.get().getType());
      if (!type)
        continue;
      if (!type.getLayout().isIdentity()) {
        ret.emitOpError("returns a buffer with a non-identity layout (")
            << type << "); the CUDA target needs identity layouts at the "
            << "function boundary";
        return WalkResult::interrupt();
      }
      Value device = operand.get();
      Value host = memref::AllocOp::create(b, loc, type,
                                           dynamicSizes(b, loc, device))
                       .getResult();
      gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, host, device);
      operand.set(host);
      Value root = viewRoot(device);
      if (root.getDefiningOp<gpu::AllocOp>())
        toFree.insert(root);
    }
    for (Value buffer : toFree)
      gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, buffer);
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

struct BuffersToGPU : onebit::impl::BuffersToGPUBase<BuffersToGPU> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isDeclaration())
        continue;
      copiesToLinalg(func);
      allocationsToGPU(func);
      if (func.isPublic() && failed(copyAtBoundary(func)))
        return signalPassFailure();
    }
  }
};

} // namespace
