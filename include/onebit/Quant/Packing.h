//===- Packing.h - Bit layouts of packed ternary and sign weights -*- C++ -*-=//
//
// The layouts here are the ones the onebit dialect stores (see the op docs):
//
//  * Ternary bitplanes, 2 bits per weight: each row is [plus plane][minus
//    plane], each plane ceil(cols/8) bytes. Weight k of a row is bit (k % 8) of
//    byte (k / 8) of a plane (least significant bit first); +1 sets the plus
//    bit, -1 the minus bit, 0 neither. Padding bits are zero. Masked add and
//    subtract kernels read the planes directly.
//  * Sign bits, 1 bit per weight: each row is ceil(cols/8) bytes, bit set for
//    +1 and clear for -1, same bit order; padding bits are zero.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_QUANT_PACKING_H
#define ONEBIT_QUANT_PACKING_H

#include <cstdint>
#include <string>
#include <vector>

namespace onebit::quant {

/// Bytes of one bit plane of a row of `cols` weights.
constexpr int64_t bitPlaneBytes(int64_t cols) { return (cols + 7) / 8; }

/// rows x 2 x bitPlaneBytes(cols) bytes.
std::vector<uint8_t> packTernaryBitplanes(const int8_t *trits, int64_t rows,
                                          int64_t cols);
std::vector<int8_t> unpackTernaryBitplanes(const uint8_t *packed, int64_t rows,
                                           int64_t cols);
/// False (and a reason naming the row and column) if a weight has both plane
/// bits set or a padding bit is set.
bool verifyTernaryBitplanes(const uint8_t *packed, int64_t rows, int64_t cols,
                            std::string *why = nullptr);

/// rows x bitPlaneBytes(cols) bytes; `positive[i]` nonzero means +1.
std::vector<uint8_t> packSignBits(const uint8_t *positive, int64_t rows,
                                  int64_t cols);
/// 1 for +1 and 0 for -1, rows x cols.
std::vector<uint8_t> unpackSignBits(const uint8_t *packed, int64_t rows,
                                    int64_t cols);
/// False (and a reason naming the row) if a padding bit is set.
bool verifySignBits(const uint8_t *packed, int64_t rows, int64_t cols,
                    std::string *why = nullptr);

} // namespace onebit::quant

#endif // ONEBIT_QUANT_PACKING_H
