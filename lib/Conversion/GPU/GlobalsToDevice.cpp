//===- GlobalsToDevice.cpp - Constant globals read through device copies --===//
//
// A model's weights are constant globals of model.so, in host memory, which
// a kernel cannot read. Each use of one in host code (where the pointer is
// put into the memref descriptor passed to kernels) becomes a call to the
// CUDA runtime's
//
//   void *onebit_cuda_constant(void **slot, const void *host, int64_t bytes)
//
// which copies the global to device memory the first time and caches the
// device pointer in `slot`, a per-global pointer variable: every run after
// the first one finds its weights on the device already.
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

namespace onebit {
#define GEN_PASS_DEF_GLOBALSTODEVICE
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kConstantFunction = "onebit_cuda_constant";

struct GlobalsToDevice : onebit::impl::GlobalsToDeviceBase<GlobalsToDevice> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = module.getContext();
    auto ptr = LLVM::LLVMPointerType::get(context);
    auto i64 = IntegerType::get(context, 64);
    DataLayout layout(module);

    // Uses in the module's own functions only: kernels in gpu.module ops
    // refer to their own (device) globals.
    SmallVector<LLVM::AddressOfOp> uses;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      func.walk([&](LLVM::AddressOfOp use) {
        auto global = dyn_cast_or_null<LLVM::GlobalOp>(
            SymbolTable::lookupSymbolIn(module, use.getGlobalNameAttr()));
        if (global && global.getConstant())
          uses.push_back(use);
      });
    if (uses.empty())
      return;

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto function = module.lookupSymbol<LLVM::LLVMFuncOp>(kConstantFunction);
    if (!function)
      function = LLVM::LLVMFuncOp::create(
          b, module.getLoc(), kConstantFunction,
          LLVM::LLVMFunctionType::get(ptr, {ptr, ptr, i64}));

    SymbolTable symbols(module);
    llvm::DenseMap<Attribute, LLVM::GlobalOp> slots;
    for (LLVM::AddressOfOp use : uses) {
      auto global = cast<LLVM::GlobalOp>(
          symbols.lookup(use.getGlobalNameAttr().getValue()));
      LLVM::GlobalOp &slot = slots[use.getGlobalNameAttr()];
      if (!slot) {
        b.setInsertionPointAfter(global);
        slot = LLVM::GlobalOp::create(
            b, global.getLoc(), ptr, /*isConstant=*/false,
            LLVM::Linkage::Internal,
            (global.getSymName() + "__device").str(), Attribute());
        symbols.insert(slot);
        // Starts as null: not copied yet.
        OpBuilder init = OpBuilder::atBlockBegin(
            &slot.getInitializerRegion().emplaceBlock());
        LLVM::ReturnOp::create(
            init, global.getLoc(),
            LLVM::ZeroOp::create(init, global.getLoc(), ptr).getResult());
      }
      b.setInsertionPointAfter(use);
      Location loc = use.getLoc();
      Value slotAddress = LLVM::AddressOfOp::create(b, loc, slot);
      Value hostAddress = LLVM::AddressOfOp::create(b, loc, global);
      Value bytes = LLVM::ConstantOp::create(
          b, loc, i64, layout.getTypeSize(global.getGlobalType()));
      Value device =
          LLVM::CallOp::create(b, loc, function,
                               ValueRange{slotAddress, hostAddress, bytes})
              .getResult();
      use.getResult().replaceAllUsesWith(device);
      use.erase();
    }
  }
};

} // namespace
