//===- PackingTest.cpp - Bit layouts of packed ternary and sign weights ---===//
#include "onebit/Quant/Packing.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace onebit::quant;

namespace {

const std::vector<std::pair<int64_t, int64_t>> kOddShapes = {
    {1, 1}, {3, 7}, {5, 9}, {2, 8}, {4, 17}, {1, 64}, {7, 100},
};

std::vector<int8_t> randomTrits(int64_t count, uint32_t seed) {
  std::mt19937 engine(seed);
  std::vector<int8_t> trits(static_cast<size_t>(count));
  for (int8_t &trit : trits)
    trit = static_cast<int8_t>(int(engine() % 3) - 1);
  return trits;
}

std::vector<uint8_t> randomSigns(int64_t count, uint32_t seed) {
  std::mt19937 engine(seed);
  std::vector<uint8_t> positive(static_cast<size_t>(count));
  for (uint8_t &bit : positive)
    bit = static_cast<uint8_t>(engine() & 1u);
  return positive;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(PackingTest, BitPlaneBytes) {
  EXPECT_EQ(bitPlaneBytes(0), 0);
  EXPECT_EQ(bitPlaneBytes(1), 1);
  EXPECT_EQ(bitPlaneBytes(8), 1);
  EXPECT_EQ(bitPlaneBytes(9), 2);
  EXPECT_EQ(bitPlaneBytes(100), 13);
}

TEST(TernaryBitplanesTest, HandWorkedRow) {
  // Plus at columns 0 and 3, minus at columns 2 and 8 (bit 0 of byte 1).
  const std::vector<int8_t> trits = {1, 0, -1, 1, 0, 0, 0, 0, -1};
  EXPECT_EQ(packTernaryBitplanes(trits.data(), 1, 9),
            (std::vector<uint8_t>{0b00001001, 0x00,          // plus plane
                                  0b00000100, 0b00000001})); // minus plane
}

TEST(TernaryBitplanesTest, HandWorkedRowsFollowEachOther) {
  const std::vector<int8_t> trits = {
      1, -1, 0, //
      0, 1,  1,
  };
  EXPECT_EQ(packTernaryBitplanes(trits.data(), 2, 3),
            (std::vector<uint8_t>{0b001, 0b010,    // row 0: plus, minus
                                  0b110, 0b000})); // row 1: plus, minus
}

TEST(TernaryBitplanesTest, RoundTripsOddShapes) {
  for (auto [rows, cols] : kOddShapes) {
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols));
    std::vector<int8_t> trits = randomTrits(rows * cols, uint32_t(rows * cols));
    std::vector<uint8_t> packed =
        packTernaryBitplanes(trits.data(), rows, cols);
    EXPECT_EQ(packed.size(), size_t(rows * 2 * bitPlaneBytes(cols)));
    std::string why;
    EXPECT_TRUE(verifyTernaryBitplanes(packed.data(), rows, cols, &why)) << why;
    EXPECT_EQ(unpackTernaryBitplanes(packed.data(), rows, cols), trits);
  }
}

TEST(TernaryBitplanesTest, EmptyShapes) {
  for (auto [rows, cols] :
       {std::pair<int64_t, int64_t>{0, 0}, {0, 5}, {3, 0}}) {
    std::vector<uint8_t> packed = packTernaryBitplanes(nullptr, rows, cols);
    EXPECT_TRUE(packed.empty());
    EXPECT_TRUE(unpackTernaryBitplanes(packed.data(), rows, cols).empty());
    EXPECT_TRUE(verifyTernaryBitplanes(packed.data(), rows, cols));
  }
}

TEST(TernaryBitplanesTest, VerifyNamesWeightWithBothBitsSet) {
  const int64_t rows = 3;
  const int64_t cols = 7;
  std::vector<int8_t> trits = randomTrits(rows * cols, 1);
  std::vector<uint8_t> packed = packTernaryBitplanes(trits.data(), rows, cols);
  // Row 2, column 5: bit 5 of byte 0 in both planes (one byte per plane).
  packed[2 * 2 + 0] |= 1u << 5;
  packed[2 * 2 + 1] |= 1u << 5;
  std::string why;
  EXPECT_FALSE(verifyTernaryBitplanes(packed.data(), rows, cols, &why));
  EXPECT_TRUE(contains(why, "row 2")) << why;
  EXPECT_TRUE(contains(why, "column 5")) << why;
  EXPECT_FALSE(verifyTernaryBitplanes(packed.data(), rows, cols));
  // What a kernel would compute for such a weight: +x - x.
  EXPECT_EQ(unpackTernaryBitplanes(packed.data(), rows, cols)[2 * cols + 5], 0);
}

