//===- OnebitDialect.cpp - The onebit dialect -----------------------------===//

#include "onebit/Dialect/OnebitDialect.h"
#include "onebit/Dialect/OnebitOps.h"

using namespace mlir;
using namespace onebit;

#include "onebit/OnebitDialect.cpp.inc"

void OnebitDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "onebit/OnebitOps.cpp.inc"
      >();
}
