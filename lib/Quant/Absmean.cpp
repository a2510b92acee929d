//===- Absmean.cpp - BitNet b1.58 absmean ternarization -------------------===//
#include "onebit/Quant/Absmean.h"

#include <algorithm>
#include <cmath>

namespace onebit::quant {

namespace {

double meanAbs(const float *values, int64_t count) {
  if (count <= 0)
    return 0.0;
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i)
    sum += std::fabs(static_cast<double>(values[i]));
  return sum / static_cast<double>(count);
}

float absmeanScale(const float *values, int64_t count) {
  // The floor keeps an all-zero (or nearly zero) tensor from dividing by zero;
  // BitNet clamps at the same value, so trits match its reference.
  return std::max(static_cast<float>(meanAbs(values, count)), kAbsmeanMinScale);
}

int8_t ternarize(float value, float gamma) {
  // The division stays in float, as torch does it, so that a value landing
  // exactly on +-0.5 or +-1.5 rounds the way BitNet's reference does.
  // nearbyint in the default rounding mode is round-half-to-even, torch.round.
  float rounded = std::nearbyint(value / gamma);
  // Comparisons rather than a cast: a NaN falls through to 0 instead of being
  // converted to an integer, which would be undefined.
  if (rounded >= 1.0f)
    return 1;
  if (rounded <= -1.0f)
    return -1;
  return 0;
}

} // namespace

TernaryWeights absmeanTernarize(MatrixView w, Granularity granularity) {
  TernaryWeights result;
  result.rows = w.rows;
  result.cols = w.cols;
  result.trits.resize(static_cast<size_t>(w.size()));

  if (granularity == Granularity::PerTensor)
    result.scales.push_back(absmeanScale(w.data, w.size()));
  else
    for (int64_t r = 0; r < w.rows; ++r)
      result.scales.push_back(absmeanScale(w.data + r * w.cols, w.cols));

  for (int64_t r = 0; r < w.rows; ++r) {
    float gamma = result.scaleOfRow(r);
    for (int64_t c = 0; c < w.cols; ++c)
      result.trits[r * w.cols + c] = ternarize(w.at(r, c), gamma);
  }
  return result;
}

std::vector<float> dequantize(const TernaryWeights &t) {
  std::vector<float> dense(static_cast<size_t>(t.rows * t.cols));
  for (int64_t r = 0; r < t.rows; ++r) {
    float scale = t.scaleOfRow(r);
    for (int64_t c = 0; c < t.cols; ++c)
      dense[r * t.cols + c] =
          scale * static_cast<float>(t.trits[r * t.cols + c]);
  }
  return dense;
}

} // namespace onebit::quant