TEST(TernaryBitplanesTest, VerifyNamesRowWithPaddingBitSet) {
  const int64_t rows = 4;
  const int64_t cols = 17; // 3 bytes a plane, the last holding 7 padding bits
  for (int plane = 0; plane < 2; ++plane) {
    std::vector<int8_t> trits = randomTrits(rows * cols, 2);
    std::vector<uint8_t> packed =
        packTernaryBitplanes(trits.data(), rows, cols);
    // Bit 7 of the last byte of row 3's plane stands for column 23.
    packed[(3 * 2 + plane) * 3 + 2] |= 1u << 7;
    std::string why;
    EXPECT_FALSE(verifyTernaryBitplanes(packed.data(), rows, cols, &why));
    EXPECT_TRUE(contains(why, "row 3")) << why;
    EXPECT_TRUE(contains(why, "column 23")) << why;
    EXPECT_TRUE(contains(why, plane == 0 ? "plus" : "minus")) << why;
    // Padding never leaks into the unpacked weights.
    EXPECT_EQ(unpackTernaryBitplanes(packed.data(), rows, cols), trits);
  }
}

TEST(TernaryBitplanesTest, FullBytesHaveNoPadding) {
  // cols = 8: every bit is a weight, so only the both-set rule can fail.
  const std::vector<uint8_t> plusOnly = {0xFF, 0x00, 0xFF, 0x00};
  EXPECT_TRUE(verifyTernaryBitplanes(plusOnly.data(), 2, 8));
  const std::vector<uint8_t> overlap = {0x00, 0x00, 0x80, 0x80};
  std::string why;
  EXPECT_FALSE(verifyTernaryBitplanes(overlap.data(), 2, 8, &why));
  EXPECT_TRUE(contains(why, "row 1")) << why;
  EXPECT_TRUE(contains(why, "column 7")) << why;
}

TEST(SignBitsTest, HandWorked) {
  const std::vector<uint8_t> positive = {
      1, 0, 0, 1, 1, 1, 1, 1, 0, 1, //
      0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
  };
  EXPECT_EQ(packSignBits(positive.data(), 2, 10),
            (std::vector<uint8_t>{0b11111001, 0b10, // row 0
                                  0x00, 0b01}));    // row 1
}

TEST(SignBitsTest, AnyNonZeroMeansPositive) {
  const std::vector<uint8_t> positive = {0, 7, 255};
  EXPECT_EQ(packSignBits(positive.data(), 1, 3), std::vector<uint8_t>{0b110});
}

TEST(SignBitsTest, RoundTripsOddShapes) {
  for (auto [rows, cols] : kOddShapes) {
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols));
    std::vector<uint8_t> positive =
        randomSigns(rows * cols, uint32_t(rows + cols));
    std::vector<uint8_t> packed = packSignBits(positive.data(), rows, cols);
    EXPECT_EQ(packed.size(), size_t(rows * bitPlaneBytes(cols)));
    std::string why;
    EXPECT_TRUE(verifySignBits(packed.data(), rows, cols, &why)) << why;
    EXPECT_EQ(unpackSignBits(packed.data(), rows, cols), positive);
  }
}

TEST(SignBitsTest, EmptyShapes) {
  for (auto [rows, cols] :
       {std::pair<int64_t, int64_t>{0, 0}, {0, 5}, {3, 0}}) {
    std::vector<uint8_t> packed = packSignBits(nullptr, rows, cols);
    EXPECT_TRUE(packed.empty());
    EXPECT_TRUE(unpackSignBits(packed.data(), rows, cols).empty());
    EXPECT_TRUE(verifySignBits(packed.data(), rows, cols));
  }
}

