//===- Svid.cpp - OneBit sign-value-independent decomposition -------------===//
//
// Both solvers work on A = |W| read straight from the float input (no copy, so
// large layers cost no extra memory) with every sum in double.
//
//===----------------------------------------------------------------------===//
#include "onebit/Quant/Svid.h"

#include <cmath>
#include <limits>
#include <utility>

namespace onebit::quant {

namespace {

using Vector = std::vector<double>;

double absAt(MatrixView w, int64_t r, int64_t c) {
  return std::fabs(static_cast<double>(w.at(r, c)));
}

/// A x.
Vector multiplyAbs(MatrixView w, const Vector &x) {
  Vector y(static_cast<size_t>(w.rows), 0.0);
  for (int64_t r = 0; r < w.rows; ++r) {
    double sum = 0.0;
    for (int64_t c = 0; c < w.cols; ++c)
      sum += absAt(w, r, c) * x[c];
    y[r] = sum;
  }
  return y;
}

/// A^T x, walking W row by row so the reads stay sequential.
Vector multiplyAbsTransposed(MatrixView w, const Vector &x) {
  Vector y(static_cast<size_t>(w.cols), 0.0);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c)
      y[c] += absAt(w, r, c) * x[r];
  return y;
}

double dot(const Vector &x, const Vector &y) {
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i)
    sum += x[i] * y[i];
  return sum;
}

double squaredDistance(const Vector &x, const Vector &y) {
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i)
    sum += (x[i] - y[i]) * (x[i] - y[i]);
  return sum;
}

void scale(Vector &x, double factor) {
  for (double &value : x)
    value *= factor;
}

/// ||(a, b) - (oldA, oldB)|| / ||(oldA, oldB)||: one number for both factors,
/// so a factor that is tiny next to the other cannot stall the stop test.
double relativeChange(const Vector &oldA, const Vector &oldB, const Vector &a,
                      const Vector &b) {
  double oldNorm2 = dot(oldA, oldA) + dot(oldB, oldB);
  double change2 = squaredDistance(oldA, a) + squaredDistance(oldB, b);
  if (oldNorm2 == 0.0)
    return change2 == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  return std::sqrt(change2 / oldNorm2);
}

struct RankOneFactors {
  Vector a; // length rows
  Vector b; // length cols
};

/// Row and column means of A, lifted by a small floor: multiplicative updates
/// can never move an entry off zero, so the start must be strictly positive
/// for the data alone to decide which entries end up zero.
RankOneFactors positiveStart(MatrixView w) {
  RankOneFactors start;
  start.a.assign(static_cast<size_t>(w.rows), 0.0);
  start.b.assign(static_cast<size_t>(w.cols), 0.0);
  double total = 0.0;
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      double value = absAt(w, r, c);
      start.a[r] += value;
      start.b[c] += value;
      total += value;
    }
  if (w.size() == 0)
    return start;
  double mean = total / static_cast<double>(w.size());
  double floor = mean > 0.0 ? 1e-6 * mean : 1.0;
  for (double &value : start.a)
    value = value / static_cast<double>(w.cols) + floor;
  for (double &value : start.b)
    value = value / static_cast<double>(w.rows) + floor;
  return start;
}

/// x .* numerator ./ (x * denominatorScale), with 0 where the denominator is:
/// an entry or a whole factor at zero stays at zero instead of becoming NaN.
Vector multiplicativeUpdate(const Vector &x, const Vector &numerator,
                            double denominatorScale) {
  Vector updated(x.size(), 0.0);
  for (size_t i = 0; i < x.size(); ++i) {
    double denominator = x[i] * denominatorScale;
    if (denominator > 0.0)
      updated[i] = x[i] * numerator[i] / denominator;
  }
  return updated;
}

/// Rescales a and b to equal norms without changing a b^T, so neither factor
/// drifts towards the edge of float range when stored.
void balance(RankOneFactors &factors) {
  double normA = std::sqrt(dot(factors.a, factors.a));
  double normB = std::sqrt(dot(factors.b, factors.b));
  if (normA == 0.0 || normB == 0.0)
    return;
  double factor = std::sqrt(normB / normA);
  scale(factors.a, factor);
  scale(factors.b, 1.0 / factor);
}

