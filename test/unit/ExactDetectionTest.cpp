//===- ExactDetectionTest.cpp - Find weights that are already low-bit -----===//
#include "onebit/Quant/ExactDetection.h"

#include "RandomMatrix.h"
#include "onebit/Quant/Absmean.h"
#include "onebit/Quant/Svid.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace onebit::quant;

namespace {

MatrixView viewOf(const std::vector<float> &values, int64_t rows,
                  int64_t cols) {
  return {values.data(), rows, cols};
}

/// Bit-for-bit equality: EXPECT_EQ on floats would let -0.0 pass for +0.0.
void expectSameBits(const std::vector<float> &actual,
                    const std::vector<float> &expected) {
  ASSERT_EQ(actual.size(), expected.size());
  EXPECT_EQ(std::memcmp(actual.data(), expected.data(),
                        expected.size() * sizeof(float)),
            0);
}

TEST(ExactTernaryTest, PerTensorReproducesBitForBit) {
  // 0.1f is not a power of two: the scale must be the stored value itself.
  const std::vector<float> w = {0.1f, 0.0f, -0.1f, 0.1f, -0.1f, 0.0f};
  std::optional<TernaryWeights> t =
      detectExactTernary(viewOf(w, 2, 3), Granularity::PerTensor);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->scales, std::vector<float>{0.1f});
  EXPECT_EQ(t->trits, (std::vector<int8_t>{1, 0, -1, 1, -1, 0}));
  expectSameBits(dequantize(*t), w);
}

TEST(ExactTernaryTest, PerChannelDifferentScalePerRow) {
  const std::vector<float> w = {
      0.3f,  -0.3f, 0.0f, //
      0.0f,  0.0f,  0.0f, //
      -7.0f, 7.0f,  7.0f,
  };
  std::optional<TernaryWeights> t =
      detectExactTernary(viewOf(w, 3, 3), Granularity::PerChannel);
  ASSERT_TRUE(t.has_value());
  // The zero row reproduces with any scale; 1 is the documented one.
  EXPECT_EQ(t->scales, (std::vector<float>{0.3f, 1.0f, 7.0f}));
  EXPECT_EQ(t->trits, (std::vector<int8_t>{1, -1, 0, 0, 0, 0, -1, 1, 1}));
  expectSameBits(dequantize(*t), w);

  // One c for the whole tensor does not exist here.
  EXPECT_FALSE(
      detectExactTernary(viewOf(w, 3, 3), Granularity::PerTensor).has_value());
}

TEST(ExactTernaryTest, AllZeroTensorGetsScaleOne) {
  const std::vector<float> w(4, 0.0f);
  std::optional<TernaryWeights> t =
      detectExactTernary(viewOf(w, 2, 2), Granularity::PerTensor);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->scales, std::vector<float>{1.0f});
  expectSameBits(dequantize(*t), w);
}

TEST(ExactTernaryTest, NegativeZeroIsTheZeroTrit) {
  // BitNet exports round(-0.3) * gamma = -0.0; it must not block detection.
  // The trit has no sign, so -0.0 returns as +0.0: equal, not the same bits.
  const std::vector<float> w = {-0.0f, 0.5f, -0.5f, 0.0f};
  std::optional<TernaryWeights> t =
      detectExactTernary(viewOf(w, 1, 4), Granularity::PerTensor);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->trits, (std::vector<int8_t>{0, 1, -1, 0}));
  EXPECT_EQ(dequantize(*t), w);
}

TEST(ExactTernaryTest, TwoMagnitudesAreRejected) {
  const std::vector<float> w = {0.5f, -0.5f, 0.0f, 0.25f};
  EXPECT_FALSE(
      detectExactTernary(viewOf(w, 1, 4), Granularity::PerTensor).has_value());
  EXPECT_FALSE(
      detectExactTernary(viewOf(w, 1, 4), Granularity::PerChannel).has_value());
}

