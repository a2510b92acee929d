//===- OnebitOps.h - onebit operations --------------------------*- C++ -*-===//
#ifndef ONEBIT_DIALECT_ONEBITOPS_H
#define ONEBIT_DIALECT_ONEBITOPS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "onebit/Dialect/OnebitDialect.h"

#define GET_OP_CLASSES
#include "onebit/OnebitOps.h.inc"

#endif // ONEBIT_DIALECT_ONEBITOPS_H
