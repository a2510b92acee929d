//===- Types.h - Plain containers for quantized weight matrices -*- C++ -*-===//
//
// The quantization library works on row-major float matrices whose rows are
// output features and whose columns are input features (a linear layer's
// weight stored out x in, as onebit.linear keeps it). It has no MLIR in it.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_QUANT_TYPES_H
#define ONEBIT_QUANT_TYPES_H

#include <cstdint>
#include <vector>

namespace onebit::quant {

/// A read-only view of a row-major rows x cols float matrix.
struct MatrixView {
  const float *data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;

  int64_t size() const { return rows * cols; }
  float at(int64_t r, int64_t c) const { return data[r * cols + c]; }
};

/// Where a ternary scale applies: one for the whole tensor, or one per output
/// channel (row).
enum class Granularity { PerTensor, PerChannel };

/// W ~ diag(scales) * trits. `scales` holds 1 value (per tensor) or `rows`
/// values (per channel); every trit is -1, 0 or +1.
struct TernaryWeights {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int8_t> trits;
  std::vector<float> scales;

  float scaleOfRow(int64_t r) const {
    return scales.size() == 1 ? scales[0] : scales[r];
  }
};

/// OneBit's sign-value-independent form: W ~ sign(W) (.) (h g^T), where h has
/// one value per output row and g one per input column. `positive[i]` is 1
/// where the sign is +1 and 0 where it is -1 (sign(0) is taken as +1).
struct SignWeights {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<uint8_t> positive;
  std::vector<float> h; // length rows: the output-side value vector
  std::vector<float> g; // length cols: the input-side value vector
};

} // namespace onebit::quant

#endif // ONEBIT_QUANT_TYPES_H
