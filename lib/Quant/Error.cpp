//===- Error.cpp - Quantization error metrics -----------------------------===//
#include "onebit/Quant/Error.h"

#include <cmath>
#include <limits>

namespace onebit::quant {

double relativeFrobeniusError(const float *reference, const float *approx,
                              size_t count) {
  // Squares of floats cannot overflow a double, so no rescaling is needed.
  double referenceNorm2 = 0.0;
  double differenceNorm2 = 0.0;
  for (size_t i = 0; i < count; ++i) {
    double expected = reference[i];
    double difference = expected - static_cast<double>(approx[i]);
    referenceNorm2 += expected * expected;
    differenceNorm2 += difference * difference;
  }
  if (referenceNorm2 == 0.0)
    // Nothing to be relative to: exact is no error, anything else unbounded.
    return differenceNorm2 == 0.0 ? 0.0
                                  : std::numeric_limits<double>::infinity();
  return std::sqrt(differenceNorm2 / referenceNorm2);
}

} // namespace onebit::quant
