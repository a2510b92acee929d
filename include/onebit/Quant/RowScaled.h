//===- RowScaled.h - Symmetric int8 / int4 weights, a scale per row -*- C++ -*-===//
//
// The weight-only quantization of embedding tables (and the LM head tied to
// one): each row keeps its own scale, the largest magnitude in it maps to
// the largest integer, and everything else rounds to the nearest step.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_QUANT_ROWSCALED_H
#define ONEBIT_QUANT_ROWSCALED_H

#include "onebit/Quant/Types.h"

#include <cstdint>
#include <vector>

namespace onebit::quant {

/// W ~ diag(scales) * values, each value in [-qmax, qmax] with
/// qmax = 2^(bits - 1) - 1 (127 for 8 bits, 7 for 4).
struct RowScaledWeights {
  int64_t rows = 0;
  int64_t cols = 0;
  int bits = 8;
  std::vector<int8_t> values;
  std::vector<float> scales;
};

/// scale[r] = max_c |W[r, c]| / qmax and values = clamp(round_half_even(
/// W / scale), -qmax, qmax). A row of zeros gets scale 0 and values 0; a
/// value that is not finite (NaN, or any value of a row holding an infinity)
/// becomes 0. `bits` is 8 or 4.
RowScaledWeights quantizeRowsSymmetric(MatrixView w, int bits);

/// Bytes per row of the packed form: cols for 8 bits, ceil(cols / 2) for 4.
int64_t rowScaledBytesPerRow(int64_t cols, int64_t bits);

/// The packed bytes, as onebit.quantized_linear reads them: 8 bits, one
/// two's-complement byte per value; 4 bits, value 2j in the low nibble and
/// 2j + 1 in the high nibble of byte j of the row (padding nibble zero).
std::vector<uint8_t> packRowScaled(const RowScaledWeights &w);

/// diag(scales) * values as a dense row-major float matrix.
std::vector<float> dequantize(const RowScaledWeights &w);

} // namespace onebit::quant

#endif // ONEBIT_QUANT_ROWSCALED_H
