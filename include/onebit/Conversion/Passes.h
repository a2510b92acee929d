//===- Passes.h - onebit lowering passes ------------------------*- C++ -*-===//
#ifndef ONEBIT_CONVERSION_PASSES_H
#define ONEBIT_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace onebit {

/// Patterns that rewrite every onebit op into the reference form on linalg.
void populateOnebitToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// Patterns that rewrite ternary_linear and sign_linear into add-only vector
/// loops of `vectorWidth` lanes (a multiple of 8).
void populateOnebitToVectorPatterns(mlir::RewritePatternSet &patterns,
                                    int64_t vectorWidth);

#define GEN_PASS_DECL
#include "onebit/ConversionPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "onebit/ConversionPasses.h.inc"

} // namespace onebit

#endif // ONEBIT_CONVERSION_PASSES_H
