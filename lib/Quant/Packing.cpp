//===- Packing.cpp - Bit layouts of packed ternary and sign weights -------===//
#include "onebit/Quant/Packing.h"

#include <initializer_list>
#include <utility>

namespace onebit::quant {

namespace {

void setBit(uint8_t *plane, int64_t k) {
  plane[k / 8] = static_cast<uint8_t>(plane[k / 8] | (1u << (k % 8)));
}

bool bitAt(const uint8_t *plane, int64_t k) {
  return (plane[k / 8] >> (k % 8)) & 1u;
}

/// The first set padding bit of a plane, as the column it would stand for, or
/// -1. Only the last byte of a plane can hold padding.
int64_t firstPaddingColumn(const uint8_t *plane, int64_t cols) {
  int64_t usedBits = cols % 8;
  if (usedBits == 0 || !(plane[cols / 8] >> usedBits))
    return -1;
  for (int64_t k = cols; k < bitPlaneBytes(cols) * 8; ++k)
    if (bitAt(plane, k))
      return k;
  return -1;
}

void explain(std::string *why, std::string message) {
  if (why)
    *why = std::move(message);
}

} // namespace

std::vector<uint8_t> packTernaryBitplanes(const int8_t *trits, int64_t rows,
                                          int64_t cols) {
  int64_t planeBytes = bitPlaneBytes(cols);
  std::vector<uint8_t> packed(static_cast<size_t>(rows * 2 * planeBytes), 0);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t *plus = packed.data() + r * 2 * planeBytes;
    uint8_t *minus = plus + planeBytes;
    for (int64_t k = 0; k < cols; ++k) {
      int8_t trit = trits[r * cols + k];
      if (trit > 0)
        setBit(plus, k);
      else if (trit < 0)
        setBit(minus, k);
    }
  }
  return packed;
}

std::vector<int8_t> unpackTernaryBitplanes(const uint8_t *packed, int64_t rows,
                                           int64_t cols) {
  int64_t planeBytes = bitPlaneBytes(cols);
  std::vector<int8_t> trits(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *plus = packed + r * 2 * planeBytes;
    const uint8_t *minus = plus + planeBytes;
    // A weight with both bits set (which verify rejects) reads as 0, the net
    // effect the masked add and subtract kernels would give it.
    for (int64_t k = 0; k < cols; ++k)
      trits[r * cols + k] =
          static_cast<int8_t>(int(bitAt(plus, k)) - int(bitAt(minus, k)));
  }
  return trits;
}

bool verifyTernaryBitplanes(const uint8_t *packed, int64_t rows, int64_t cols,
                            std::string *why) {
  // The verifier runs this over every weight after every pass, so it works a
  // byte at a time and only looks at single bits to explain a failure.
  int64_t planeBytes = bitPlaneBytes(cols);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t *plus = packed + r * 2 * planeBytes;
    const uint8_t *minus = plus + planeBytes;
    for (int64_t byte = 0; byte < planeBytes; ++byte) {
      if (!(plus[byte] & minus[byte]))
        continue;
      for (int64_t k = byte * 8; k < byte * 8 + 8 && k < cols; ++k)
        if (bitAt(plus, k) && bitAt(minus, k)) {
          explain(why, "row " + std::to_string(r) + ", column " +
                           std::to_string(k) +
                           ": both the plus and the minus bit are set");
          return false;
        }
    }
    for (const uint8_t *plane : {plus, minus}) {
      int64_t column = firstPaddingColumn(plane, cols);
      if (column >= 0) {
        explain(why, "row " + std::to_string(r) + ", column " +
                         std::to_string(column) + ": padding bit set in the " +
                         (plane == plus ? "plus" : "minus") + " plane (" +
                         std::to_string(cols) + " columns)");
        return false;
      }
    }
  }
  return true;
}

std::vector<uint8_t> packSignBits(const uint8_t *positive, int64_t rows,
                                  int64_t cols) {
  int64_t rowBytes = bitPlaneBytes(cols);
  std::vector<uint8_t> packed(static_cast<size_t>(rows * rowBytes), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k)
      if (positive[r * cols + k])
        setBit(packed.data() + r * rowBytes, k);
  return packed;
}

