//===- onebit-opt.cpp - mlir-opt with the onebit dialect and passes -------===//
//
// Every upstream dialect and pass, plus onebit's, so that any stage of a
// compile can be reproduced and tested by hand.
//
//===----------------------------------------------------------------------===//

#include "onebit/Compiler/Pipelines.h"
#include "onebit/Conversion/Passes.h"
#include "onebit/Dialect/OnebitDialect.h"
#include "onebit/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  onebit::registerOnebitPasses();
  onebit::registerOnebitConversionPasses();
  onebit::registerCpuPipelines();
  onebit::registerCudaPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<onebit::OnebitDialect>();
  // gpu-module-to-binary: NVVM kernels to PTX and cubin.
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerAllGPUToLLVMIRTranslations(registry);
  mlir::registerNVVMDialectTranslation(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "onebit optimizer driver\n", registry));
}
