//===- RandomMatrix.h - Reproducible random test matrices -------*- C++ -*-===//
//
// Built from raw std::mt19937 output, whose sequence the standard fixes, and
// not from std::normal_distribution, whose output differs between standard
// libraries: the same seed gives the same matrix everywhere.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_TEST_UNIT_RANDOMMATRIX_H
#define ONEBIT_TEST_UNIT_RANDOMMATRIX_H

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace onebit::quant::test {

/// Uniform in the open interval (0, 1), so a logarithm of it is finite.
inline double openUnitUniform(std::mt19937 &engine) {
  return (static_cast<double>(engine()) + 0.5) / 4294967296.0;
}

/// Standard normal samples by the Box-Muller transform.
inline std::vector<float> gaussianMatrix(int64_t rows, int64_t cols,
                                         uint32_t seed) {
  std::mt19937 engine(seed);
  std::vector<float> values(static_cast<size_t>(rows * cols));
  const double twoPi = 6.283185307179586;
  for (size_t i = 0; i < values.size(); i += 2) {
    double radius = std::sqrt(-2.0 * std::log(openUnitUniform(engine)));
    double angle = twoPi * openUnitUniform(engine);
    values[i] = static_cast<float>(radius * std::cos(angle));
    if (i + 1 < values.size())
      values[i + 1] = static_cast<float>(radius * std::sin(angle));
  }
  return values;
}

} // namespace onebit::quant::test

#endif // ONEBIT_TEST_UNIT_RANDOMMATRIX_H