std::vector<uint8_t> unpackSignBits(const uint8_t *packed, int64_t rows,
                                    int64_t cols) {
  int64_t rowBytes = bitPlaneBytes(cols);
  std::vector<uint8_t> positive(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k)
      positive[r * cols + k] = bitAt(packed + r * rowBytes, k) ? 1 : 0;
  return positive;
}

bool verifySignBits(const uint8_t *packed, int64_t rows, int64_t cols,
                    std::string *why) {
  int64_t rowBytes = bitPlaneBytes(cols);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t column = firstPaddingColumn(packed + r * rowBytes, cols);
    if (column >= 0) {
      explain(why, "row " + std::to_string(r) + ": padding bit set at column " +
                       std::to_string(column) + " (" + std::to_string(cols) +
                       " columns)");
      return false;
    }
  }
  return true;
}

std::vector<uint8_t> packTernaryLookupCodes(const int8_t *trits, int64_t rows,
                                            int64_t cols, int64_t lanes) {
  int64_t blocks = (rows + lanes - 1) / lanes;
  int64_t steps = (cols + kLookupStepInputs - 1) / kLookupStepInputs;
  int64_t pairsOfGroups = steps * 2;
  std::vector<uint8_t> codes(
      static_cast<size_t>(blocks * pairsOfGroups * lanes), 0);
  auto trit = [&](int64_t n, int64_t k) -> int {
    return n < rows && k < cols ? trits[n * cols + k] : 0;
  };
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t p = 0; p < pairsOfGroups; ++p)
      for (int64_t c = 0; c < lanes; ++c) {
        int64_t n = b * lanes + c, k = 4 * p;
        uint8_t low = lookupCode(trit(n, k), trit(n, k + 1));
        uint8_t high = lookupCode(trit(n, k + 2), trit(n, k + 3));
        codes[(b * pairsOfGroups + p) * lanes + c] =
            static_cast<uint8_t>(low | high << 4);
      }
  return codes;
}

std::vector<uint32_t> packPlaneWords(const int8_t *trits, int64_t rows,
                                     int64_t cols, int64_t blockChannels,
                                     int planes) {
  int64_t blocks = (rows + blockChannels - 1) / blockChannels;
  int64_t chunks = (cols + kPlaneWordInputs - 1) / kPlaneWordInputs;
  std::vector<uint32_t> words(
      static_cast<size_t>(blocks * chunks * planes * blockChannels), 0);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < cols; ++k) {
      int8_t trit = trits[n * cols + k];
      int plane = trit > 0 ? 0 : (planes == 2 && trit < 0 ? 1 : -1);
      if (plane < 0)
        continue;
      int64_t b = n / blockChannels, j = n % blockChannels;
      int64_t c = k / kPlaneWordInputs, bit = k % kPlaneWordInputs;
      words[((b * chunks + c) * planes + plane) * blockChannels + j] |=
          uint32_t(1) << bit;
    }
  return words;
}

std::vector<uint32_t> packGroupCodeWords(const int8_t *trits, int64_t rows,
                                         int64_t cols, int64_t blockChannels,
                                         bool ternary) {
  int64_t group = groupCodeInputs(ternary);
  int64_t chunkInputs = group * kGroupCodesPerWord;
  int64_t blocks = (rows + blockChannels - 1) / blockChannels;
  int64_t chunks = (cols + chunkInputs - 1) / chunkInputs;
  int64_t base = ternary ? 3 : 2;
  std::vector<uint32_t> words(static_cast<size_t>(blocks * chunks *
                                                  blockChannels),
                              0);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t c = 0; c < chunks; ++c) {
      uint32_t word = 0;
      for (int64_t t = 0; t < kGroupCodesPerWord; ++t) {
        uint32_t code = 0, place = 1;
        for (int64_t i = 0; i < group; ++i, place *= base) {
          int64_t k = (c * kGroupCodesPerWord + t) * group + i;
          int w = k < cols ? trits[n * cols + k] : (ternary ? 0 : -1);
          code += place * (ternary ? w + 1 : w > 0);
        }
        word |= code << (kGroupCodeBits * t);
      }
      words[((n / blockChannels) * chunks + c) * blockChannels +
            n % blockChannels] = word;
    }
  return words;
}

} // namespace onebit::quant
