//===- RowScaled.cpp - Symmetric int8 / int4 weights, a scale per row -----===//

#include "onebit/Quant/RowScaled.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace onebit::quant;

RowScaledWeights onebit::quant::quantizeRowsSymmetric(MatrixView w, int bits) {
  assert((bits == 8 || bits == 4) && "8 or 4 bits");
  const float qmax = float((1 << (bits - 1)) - 1);
  RowScaledWeights q;
  q.rows = w.rows;
  q.cols = w.cols;
  q.bits = bits;
  q.values.assign(w.size(), 0);
  q.scales.assign(w.rows, 0.0f);
  for (int64_t r = 0; r < w.rows; ++r) {
    float largest = 0;
    for (int64_t c = 0; c < w.cols; ++c)
      largest = std::max(largest, std::fabs(w.at(r, c)));
    float scale = largest / qmax;
    if (!std::isfinite(scale) || scale == 0)
      continue;
    q.scales[r] = scale;
    for (int64_t c = 0; c < w.cols; ++c) {
      float scaled = w.at(r, c) / scale;
      if (!std::isfinite(scaled))
        continue;
      // nearbyint rounds half to even in the default rounding mode.
      q.values[r * w.cols + c] =
          static_cast<int8_t>(std::clamp(std::nearbyint(scaled), -qmax, qmax));
    }
  }
  return q;
}

int64_t onebit::quant::rowScaledBytesPerRow(int64_t cols, int64_t bits) {
  return bits == 8 ? cols : (cols + 1) / 2;
}

std::vector<uint8_t> onebit::quant::packRowScaled(const RowScaledWeights &w) {
  int64_t rowBytes = rowScaledBytesPerRow(w.cols, w.bits);
  std::vector<uint8_t> packed(w.rows * rowBytes, 0);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      auto value = static_cast<uint8_t>(w.values[r * w.cols + c]);
      if (w.bits == 8)
        packed[r * rowBytes + c] = value;
      else
        packed[r * rowBytes + c / 2] |= (value & 0xF) << (4 * (c % 2));
    }
  return packed;
}

std::vector<float> onebit::quant::dequantize(const RowScaledWeights &w) {
  std::vector<float> out(w.values.size());
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c)
      out[r * w.cols + c] = w.scales[r] * w.values[r * w.cols + c];
  return out;
}
