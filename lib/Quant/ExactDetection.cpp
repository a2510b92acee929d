//===- ExactDetection.cpp - Find weights that are already low-bit ---------===//
#include "onebit/Quant/ExactDetection.h"

#include <cmath>

namespace onebit::quant {

namespace {

/// The c of a span whose values all lie in {-c, 0, +c}: 0 when every value is
/// zero, nullopt when no such c exists. Infinities are refused because
/// inf * 0 would turn the zero trits into NaN on dequantization.
std::optional<float> ternaryMagnitude(const float *values, int64_t count) {
  float magnitude = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    float value = values[i];
    if (!std::isfinite(value))
      return std::nullopt;
    // Both zeros count as the zero trit: BitNet exports round(-0.3) * gamma,
    // which is -0.0, and refusing those would refuse most real checkpoints.
    if (value == 0.0f)
      continue;
    float absolute = std::fabs(value);
    if (magnitude == 0.0f)
      magnitude = absolute;
    else if (absolute != magnitude)
      return std::nullopt;
  }
  return magnitude;
}

/// The c_r of a row whose values all lie in {-c_r, +c_r} with c_r > 0.
std::optional<float> binaryMagnitude(const float *values, int64_t count) {
  // An empty row fits any c; 1 keeps h a harmless multiplier.
  if (count == 0)
    return 1.0f;
  float magnitude = std::fabs(values[0]);
  for (int64_t i = 0; i < count; ++i) {
    float value = values[i];
    if (!std::isfinite(value) || value == 0.0f || std::fabs(value) != magnitude)
      return std::nullopt;
  }
  return magnitude;
}

int8_t tritOf(float value) {
  if (value > 0.0f)
    return 1;
  if (value < 0.0f)
    return -1;
  return 0;
}

} // namespace

std::optional<TernaryWeights> detectExactTernary(MatrixView w,
                                                 Granularity granularity) {
  TernaryWeights result;
  result.rows = w.rows;
  result.cols = w.cols;

  auto addScale = [&](const float *values, int64_t count) {
    std::optional<float> magnitude = ternaryMagnitude(values, count);
    if (!magnitude)
      return false;
    // A span of zeros reproduces with any scale; 1 is the neutral choice.
    result.scales.push_back(*magnitude > 0.0f ? *magnitude : 1.0f);
    return true;
  };

  if (granularity == Granularity::PerTensor) {
    if (!addScale(w.data, w.size()))
      return std::nullopt;
  } else {
    for (int64_t r = 0; r < w.rows; ++r)
      if (!addScale(w.data + r * w.cols, w.cols))
        return std::nullopt;
  }

  result.trits.resize(static_cast<size_t>(w.size()));
  for (int64_t i = 0; i < w.size(); ++i)
    result.trits[i] = tritOf(w.data[i]);
  return result;
}

std::optional<SignWeights> detectExactBinary(MatrixView w) {
  SignWeights result;
  result.rows = w.rows;
  result.cols = w.cols;
  result.h.reserve(static_cast<size_t>(w.rows));
  for (int64_t r = 0; r < w.rows; ++r) {
    std::optional<float> magnitude =
        binaryMagnitude(w.data + r * w.cols, w.cols);
    if (!magnitude)
      return std::nullopt;
    result.h.push_back(*magnitude);
  }
  result.g.assign(static_cast<size_t>(w.cols), 1.0f);
  result.positive.resize(static_cast<size_t>(w.size()));
  for (int64_t i = 0; i < w.size(); ++i)
    result.positive[i] = w.data[i] > 0.0f ? 1 : 0;
  return result;
}

} // namespace onebit::quant
