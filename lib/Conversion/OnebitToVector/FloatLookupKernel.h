//===- FloatLookupKernel.h - Float table-lookup kernels ---------*- C++ -*-===//
//
// What the two float-activation table-lookup kernels share: the layer's
// buffers and the epilogue. FloatLookupKernel.cpp holds the patterns and the
// kernel of 8-entry tables over 3-bit plane indices (AVX2's vpermps);
// WideFloatLookupKernel.cpp the kernel of 32-entry tables over 5-bit group
// codes, for AVX-512's two-source permute.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_CONVERSION_ONEBITTOVECTOR_FLOATLOOKUPKERNEL_H
#define ONEBIT_CONVERSION_ONEBITTOVECTOR_FLOATLOOKUPKERNEL_H

#include "LookupTableKernel.h"

#include "onebit/Conversion/LinearLayerUtils.h"

namespace onebit {

/// The layer's buffers (x: M x K f32), and the kernel's own.
struct FloatLookupOperands : LowBitLayer {
  mlir::Value words;  // the packed weights in the kernel's layout (i32)
  mlir::Value tables; // M x groups x entries f32
  mlir::Value out;    // M x N f32
  int64_t chunks = 0; // words per channel
};

/// out[m, n..n+L) = y * scale + bias for the L lanes of `y` (channels past
/// N are not written).
void storeFloatOutputs(mlir::ImplicitLocOpBuilder &b,
                       const FloatLookupOperands &ops, mlir::Value y,
                       mlir::Value m, mlir::Value n);

/// body(builder, m, g, inputs) for every row m of x and group g of
/// `group` inputs (one per row of ops.tables), in parallel over rows;
/// `inputs` holds x[m, g * group ...] in its first `group` lanes, 0 past K.
void forEachRowGroup(
    mlir::ImplicitLocOpBuilder &b, const FloatLookupOperands &ops,
    int64_t group,
    llvm::function_ref<void(mlir::ImplicitLocOpBuilder &, mlir::Value,
                            mlir::Value, mlir::Value)>
        body);

/// Entries of a wide table: two vectors of 16 f32.
constexpr int64_t kWideTableEntries = 32;

/// The wide-table kernel: `ops.words` in quant::packGroupCodeWords' layout
/// for blocks of wideBlockChannels(isa) channels, `ops.tables` M x (6 *
/// chunks) x 32.
int64_t wideBlockChannels(const LookupTableIsa &isa);
void emitWideTables(mlir::ImplicitLocOpBuilder &b,
                    const FloatLookupOperands &ops);
void emitWideProducts(mlir::ImplicitLocOpBuilder &b, const LookupTableIsa &isa,
                      const FloatLookupOperands &ops);

} // namespace onebit

#endif
