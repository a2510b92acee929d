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
//  * Lookup codes, the table-lookup kernel's own layout of ternary weights
//    (2 bits per weight), chosen by the compiler when it picks that kernel:
//    see packTernaryLookupCodes.
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

/// Inputs per lookup code: a code names one of the 9 ternary pairs.
constexpr int64_t kLookupGroup = 2;
/// The lookup-code layout pads K to a multiple of this many inputs (the
/// kernel's step: two bytes of codes per channel).
constexpr int64_t kLookupStepInputs = 8;

/// The code of the weight pair (w0, w1): 3 * (w0 + 1) + (w1 + 1), in 0..8.
/// The pair (0, 0) is code 4, which also pads.
constexpr uint8_t lookupCode(int w0, int w1) {
  return static_cast<uint8_t>(3 * (w0 + 1) + (w1 + 1));
}

/// Ternary weights (rows x cols, trits in {-1, 0, 1}) in the table-lookup
/// kernel's layout for blocks of `lanes` output channels: bytes
/// [ceil(rows / lanes)][P][lanes] with P = ceil(cols / 8) * 2. Byte
/// [b][p][c] holds, for channel n = b * lanes + c, the code of inputs
/// (4p, 4p + 1) in its low nibble and of (4p + 2, 4p + 3) in its high nibble.
/// One load of `lanes` bytes thus gives the codes of 4 inputs for every
/// channel of a block, and a block's codes are one contiguous run. Channels
/// past `rows` and inputs past `cols` are the zero pair (code 4).
std::vector<uint8_t> packTernaryLookupCodes(const int8_t *trits, int64_t rows,
                                            int64_t cols, int64_t lanes);

/// Inputs per 3-bit index of the float table-lookup kernel, and per 32-bit
/// word (10 indices; bits 30 and 31 are zero).
constexpr int64_t kPlaneWordGroup = 3;
constexpr int64_t kPlaneWordInputs = 30;

/// Weights (rows x cols) as 32-bit plane words for the float table-lookup
/// kernel, for blocks of `blockChannels` output channels: words
/// [ceil(rows / blockChannels)][ceil(cols / 30)][planes][blockChannels],
/// planes = 2 for ternary (`trits` in {-1, 0, 1}: plus plane, then minus
/// plane) or 1 for signs (`trits` in {-1, 1}: the plus plane alone). Bit
/// 3t + i of word [b][c][p][j] is weight (n, 30c + 3t + i) of channel
/// n = b * blockChannels + j in plane p, so shifting a word right by 3
/// brings the next group's index to its low bits. Channels past `rows` and
/// inputs past `cols` are zero bits.
std::vector<uint32_t> packPlaneWords(const int8_t *trits, int64_t rows,
                                     int64_t cols, int64_t blockChannels,
                                     int planes);

/// Bits per group code of the wide-table float kernel, and codes per 32-bit
/// word (6 codes in bits 0..29; bits 30 and 31 are zero).
constexpr int64_t kGroupCodeBits = 5;
constexpr int64_t kGroupCodesPerWord = 6;

/// Inputs per group code: 3 trits (27 codes) or 5 signs (32 codes), the most
/// whose sums one 32-entry table holds.
constexpr int64_t groupCodeInputs(bool ternary) { return ternary ? 3 : 5; }

/// Weights (rows x cols) as 32-bit words of group codes for the wide-table
/// float kernel, for blocks of `blockChannels` output channels: words
/// [ceil(rows / blockChannels)][ceil(cols / (6 g))][blockChannels], g =
/// groupCodeInputs(ternary). Bits 5t..5t+4 of word [b][c][j] hold the code
/// of group 6c + t of channel n = b * blockChannels + j, whose weights are
/// w_i = weight (n, g (6c + t) + i):
///   ternary (`trits` in {-1, 0, 1}): code = sum_i (w_i + 1) 3^i, in 0..26
///   signs (`trits` in {-1, 1}):      code = sum_i [w_i > 0] 2^i, in 0..31
/// so shifting a word right by 5 brings the next group's code to its low
/// bits. Inputs past `cols` are weight 0 (ternary) or -1 (signs); channels
/// past `rows` are zero words.
std::vector<uint32_t> packGroupCodeWords(const int8_t *trits, int64_t rows,
                                         int64_t cols, int64_t blockChannels,
                                         bool ternary);

} // namespace onebit::quant

#endif // ONEBIT_QUANT_PACKING_H
