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
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  onebit::registerOnebitPasses();
  onebit::registerOnebitConversionPasses();
  onebit::registerCpuPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<onebit::OnebitDialect>();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "onebit optimizer driver\n", registry));
}
