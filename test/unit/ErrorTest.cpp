//===- ErrorTest.cpp - Quantization error metrics -------------------------===//
#include "onebit/Quant/Error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace onebit::quant;

namespace {

double errorOf(const std::vector<float> &reference,
               const std::vector<float> &approx) {
  return relativeFrobeniusError(reference.data(), approx.data(),
                                reference.size());
}

TEST(RelativeFrobeniusErrorTest, HandValues) {
  // ||(3, 4)|| = 5.
  EXPECT_DOUBLE_EQ(errorOf({3.0f, 4.0f}, {3.0f, 4.0f}), 0.0);
  EXPECT_DOUBLE_EQ(errorOf({3.0f, 4.0f}, {0.0f, 0.0f}), 1.0);
  EXPECT_DOUBLE_EQ(errorOf({3.0f, 4.0f}, {3.0f, 4.5f}), 0.1);
  EXPECT_DOUBLE_EQ(errorOf({3.0f, 4.0f}, {-3.0f, -4.0f}), 2.0);
  // ||(1, 2, 2)|| = 3 and the difference is (0, 0, 1).
  EXPECT_DOUBLE_EQ(errorOf({1.0f, 2.0f, 2.0f}, {1.0f, 2.0f, 3.0f}), 1.0 / 3.0);
}

TEST(RelativeFrobeniusErrorTest, BothZeroIsNoError) {
  EXPECT_EQ(errorOf({0.0f, 0.0f}, {0.0f, -0.0f}), 0.0);
  EXPECT_EQ(relativeFrobeniusError(nullptr, nullptr, 0), 0.0);
}

TEST(RelativeFrobeniusErrorTest, ZeroReferenceNonZeroApproxIsInfinite) {
  double error = errorOf({0.0f, 0.0f}, {0.0f, 1e-30f});
  EXPECT_TRUE(std::isinf(error));
  EXPECT_GT(error, 0.0);
}

TEST(RelativeFrobeniusErrorTest, AccumulatesInDouble) {
  // Squares that overflow (1e40) or underflow (1e-60) a float.
  EXPECT_DOUBLE_EQ(errorOf({1e20f, 1e20f}, {1e20f, 0.0f}), std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(errorOf({1e-30f, 1e-30f}, {1e-30f, 0.0f}), std::sqrt(0.5));
}

} // namespace