RankOneFactors solveNmf(MatrixView w, const SvidOptions &options) {
  RankOneFactors factors = positiveStart(w);
  for (int iteration = 0; iteration < options.maxIterations; ++iteration) {
    Vector a = multiplicativeUpdate(factors.a, multiplyAbs(w, factors.b),
                                    dot(factors.b, factors.b));
    Vector b =
        multiplicativeUpdate(factors.b, multiplyAbsTransposed(w, a), dot(a, a));
    double change = relativeChange(factors.a, factors.b, a, b);
    factors.a = std::move(a);
    factors.b = std::move(b);
    if (change < options.tolerance)
      break;
  }
  balance(factors);
  return factors;
}

/// Power iteration finds a singular vector only up to sign; the Perron vector
/// of a non-negative matrix is the non-negative one. Rounding can leave tiny
/// negative entries, which would break the non-negativity promise.
void orientNonNegative(Vector &x) {
  double sum = 0.0;
  for (double value : x)
    sum += value;
  if (sum < 0.0)
    scale(x, -1.0);
  for (double &value : x)
    if (value < 0.0)
      value = 0.0;
}

/// Normalizes x to unit length and returns its former length (0 leaves it).
double normalize(Vector &x) {
  double norm = std::sqrt(dot(x, x));
  if (norm > 0.0)
    scale(x, 1.0 / norm);
  return norm;
}

RankOneFactors solveSvd(MatrixView w, const SvidOptions &options) {
  Vector v = positiveStart(w).b;
  normalize(v);
  for (int iteration = 0; iteration < options.maxIterations; ++iteration) {
    Vector u = multiplyAbs(w, v);
    if (normalize(u) == 0.0)
      break;
    Vector next = multiplyAbsTransposed(w, u);
    if (normalize(next) == 0.0)
      break;
    double change = std::sqrt(squaredDistance(v, next));
    v = std::move(next);
    if (change < options.tolerance)
      break;
  }
  orientNonNegative(v);
  Vector u = multiplyAbs(w, v);
  double sigma = normalize(u);
  orientNonNegative(u);

  // Splitting sigma evenly leaves ||a|| == ||b||, the same balance as NMF.
  double rootSigma = std::sqrt(sigma);
  scale(u, rootSigma);
  scale(v, rootSigma);
  return {std::move(u), std::move(v)};
}

std::vector<float> toFloat(const Vector &x) {
  return std::vector<float>(x.begin(), x.end());
}

std::vector<uint8_t> signsOf(MatrixView w) {
  std::vector<uint8_t> positive(static_cast<size_t>(w.size()));
  for (int64_t i = 0; i < w.size(); ++i)
    positive[i] = w.data[i] >= 0.0f ? 1 : 0;
  return positive;
}

} // namespace

SignWeights svidDecompose(MatrixView w, const SvidOptions &options) {
  RankOneFactors factors = options.solver == SvidSolver::Nmf
                               ? solveNmf(w, options)
                               : solveSvd(w, options);
  SignWeights result;
  result.rows = w.rows;
  result.cols = w.cols;
  result.positive = signsOf(w);
  result.h = toFloat(factors.a);
  result.g = toFloat(factors.b);
  return result;
}

SignWeights signMeanBinarize(MatrixView w) {
  double sum = 0.0;
  for (int64_t i = 0; i < w.size(); ++i)
    sum += std::fabs(static_cast<double>(w.data[i]));
  double mean = w.size() > 0 ? sum / static_cast<double>(w.size()) : 0.0;

  SignWeights result;
  result.rows = w.rows;
  result.cols = w.cols;
  result.positive = signsOf(w);
  result.h.assign(static_cast<size_t>(w.rows), static_cast<float>(mean));
  result.g.assign(static_cast<size_t>(w.cols), 1.0f);
  return result;
}

std::vector<float> dequantize(const SignWeights &s) {
  std::vector<float> dense(static_cast<size_t>(s.rows * s.cols));
  for (int64_t r = 0; r < s.rows; ++r)
    for (int64_t c = 0; c < s.cols; ++c) {
      size_t i = static_cast<size_t>(r * s.cols + c);
      float magnitude = s.h[r] * s.g[c];
      dense[i] = s.positive[i] ? magnitude : -magnitude;
    }
  return dense;
}

} // namespace onebit::quant
