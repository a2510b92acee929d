//===- Passes.h - onebit transformation passes ------------------*- C++ -*-===//
#ifndef ONEBIT_TRANSFORMS_PASSES_H
#define ONEBIT_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "onebit/Dialect/OnebitDialect.h"
#include "onebit/Transforms/QuantizeEmbeddings.h"
#include "onebit/Transforms/Ternarize.h"

namespace onebit {

#define GEN_PASS_DECL
#include "onebit/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "onebit/Passes.h.inc"

} // namespace onebit

#endif // ONEBIT_TRANSFORMS_PASSES_H
