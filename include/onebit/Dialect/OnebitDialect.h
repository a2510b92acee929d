//===- OnebitDialect.h - The onebit dialect ---------------------*- C++ -*-===//
#ifndef ONEBIT_DIALECT_ONEBITDIALECT_H
#define ONEBIT_DIALECT_ONEBITDIALECT_H

#include "mlir/IR/Dialect.h"

#include "onebit/OnebitDialect.h.inc"

#endif // ONEBIT_DIALECT_ONEBITDIALECT_H
