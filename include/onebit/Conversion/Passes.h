//===- Passes.h - onebit lowering passes ------------------------*- C++ -*-===//
#ifndef ONEBIT_CONVERSION_PASSES_H
#define ONEBIT_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace onebit {

/// Patterns that rewrite every onebit op into the reference form on linalg.
void populateOnebitToLinalgPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_DECL
#include "onebit/ConversionPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "onebit/ConversionPasses.h.inc"

} // namespace onebit

#endif // ONEBIT_CONVERSION_PASSES_H
