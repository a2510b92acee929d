//===- AbsmeanTest.cpp - BitNet b1.58 absmean ternarization ---------------===//
#include "onebit/Quant/Absmean.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace onebit::quant;

namespace {

// Worked by hand: sum|W| = 1.8 (row 0) + 4.0 (row 1) = 5.8.
const std::vector<float> kHandMatrix = {
    0.2f,  -0.6f, 1.0f, 0.0f, //
    -1.4f, 0.4f,  0.2f, -2.0f,
};

MatrixView viewOf(const std::vector<float> &values, int64_t rows,
                  int64_t cols) {
  return {values.data(), rows, cols};
}

TEST(AbsmeanTest, PerTensorHandWorked) {
  // gamma = 5.8 / 8 = 0.725; W / gamma = 0.28, -0.83, 1.38, 0, -1.93, 0.55,
  // 0.28, -2.76.
  TernaryWeights t =
      absmeanTernarize(viewOf(kHandMatrix, 2, 4), Granularity::PerTensor);
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(t.cols, 4);
  ASSERT_EQ(t.scales.size(), 1u);
  EXPECT_FLOAT_EQ(t.scales[0], 0.725f);
  EXPECT_EQ(t.trits, (std::vector<int8_t>{0, -1, 1, 0, -1, 1, 0, -1}));
}

TEST(AbsmeanTest, PerChannelHandWorked) {
  // Row 0: gamma = 1.8 / 4 = 0.45; W / gamma = 0.44, -1.33, 2.22, 0.
  // Row 1: gamma = 4.0 / 4 = 1;    W / gamma = -1.4, 0.4, 0.2, -2.
  TernaryWeights t =
      absmeanTernarize(viewOf(kHandMatrix, 2, 4), Granularity::PerChannel);
  ASSERT_EQ(t.scales.size(), 2u);
  EXPECT_FLOAT_EQ(t.scales[0], 0.45f);
  EXPECT_FLOAT_EQ(t.scales[1], 1.0f);
  EXPECT_EQ(t.trits, (std::vector<int8_t>{0, -1, 1, 0, -1, 0, 0, -1}));
}

TEST(AbsmeanTest, RoundsHalfToEvenThenClamps) {
  // mean|W| = 4 / 4 = 1 exactly, so W / gamma is W itself. Half-away-from-zero
  // rounding would give +-1 for +-0.5; torch.round (half to even) gives 0.
  const std::vector<float> w = {0.5f, 1.5f, -0.5f, -1.5f};
  TernaryWeights t = absmeanTernarize(viewOf(w, 1, 4), Granularity::PerTensor);
  ASSERT_EQ(t.scales.size(), 1u);
  EXPECT_EQ(t.scales[0], 1.0f);
  EXPECT_EQ(t.trits, (std::vector<int8_t>{0, 1, 0, -1}));
}

TEST(AbsmeanTest, ZeroMatrixUsesFloorScale) {
  const std::vector<float> w(6, 0.0f);
  TernaryWeights t = absmeanTernarize(viewOf(w, 2, 3), Granularity::PerTensor);
  ASSERT_EQ(t.scales.size(), 1u);
  EXPECT_EQ(t.scales[0], kAbsmeanMinScale);
  EXPECT_EQ(t.trits, std::vector<int8_t>(6, 0));
  for (float value : dequantize(t))
    EXPECT_EQ(value, 0.0f);
}

TEST(AbsmeanTest, TinyMatrixUsesFloorScale) {
  // mean|W| = 2.31e-5 / 4 = 5.775e-6 < 1e-5. With the floor, W / gamma = 0.01,
  // -0.3, 2, 0; without it -3e-6 would become -1 (-0.52 rounds to -1).
  const std::vector<float> w = {1e-7f, -3e-6f, 2e-5f, 0.0f};
  TernaryWeights t = absmeanTernarize(viewOf(w, 1, 4), Granularity::PerTensor);
  ASSERT_EQ(t.scales.size(), 1u);
  EXPECT_EQ(t.scales[0], kAbsmeanMinScale);
  EXPECT_EQ(t.trits, (std::vector<int8_t>{0, 0, 1, 0}));
}

TEST(AbsmeanTest, PerChannelZeroRowUsesFloorOnlyThere) {
  const std::vector<float> w = {0.0f, 0.0f, 3.0f, -1.0f};
  TernaryWeights t = absmeanTernarize(viewOf(w, 2, 2), Granularity::PerChannel);
  ASSERT_EQ(t.scales.size(), 2u);
  EXPECT_EQ(t.scales[0], kAbsmeanMinScale);
  EXPECT_EQ(t.scales[1], 2.0f);
  // Row 1: W / gamma = 1.5, -0.5.
  EXPECT_EQ(t.trits, (std::vector<int8_t>{0, 0, 1, 0}));
}

TEST(AbsmeanTest, NanBecomesZeroTrit) {
  // NaN poisons the mean; the trits must still be valid values.
  const std::vector<float> w = {NAN, 1.0f};
  TernaryWeights t = absmeanTernarize(viewOf(w, 1, 2), Granularity::PerTensor);
  for (int8_t trit : t.trits)
    EXPECT_TRUE(trit == -1 || trit == 0 || trit == 1);
}

TEST(AbsmeanTest, EmptyShapes) {
  TernaryWeights noRows =
      absmeanTernarize({nullptr, 0, 5}, Granularity::PerChannel);
  EXPECT_TRUE(noRows.trits.empty());
  EXPECT_TRUE(noRows.scales.empty());
  EXPECT_TRUE(dequantize(noRows).empty());

  TernaryWeights noCols =
      absmeanTernarize({nullptr, 3, 0}, Granularity::PerChannel);
  EXPECT_TRUE(noCols.trits.empty());
  EXPECT_EQ(noCols.scales, std::vector<float>(3, kAbsmeanMinScale));

  TernaryWeights empty =
      absmeanTernarize({nullptr, 0, 0}, Granularity::PerTensor);
  EXPECT_EQ(empty.scales, std::vector<float>{kAbsmeanMinScale});
}

TEST(AbsmeanTest, DequantizePerChannel) {
  TernaryWeights t;
  t.rows = 2;
  t.cols = 3;
  t.trits = {1, 0, -1, -1, 1, 0};
  t.scales = {0.5f, 2.0f};
  EXPECT_EQ(dequantize(t),
            (std::vector<float>{0.5f, 0.0f, -0.5f, -2.0f, 2.0f, 0.0f}));
}

TEST(AbsmeanTest, DequantizePerTensor) {
  TernaryWeights t;
  t.rows = 2;
  t.cols = 2;
  t.trits = {1, -1, 0, 1};
  t.scales = {0.25f};
  EXPECT_EQ(dequantize(t), (std::vector<float>{0.25f, -0.25f, 0.0f, 0.25f}));
}

TEST(AbsmeanTest, DequantizeOfHandWorkedMatrix) {
  TernaryWeights t =
      absmeanTernarize(viewOf(kHandMatrix, 2, 4), Granularity::PerChannel);
  std::vector<float> dense = dequantize(t);
  const float g0 = t.scales[0];
  const float g1 = t.scales[1];
  EXPECT_EQ(dense,
            (std::vector<float>{0.0f, -g0, g0, 0.0f, -g1, 0.0f, 0.0f, -g1}));
}

} // namespace