TEST(SignBitsTest, VerifyNamesRowWithPaddingBitSet) {
  const int64_t rows = 5;
  const int64_t cols = 9; // 2 bytes a row, bits 1..7 of the second are padding
  std::vector<uint8_t> positive = randomSigns(rows * cols, 3);
  std::vector<uint8_t> packed = packSignBits(positive.data(), rows, cols);
  packed[4 * 2 + 1] |= 1u << 1;
  std::string why;
  EXPECT_FALSE(verifySignBits(packed.data(), rows, cols, &why));
  EXPECT_TRUE(contains(why, "row 4")) << why;
  EXPECT_FALSE(verifySignBits(packed.data(), rows, cols));
  EXPECT_EQ(unpackSignBits(packed.data(), rows, cols), positive);
}

TEST(SignBitsTest, FullBytesHaveNoPadding) {
  const std::vector<uint8_t> packed = {0xFF, 0xFF};
  EXPECT_TRUE(verifySignBits(packed.data(), 2, 8));
  EXPECT_FALSE(verifySignBits(packed.data(), 1, 7));
}

TEST(LookupCodesTest, CodesNameTheNinePairs) {
  // 3 * (w0 + 1) + (w1 + 1): (-1, -1) is 0, (0, 0) is 4, (1, 1) is 8.
  EXPECT_EQ(lookupCode(-1, -1), 0);
  EXPECT_EQ(lookupCode(-1, 1), 2);
  EXPECT_EQ(lookupCode(0, 0), 4);
  EXPECT_EQ(lookupCode(1, -1), 6);
  EXPECT_EQ(lookupCode(1, 1), 8);
}

TEST(LookupCodesTest, HandWorkedBlock) {
  // 2 channels of 5 inputs in blocks of 4 lanes: one block, K padded to 8
  // (2 vectors of codes), channels 2 and 3 all zero pairs (0x44).
  const std::vector<int8_t> trits = {1, -1, 0, 1, -1, //
                                     0, 0, -1, -1, 1};
  std::vector<uint8_t> codes = packTernaryLookupCodes(trits.data(), 2, 5, 4);
  // Channel 0: (1,-1) = 6, (0,1) = 5, then (-1,0) = 1, padding (0,0) = 4.
  // Channel 1: (0,0) = 4, (-1,-1) = 0, then (1,0) = 7, (0,0) = 4.
  const std::vector<uint8_t> want = {0x56, 0x04, 0x44, 0x44,
                                     0x41, 0x47, 0x44, 0x44};
  EXPECT_EQ(codes, want);
}

TEST(LookupCodesTest, EveryWeightRecoverable) {
  // Reading the layout back as the kernel does gives the weights, for shapes
  // with tails in both N (past whole blocks) and K (past whole steps).
  for (auto [rows, cols] : kOddShapes)
    for (int64_t lanes : {32, 64}) {
      std::vector<int8_t> trits = randomTrits(rows * cols, 11);
      std::vector<uint8_t> codes =
          packTernaryLookupCodes(trits.data(), rows, cols, lanes);
      int64_t pairs = (cols + 7) / 8 * 2;
      int64_t blocks = (rows + lanes - 1) / lanes;
      ASSERT_EQ(int64_t(codes.size()), blocks * pairs * lanes);
      for (int64_t n = 0; n < blocks * lanes; ++n)
        for (int64_t k = 0; k < pairs * 4; ++k) {
          uint8_t byte = codes[((n / lanes) * pairs + k / 4) * lanes + n % lanes];
          int code = (k % 4 < 2 ? byte : byte >> 4) & 15;
          int w = k % 2 ? code % 3 - 1 : code / 3 - 1;
          int want = n < rows && k < cols ? trits[n * cols + k] : 0;
          ASSERT_EQ(w, want) << rows << "x" << cols << " lanes " << lanes
                             << " at " << n << ", " << k;
        }
    }
}

TEST(PlaneWordsTest, HandWorkedWords) {
  // 3 channels of 32 inputs in blocks of 2: chunks of 30 inputs, so input 31
  // is bit 1 of the second chunk's word; channel 3 does not exist (zeros).
  std::vector<int8_t> trits(3 * 32, 0);
  trits[0 * 32 + 0] = 1;   // channel 0, input 0: plus bit 0
  trits[0 * 32 + 4] = -1;  // channel 0, input 4: minus bit 4
  trits[1 * 32 + 31] = 1;  // channel 1, input 31: second chunk, plus bit 1
  trits[2 * 32 + 29] = -1; // channel 2, input 29: minus bit 29
  std::vector<uint32_t> words = packPlaneWords(trits.data(), 3, 32, 2, 2);
  // [block][chunk][plane][channel]
  const std::vector<uint32_t> want = {
      1, 0, 1u << 4, 0,  // block 0, chunk 0: plus (ch 0, 1), minus (ch 0, 1)
      0, 1u << 1, 0, 0,  // block 0, chunk 1
      0, 0, 1u << 29, 0, // block 1, chunk 0
      0, 0, 0, 0};       // block 1, chunk 1
  EXPECT_EQ(words, want);
}

