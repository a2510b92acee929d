//===- LookupTableKernel.h - Table-lookup kernel for W1.58A8 ----*- C++ -*-===//
//
// The ISAs the table-lookup kernels are built for, and their patterns. What
// differs between them is here: the vector width in bytes (the byte ops
// onebit.byte_lookup and onebit.pair_sum become that width's intrinsics in
// onebit-lower-byte-shuffles), and how many rows share a decoded vector of
// codes (AVX2 has 16 vector registers, AVX-512 32), and whether the float
// kernel can look up 32-entry tables (AVX-512's two-source permute).
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_CONVERSION_ONEBITTOVECTOR_LOOKUPTABLEKERNEL_H
#define ONEBIT_CONVERSION_ONEBITTOVECTOR_LOOKUPTABLEKERNEL_H

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/DialectConversion.h"

#include <optional>

namespace onebit {

struct LookupTableIsa {
  llvm::StringRef name;
  int64_t lanes;      // bytes per vector
  int64_t rowTile;    // rows per tile (int8 kernel)
  int64_t floatLanes; // f32 lanes per vector (float kernel)
  bool pairPermute;   // vpermi2ps: the float kernel's wide tables
};

/// "avx2" or "avx512"; nullopt for any other name.
std::optional<LookupTableIsa> lookupTableIsa(llvm::StringRef name);

/// ternary_linear with int8 activations to the table-lookup kernel
/// (LookupTableKernel.cpp).
void populateLookupTablePatterns(mlir::RewritePatternSet &patterns,
                                 const LookupTableIsa &isa);

/// ternary_linear with float activations and sign_linear to the float
/// table-lookup kernel (FloatLookupKernel.cpp).
void populateFloatLookupTablePatterns(mlir::RewritePatternSet &patterns,
                                      const LookupTableIsa &isa);

/// A buffer of `element` with one row per row of the M x K buffer `x` (M
/// static or dynamic) and the static dims `trailing`: the kernels' tables
/// and outputs.
mlir::Value allocatePerRow(mlir::ImplicitLocOpBuilder &b, mlir::Value x,
                           llvm::ArrayRef<int64_t> trailing,
                           mlir::Type element);

/// Replaces the layer `op` by the M x N buffer `out` the kernel filled, as a
/// tensor with the batch dims of `input` (the op's input) restored.
void replaceLayerWithOutput(mlir::ConversionPatternRewriter &rewriter,
                            mlir::Operation *op, mlir::Value out,
                            mlir::Value input);

} // namespace onebit

#endif
