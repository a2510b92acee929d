//===- SvidTest.cpp - OneBit sign-value-independent decomposition ---------===//
#include "onebit/Quant/Svid.h"

#include "RandomMatrix.h"
#include "onebit/Quant/Absmean.h"
#include "onebit/Quant/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <vector>

using namespace onebit::quant;

namespace onebit::quant {
// Found by argument-dependent lookup, so test names read "Nmf" and "Svd"
// rather than the enum's bytes.
void PrintTo(SvidSolver solver, std::ostream *os) {
  *os << (solver == SvidSolver::Nmf ? "Nmf" : "Svd");
}
} // namespace onebit::quant

namespace {

struct Matrix {
  std::vector<float> values;
  int64_t rows;
  int64_t cols;
  MatrixView view() const { return {values.data(), rows, cols}; }
};

Matrix gaussian(int64_t rows, int64_t cols, uint32_t seed) {
  return {test::gaussianMatrix(rows, cols, seed), rows, cols};
}

SvidOptions optionsFor(SvidSolver solver) {
  SvidOptions options;
  options.solver = solver;
  return options;
}

double errorOf(const Matrix &w, const SignWeights &s) {
  std::vector<float> approx = dequantize(s);
  return relativeFrobeniusError(w.values.data(), approx.data(),
                                w.values.size());
}

double errorOf(const Matrix &w, const TernaryWeights &t) {
  std::vector<float> approx = dequantize(t);
  return relativeFrobeniusError(w.values.data(), approx.data(),
                                w.values.size());
}

void expectNonNegativeFinite(const std::vector<float> &values) {
  for (float value : values) {
    EXPECT_TRUE(std::isfinite(value));
    EXPECT_GE(value, 0.0f);
  }
}

class SvidSolverTest : public ::testing::TestWithParam<SvidSolver> {};

TEST_P(SvidSolverTest, BeatsSignTimesMeanOnRandomMatrices) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    Matrix w = gaussian(24 + seed, 40 - seed, seed);
    SignWeights svid = svidDecompose(w.view(), optionsFor(GetParam()));
    EXPECT_LT(errorOf(w, svid), errorOf(w, signMeanBinarize(w.view())))
        << "seed " << seed;
  }
}

TEST_P(SvidSolverTest, FactorsAreNonNegativeWithTheRightShape) {
  Matrix w = gaussian(13, 29, 4);
  SignWeights s = svidDecompose(w.view(), optionsFor(GetParam()));
  EXPECT_EQ(s.rows, 13);
  EXPECT_EQ(s.cols, 29);
  ASSERT_EQ(s.h.size(), 13u);
  ASSERT_EQ(s.g.size(), 29u);
  expectNonNegativeFinite(s.h);
  expectNonNegativeFinite(s.g);
}

TEST_P(SvidSolverTest, FactorsAreBalanced) {
  Matrix w = gaussian(10, 50, 5);
  SignWeights s = svidDecompose(w.view(), optionsFor(GetParam()));
  double normH = 0.0;
  double normG = 0.0;
  for (float value : s.h)
    normH += double(value) * value;
  for (float value : s.g)
    normG += double(value) * value;
  EXPECT_NEAR(std::sqrt(normH), std::sqrt(normG), 1e-5 * std::sqrt(normH));
}

TEST_P(SvidSolverTest, SignsFollowWWithZeroPositive) {
  const std::vector<float> values = {1.5f, -0.5f, 0.0f, -0.0f, -2.0f, 3.0f};
  Matrix w{values, 2, 3};
  SignWeights s = svidDecompose(w.view(), optionsFor(GetParam()));
  EXPECT_EQ(s.positive, (std::vector<uint8_t>{1, 0, 1, 1, 0, 1}));
}