TEST(PlaneWordsTest, EveryWeightRecoverable) {
  for (auto [rows, cols] : kOddShapes)
    for (int planes : {1, 2}) {
      std::vector<int8_t> trits = randomTrits(rows * cols, 13);
      if (planes == 1)
        for (int8_t &t : trits)
          t = t >= 0 ? 1 : -1;
      std::vector<uint32_t> words =
          packPlaneWords(trits.data(), rows, cols, 32, planes);
      int64_t chunks = (cols + 29) / 30;
      for (int64_t n = 0; n < rows; ++n)
        for (int64_t k = 0; k < cols; ++k) {
          auto bit = [&](int plane) {
            return words[((n / 32 * chunks + k / 30) * planes + plane) * 32 +
                         n % 32] >>
                       (k % 30) &
                   1u;
          };
          int w = planes == 2 ? int(bit(0)) - int(bit(1)) : bit(0) ? 1 : -1;
          ASSERT_EQ(w, trits[n * cols + k]) << rows << "x" << cols;
        }
    }
}

TEST(GroupCodeWordsTest, HandWorkedWords) {
  // 2 channels of 20 ternary inputs in blocks of 2: chunks of 18 inputs (6
  // groups of 3), so inputs 18 and 19 are the second chunk's first group,
  // padded with a zero weight (digit 1).
  std::vector<int8_t> trits(2 * 20, 0);
  trits[0 * 20 + 0] = 1;   // channel 0, group 0: digits (2, 1, 1) = 2 + 3 + 9
  trits[0 * 20 + 5] = -1;  // channel 0, group 1: digits (1, 1, 0) = 1 + 3
  trits[1 * 20 + 19] = -1; // channel 1, chunk 1: digits (1, 0, 1) = 1 + 9
  std::vector<uint32_t> words = packGroupCodeWords(trits.data(), 2, 20, 2,
                                                   /*ternary=*/true);
  uint32_t zeros = 0; // every group of zero weights: code 13 in each field
  for (int t = 0; t < 6; ++t)
    zeros |= 13u << (5 * t);
  auto with = [&](uint32_t word, int t, uint32_t code) {
    return (word & ~(31u << (5 * t))) | code << (5 * t);
  };
  const std::vector<uint32_t> want = {
      with(with(zeros, 0, 14), 1, 4), zeros, // chunk 0: channels 0, 1
      zeros, with(zeros, 0, 10)};            // chunk 1
  EXPECT_EQ(words, want);
}

TEST(GroupCodeWordsTest, EveryWeightRecoverable) {
  for (auto [rows, cols] : kOddShapes)
    for (bool ternary : {true, false}) {
      std::vector<int8_t> trits = randomTrits(rows * cols, 17);
      if (!ternary)
        for (int8_t &t : trits)
          t = t >= 0 ? 1 : -1;
      const int64_t lanes = 32, group = groupCodeInputs(ternary);
      std::vector<uint32_t> words =
          packGroupCodeWords(trits.data(), rows, cols, lanes, ternary);
      int64_t chunks = (cols + 6 * group - 1) / (6 * group);
      ASSERT_EQ(words.size(),
                size_t((rows + lanes - 1) / lanes * chunks * lanes));
      for (int64_t n = 0; n < rows; ++n)
        for (int64_t k = 0; k < cols; ++k) {
          int64_t g = k / group;
          uint32_t code = words[(n / lanes * chunks + g / 6) * lanes +
                                n % lanes] >>
                              (5 * (g % 6)) &
                          31u;
          ASSERT_LT(code, ternary ? 27u : 32u);
          int digit = 0;
          for (int64_t i = 0; i <= k % group; ++i, code /= ternary ? 3 : 2)
            digit = code % (ternary ? 3 : 2);
          int w = ternary ? digit - 1 : 2 * digit - 1;
          ASSERT_EQ(w, trits[n * cols + k]) << rows << "x" << cols;
        }
    }
}

} // namespace
