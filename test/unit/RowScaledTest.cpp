//===- RowScaledTest.cpp - int8 / int4 weights with a scale per row -------===//
#include "onebit/Quant/RowScaled.h"
#include "RandomMatrix.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace onebit::quant;

namespace {

TEST(RowScaledTest, Int8HandWorked) {
  // max |W| = 127, so the scale is 1 and the values are W rounded half to
  // even: 63.5 -> 64, -0.5 -> 0.
  const std::vector<float> w = {127, 63.5f, -0.5f, 1, -127};
  RowScaledWeights q = quantizeRowsSymmetric({w.data(), 1, 5}, 8);
  ASSERT_EQ(q.scales.size(), 1u);
  EXPECT_EQ(q.scales[0], 1.0f);
  EXPECT_EQ(q.values, (std::vector<int8_t>{127, 64, 0, 1, -127}));
  EXPECT_EQ(packRowScaled(q), (std::vector<uint8_t>{127, 64, 0, 1, 0x81}));
}

TEST(RowScaledTest, Int4PerRowScalesHandWorked) {
  // Row 0: max 14, scale 2; W / 2 = 7, 0.25, 1.5, -2.5 -> 7, 0, 2, -2.
  // Row 1: max 0.7, scale 0.1; -0.7 -> -7.
  const std::vector<float> w = {14, 0.5f, 3, -5, //
                                -0.7f, 0, 0, 0};
  RowScaledWeights q = quantizeRowsSymmetric({w.data(), 2, 4}, 4);
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_EQ(q.scales[0], 2.0f);
  EXPECT_FLOAT_EQ(q.scales[1], 0.1f);
  EXPECT_EQ(q.values, (std::vector<int8_t>{7, 0, 2, -2, -7, 0, 0, 0}));
}

TEST(RowScaledTest, Int4PacksLowNibbleFirstAndPadsOddRows) {
  // 3 values a row: bytes (v0 | v1 << 4), (v2 | 0 << 4).
  const std::vector<float> w = {1, -1, 7, //
                                -7, 7, -3};
  RowScaledWeights q = quantizeRowsSymmetric({w.data(), 2, 3}, 4);
  EXPECT_EQ(q.values, (std::vector<int8_t>{1, -1, 7, -7, 7, -3}));
  EXPECT_EQ(rowScaledBytesPerRow(3, 4), 2);
  EXPECT_EQ(packRowScaled(q),
            (std::vector<uint8_t>{0xF1, 0x07, 0x79, 0x0D}));
}

TEST(RowScaledTest, ZeroAndNonFiniteRowsBecomeZero) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> w = {0, 0, 0,    //
                                1, inf, -1, //
                                nan, 2, -2};
  RowScaledWeights q = quantizeRowsSymmetric({w.data(), 3, 3}, 8);
  EXPECT_EQ(q.scales[0], 0.0f);
  EXPECT_EQ(q.scales[1], 0.0f);
  EXPECT_FLOAT_EQ(q.scales[2], 2.0f / 127);
  EXPECT_EQ(q.values, (std::vector<int8_t>{0, 0, 0, 0, 0, 0, 0, 127, -127}));
}

TEST(RowScaledTest, ErrorWithinHalfAStepOfEachRow) {
  for (int bits : {8, 4}) {
    std::vector<float> w = test::gaussianMatrix(37, 101, /*seed=*/bits);
    RowScaledWeights q = quantizeRowsSymmetric({w.data(), 37, 101}, bits);
    std::vector<float> approx = dequantize(q);
    for (int64_t r = 0; r < 37; ++r)
      for (int64_t c = 0; c < 101; ++c)
        EXPECT_LE(std::fabs(w[r * 101 + c] - approx[r * 101 + c]),
                  q.scales[r] / 2 * (1 + 1e-5f))
            << bits << " bits, row " << r << " col " << c;
  }
}

} // namespace