TEST_P(SvidSolverTest, ExactRankOneMagnitudesAreRecovered) {
  // W = s (.) (a b^T) with positive a, b and random signs: |W| is rank 1, so
  // SVID is exact up to float rounding.
  const int64_t rows = 17;
  const int64_t cols = 33;
  std::mt19937 engine(11);
  std::vector<double> a(rows);
  std::vector<double> b(cols);
  for (double &value : a)
    value = 0.1 + 2.0 * test::openUnitUniform(engine);
  for (double &value : b)
    value = 0.5 + test::openUnitUniform(engine);
  Matrix w{std::vector<float>(rows * cols), rows, cols};
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      float magnitude = static_cast<float>(a[r] * b[c]);
      w.values[r * cols + c] = (engine() & 1u) ? magnitude : -magnitude;
    }

  SignWeights s = svidDecompose(w.view(), optionsFor(GetParam()));
  EXPECT_LT(errorOf(w, s), 1e-5);
  // sign * mean cannot follow the magnitudes; this shows the case is not easy.
  EXPECT_GT(errorOf(w, signMeanBinarize(w.view())), 0.1);
}

TEST_P(SvidSolverTest, ZeroRowAndColumnGetZeroFactors) {
  const std::vector<float> values = {
      1.0f,  0.0f, -2.0f, //
      0.0f,  0.0f, 0.0f,  //
      -3.0f, 0.0f, 4.0f,
  };
  Matrix w{values, 3, 3};
  SignWeights s = svidDecompose(w.view(), optionsFor(GetParam()));
  EXPECT_EQ(s.h[1], 0.0f);
  EXPECT_EQ(s.g[1], 0.0f);
  EXPECT_GT(s.h[0], 0.0f);
  EXPECT_GT(s.g[2], 0.0f);
}

TEST_P(SvidSolverTest, AllZeroMatrixGivesZeroFactors) {
  const std::vector<float> values(12, 0.0f);
  Matrix w{values, 3, 4};
  SignWeights s = svidDecompose(w.view(), optionsFor(GetParam()));
  EXPECT_EQ(s.h, std::vector<float>(3, 0.0f));
  EXPECT_EQ(s.g, std::vector<float>(4, 0.0f));
  EXPECT_EQ(dequantize(s), values);
}

TEST_P(SvidSolverTest, EmptyShapes) {
  SignWeights noRows = svidDecompose({nullptr, 0, 3}, optionsFor(GetParam()));
  EXPECT_TRUE(noRows.h.empty());
  EXPECT_EQ(noRows.g.size(), 3u);
  EXPECT_TRUE(dequantize(noRows).empty());
  SignWeights noCols = svidDecompose({nullptr, 2, 0}, optionsFor(GetParam()));
  EXPECT_EQ(noCols.h.size(), 2u);
  EXPECT_TRUE(noCols.g.empty());
}

TEST_P(SvidSolverTest, IsDeterministic) {
  Matrix w = gaussian(31, 47, 6);
  SignWeights first = svidDecompose(w.view(), optionsFor(GetParam()));
  SignWeights second = svidDecompose(w.view(), optionsFor(GetParam()));
  ASSERT_EQ(first.h.size(), second.h.size());
  ASSERT_EQ(first.g.size(), second.g.size());
  EXPECT_EQ(std::memcmp(first.h.data(), second.h.data(),
                        first.h.size() * sizeof(float)),
            0);
  EXPECT_EQ(std::memcmp(first.g.data(), second.g.data(),
                        first.g.size() * sizeof(float)),
            0);
  EXPECT_EQ(first.positive, second.positive);
}

INSTANTIATE_TEST_SUITE_P(Solvers, SvidSolverTest,
                         ::testing::Values(SvidSolver::Nmf, SvidSolver::Svd),
                         [](const ::testing::TestParamInfo<SvidSolver> &info) {
                           return info.param == SvidSolver::Nmf ? "Nmf" : "Svd";
                         });

TEST(SvidTest, NmfAndSvdReachTheSameError) {
  for (uint32_t seed : {8u, 9u}) {
    Matrix w = gaussian(40, 64, seed);
    double nmf =
        errorOf(w, svidDecompose(w.view(), optionsFor(SvidSolver::Nmf)));
    double svd =
        errorOf(w, svidDecompose(w.view(), optionsFor(SvidSolver::Svd)));
    EXPECT_NEAR(nmf, svd, 1e-3 * svd) << "seed " << seed;
  }
}

