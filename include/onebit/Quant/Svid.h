//===- Svid.h - OneBit sign-value-independent decomposition -----*- C++ -*-===//
//
// OneBit (Xu et al., 2024) approximates W ~ sign(W) (.) (a b^T), where a b^T is
// a rank-1 approximation of |W|. A layer then computes
//   Y = ((X (.) g^T) S^T) (.) h^T  with h = a (outputs) and g = b (inputs).
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_QUANT_SVID_H
#define ONEBIT_QUANT_SVID_H

#include "onebit/Quant/Types.h"

namespace onebit::quant {

/// How the rank-1 factors of |W| are found.
enum class SvidSolver {
  /// Non-negative matrix factorization by deterministic multiplicative
  /// updates (Lee & Seung) from a positive, data-derived start.
  Nmf,
  /// The leading singular pair of |W| by power iteration; by Perron-Frobenius
  /// it is non-negative, and sigma is split evenly between a and b.
  Svd,
};

struct SvidOptions {
  SvidSolver solver = SvidSolver::Nmf;
  int maxIterations = 200;
  /// Stop once the relative change of the factors falls below this.
  double tolerance = 1e-9;
};

/// sign(W) and the rank-1 factors of |W|: h = a (length rows), g = b (length
/// cols), both non-negative. Deterministic: same input, same bits out.
SignWeights svidDecompose(MatrixView w, const SvidOptions &options = {});

/// The plain binarization baseline: sign(W) * mean|W| (h = mean|W|, g = 1).
SignWeights signMeanBinarize(MatrixView w);

/// sign (.) (h g^T) as a dense row-major float matrix.
std::vector<float> dequantize(const SignWeights &s);

} // namespace onebit::quant

#endif // ONEBIT_QUANT_SVID_H