TEST(ExactTernaryTest, NearlyEqualMagnitudesAreRejected) {
  const float c = 0.5f;
  const std::vector<float> w = {c, -std::nextafter(c, 1.0f)};
  EXPECT_FALSE(
      detectExactTernary(viewOf(w, 1, 2), Granularity::PerTensor).has_value());
}

TEST(ExactTernaryTest, NonFiniteValuesAreRejected) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (const std::vector<float> &w :
       {std::vector<float>{0.5f, nan}, std::vector<float>{nan, nan},
        std::vector<float>{inf, -inf}, std::vector<float>{inf, 0.0f}}) {
    EXPECT_FALSE(detectExactTernary(viewOf(w, 1, 2), Granularity::PerTensor)
                     .has_value());
    EXPECT_FALSE(detectExactTernary(viewOf(w, 1, 2), Granularity::PerChannel)
                     .has_value());
  }
}

TEST(ExactTernaryTest, RecoversAbsmeanOutput) {
  const std::vector<float> w = test::gaussianMatrix(16, 40, 7);
  for (Granularity granularity :
       {Granularity::PerTensor, Granularity::PerChannel}) {
    TernaryWeights quantized = absmeanTernarize(viewOf(w, 16, 40), granularity);
    const std::vector<float> fakeQuantized = dequantize(quantized);
    std::optional<TernaryWeights> detected =
        detectExactTernary(viewOf(fakeQuantized, 16, 40), granularity);
    ASSERT_TRUE(detected.has_value());
    EXPECT_EQ(detected->trits, quantized.trits);
    EXPECT_EQ(detected->scales, quantized.scales);
    expectSameBits(dequantize(*detected), fakeQuantized);
  }
}

TEST(ExactBinaryTest, PerRowMagnitudes) {
  const std::vector<float> w = {
      0.5f,  -0.5f, 0.5f, //
      -2.0f, -2.0f, 2.0f,
  };
  std::optional<SignWeights> s = detectExactBinary(viewOf(w, 2, 3));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->rows, 2);
  EXPECT_EQ(s->cols, 3);
  EXPECT_EQ(s->h, (std::vector<float>{0.5f, 2.0f}));
  EXPECT_EQ(s->g, (std::vector<float>{1.0f, 1.0f, 1.0f}));
  EXPECT_EQ(s->positive, (std::vector<uint8_t>{1, 0, 1, 0, 0, 1}));
  expectSameBits(dequantize(*s), w);
}

TEST(ExactBinaryTest, ZerosAreRejected) {
  for (float zero : {0.0f, -0.0f}) {
    const std::vector<float> w = {1.0f, -1.0f, zero, 1.0f};
    EXPECT_FALSE(detectExactBinary(viewOf(w, 2, 2)).has_value());
  }
}

TEST(ExactBinaryTest, TwoMagnitudesInARowAreRejected) {
  const std::vector<float> w = {1.0f, -1.0f, 3.0f, -2.0f};
  EXPECT_FALSE(detectExactBinary(viewOf(w, 2, 2)).has_value());
}

TEST(ExactBinaryTest, NonFiniteValuesAreRejected) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(detectExactBinary(viewOf({nan, nan}, 1, 2)).has_value());
  EXPECT_FALSE(detectExactBinary(viewOf({1.0f, nan}, 1, 2)).has_value());
  EXPECT_FALSE(detectExactBinary(viewOf({inf, -inf}, 1, 2)).has_value());
}

TEST(ExactBinaryTest, EmptyShapes) {
  std::optional<SignWeights> noRows = detectExactBinary({nullptr, 0, 4});
  ASSERT_TRUE(noRows.has_value());
  EXPECT_TRUE(noRows->h.empty());
  EXPECT_EQ(noRows->g.size(), 4u);

  std::optional<SignWeights> noCols = detectExactBinary({nullptr, 2, 0});
  ASSERT_TRUE(noCols.has_value());
  EXPECT_EQ(noCols->h.size(), 2u);
  EXPECT_TRUE(noCols->positive.empty());
}

} // namespace