TEST(SvidTest, NmfAndSvdFindTheSameFactors) {
  // Rank-1 NMF of a non-negative matrix and its leading singular pair are the
  // same optimum; with equal norms the factors themselves must agree.
  Matrix w = gaussian(20, 30, 10);
  SignWeights nmf = svidDecompose(w.view(), optionsFor(SvidSolver::Nmf));
  SignWeights svd = svidDecompose(w.view(), optionsFor(SvidSolver::Svd));
  for (size_t i = 0; i < nmf.h.size(); ++i)
    EXPECT_NEAR(nmf.h[i], svd.h[i], 1e-4 * svd.h[i]);
  for (size_t i = 0; i < nmf.g.size(); ++i)
    EXPECT_NEAR(nmf.g[i], svd.g[i], 1e-4 * svd.g[i]);
}

TEST(SvidTest, IterationsImproveOnTheStart) {
  // A correlated |W| where the start (row and column means) is not already the
  // answer: the iterations must actually improve it.
  const int64_t rows = 6;
  const int64_t cols = 5;
  Matrix w{std::vector<float>(rows * cols), rows, cols};
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      w.values[r * cols + c] = float((r + 1) * (c + 1) % 7) - 3.0f;
  SvidOptions converged = optionsFor(SvidSolver::Nmf);
  SvidOptions none = converged;
  none.maxIterations = 0;
  EXPECT_LT(errorOf(w, svidDecompose(w.view(), converged)),
            errorOf(w, svidDecompose(w.view(), none)));
}

TEST(SignMeanTest, HandWorked) {
  // mean|W| = (1 + 2 + 3 + 4) / 4 = 2.5.
  const std::vector<float> values = {1.0f, -2.0f, 3.0f, -4.0f};
  Matrix w{values, 2, 2};
  SignWeights s = signMeanBinarize(w.view());
  EXPECT_EQ(s.h, (std::vector<float>{2.5f, 2.5f}));
  EXPECT_EQ(s.g, (std::vector<float>{1.0f, 1.0f}));
  EXPECT_EQ(s.positive, (std::vector<uint8_t>{1, 0, 1, 0}));
  EXPECT_EQ(dequantize(s), (std::vector<float>{2.5f, -2.5f, 2.5f, -2.5f}));
}

TEST(SignWeightsTest, DequantizeHandWorked) {
  SignWeights s;
  s.rows = 2;
  s.cols = 3;
  s.positive = {1, 0, 1, 0, 0, 1};
  s.h = {2.0f, 3.0f};
  s.g = {1.0f, 0.5f, 4.0f};
  EXPECT_EQ(dequantize(s),
            (std::vector<float>{2.0f, -1.0f, 8.0f, -3.0f, -1.5f, 12.0f}));
}

TEST(QuantErrorReport, Gaussian256x512) {
  Matrix w = gaussian(256, 512, 0);
  double absmean =
      errorOf(w, absmeanTernarize(w.view(), Granularity::PerTensor));
  double signMean = errorOf(w, signMeanBinarize(w.view()));
  double nmf = errorOf(w, svidDecompose(w.view(), optionsFor(SvidSolver::Nmf)));
  double svd = errorOf(w, svidDecompose(w.view(), optionsFor(SvidSolver::Svd)));

  std::ostringstream report;
  report << std::fixed << std::setprecision(6)
         << "relative Frobenius error, 256x512 Gaussian, seed 0:\n"
         << "  absmean (per tensor) " << absmean << "\n"
         << "  sign * mean          " << signMean << "\n"
         << "  SVID NMF             " << nmf << "\n"
         << "  SVID SVD             " << svd << "\n";
  std::cout << report.str();
  RecordProperty("absmean", std::to_string(absmean));
  RecordProperty("sign_mean", std::to_string(signMean));
  RecordProperty("svid_nmf", std::to_string(nmf));
  RecordProperty("svid_svd", std::to_string(svd));

  EXPECT_LT(nmf, signMean);
  EXPECT_LT(svd, signMean);
  EXPECT_NEAR(nmf, svd, 1e-3 * svd);
  // Ternary keeps a third value, so it must beat every binary form.
  EXPECT_LT(absmean, nmf);
}

} // namespace
