//===- Absmean.h - BitNet b1.58 absmean ternarization -----------*- C++ -*-===//
#ifndef ONEBIT_QUANT_ABSMEAN_H
#define ONEBIT_QUANT_ABSMEAN_H

#include "onebit/Quant/Types.h"

namespace onebit::quant {

/// The lower bound on gamma, as BitNet's reference BitLinear clamps it.
constexpr float kAbsmeanMinScale = 1e-5f;

/// BitNet b1.58 absmean quantization: gamma = max(mean|W|, 1e-5) over the
/// tensor or over each row, W_t = clamp(round(W / gamma), -1, 1) with round
/// half to even (as torch.round), and the scale stored is gamma.
TernaryWeights absmeanTernarize(MatrixView w, Granularity granularity);

/// diag(scales) * trits as a dense row-major float matrix.
std::vector<float> dequantize(const TernaryWeights &t);

} // namespace onebit::quant

#endif // ONEBIT_QUANT_ABSMEAN_H
