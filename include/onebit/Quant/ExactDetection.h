//===- ExactDetection.h - Find weights that are already low-bit -*- C++ -*-===//
//
// Models trained quantization-aware (BitNet) are often exported with float
// weights whose values are already exactly ternary or binary. These are packed
// without loss instead of being re-quantized.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_QUANT_EXACTDETECTION_H
#define ONEBIT_QUANT_EXACTDETECTION_H

#include "onebit/Quant/Types.h"

#include <optional>

namespace onebit::quant {

/// If every value of W (per tensor) or of each row (per channel) lies in
/// {-c, 0, +c} for one c > 0, returns trits and scales with dequantize(t) == W
/// bit for bit, except that a -0.0 comes back as +0.0 (a trit has no signed
/// zero, and BitNet exports are full of -0.0). A row (or tensor) of zeros gets
/// scale 1. NaN and infinities are never detected.
std::optional<TernaryWeights> detectExactTernary(MatrixView w,
                                                 Granularity granularity);

/// If every row of W lies in {-c_r, +c_r} for one c_r > 0 per row (no zeros),
/// returns the sign form with h = c, g = 1, which reproduces W exactly.
std::optional<SignWeights> detectExactBinary(MatrixView w);

} // namespace onebit::quant

#endif // ONEBIT_QUANT_EXACTDETECTION_H
