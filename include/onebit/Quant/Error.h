//===- Error.h - Quantization error metrics ---------------------*- C++ -*-===//
#ifndef ONEBIT_QUANT_ERROR_H
#define ONEBIT_QUANT_ERROR_H

#include <cstddef>

namespace onebit::quant {

/// ||reference - approx||_F / ||reference||_F, accumulated in double. Zero
/// when both are zero.
double relativeFrobeniusError(const float *reference, const float *approx,
                              size_t count);

} // namespace onebit::quant

#endif // ONEBIT_QUANT_ERROR_H
