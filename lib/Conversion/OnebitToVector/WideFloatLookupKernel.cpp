//===- WideFloatLookupKernel.cpp - 32-entry float lookup tables (AVX-512) -===//
//
// The float-activation table-lookup kernel where the target has AVX-512's
// two-source permute (vpermi2ps, onebit.pair_lane_lookup): one lookup reads
// a 32-entry table, two vectors of 16 f32 lanes. That table holds every sum
// a whole group's weights can make, so a group costs one lookup and one add
// per 16 channels, where the 8-entry kernel (FloatLookupKernel.cpp) needs
// two lookups (plus and minus plane), a subtract and an add:
//
//   ternary, groups of 3: S[e] = sum_i (d_i(e) - 1) x[3g + i], d_i(e) the
//                         base-3 digits of e (27 entries; 27..31 are 0)
//   sign, groups of 5:    S[e] = sum_i (bit i of e ? x[5g + i] : -x[5g + i])
//
// The weights are group codes (quant::packGroupCodeWords): 6 codes of 5
// bits to a 32-bit word per channel, shifted right by 5 between lookups,
// since the permute reads only the low 5 bits of each lane. That is 1.78
// bits per ternary weight and 1.07 per sign, against the plane words' 2.13
// and 1.07.
//
// Schedule: panels of rows whose tables fit the last-level cache; in each,
// threads over blocks of 4 vectors (64 channels); inside, tiles of kRowTile
// rows share each word vector and its shifts, then the rows left one at a
// time. Tables are built once per row before the products. Sums
// are in a different order than the reference's: results agree to float
// rounding.
//
//===----------------------------------------------------------------------===//

#include "FloatLookupKernel.h"

#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Quant/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>

using namespace mlir;
using namespace onebit;

namespace {

/// Lanes of each half of a table.
constexpr int64_t kHalf = kWideTableEntries / 2;
/// Channel vectors per block: independent accumulators sharing each table.
constexpr int64_t kVectorsPerBlock = 4;
/// Rows sharing each vector of words (4 x 4 accumulators, 4 words and a
/// table: 22 of AVX-512's 32 registers).
constexpr int64_t kRowTile = 4;
/// Rows go in panels whose tables stay in the last-level cache while every
/// block of channels walks them: 128 rows of K = 6912 (38 MB of tables, more
/// than a 32 MiB L3) took as long as the f32 layer when every block read
/// them all.
constexpr int64_t kPanelTableBytes = 8 << 20;
/// How far ahead a single row prefetches its words: one 4 KiB page (as the
/// int8 kernel, LookupTableKernel.cpp).
constexpr int64_t kPrefetchBytes = 4096;

Value indexConstant(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

/// The weight that digit i of table entry e stands for: -1, 0 or 1 (0 for
/// the ternary table's unused entries 27..31).
int weightOf(bool ternary, int64_t entry, int64_t i) {
  if (!ternary)
    return (entry >> i & 1) ? 1 : -1;
  if (entry >= 27)
    return 0;
  for (int64_t j = 0; j < i; ++j)
    entry /= 3;
  return int(entry % 3) - 1;
}

} // namespace

int64_t onebit::wideBlockChannels(const LookupTableIsa &isa) {
  return kVectorsPerBlock * isa.floatLanes;
}

void onebit::emitWideTables(ImplicitLocOpBuilder &b,
                            const FloatLookupOperands &ops) {
  int64_t group = quant::groupCodeInputs(ops.ternary);
  auto half = VectorType::get({kHalf}, b.getF32Type());
  auto maskType = VectorType::get({kHalf}, b.getI1Type());
  // plus[h][i] / minus[h][i]: the lanes of half h whose digit i is +1 / -1.
  SmallVector<Value> plus[2], minus[2];
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < group; ++i) {
      SmallVector<bool> isPlus, isMinus;
      for (int64_t lane = 0; lane < kHalf; ++lane) {
        int w = weightOf(ops.ternary, h * kHalf + lane, i);
        isPlus.push_back(w == 1);
        isMinus.push_back(w == -1);
      }
      plus[h].push_back(arith::ConstantOp::create(
          b, DenseElementsAttr::get(maskType, ArrayRef<bool>(isPlus))));
      minus[h].push_back(arith::ConstantOp::create(
          b, DenseElementsAttr::get(maskType, ArrayRef<bool>(isMinus))));
    }
  Value zeros = arith::ConstantOp::create(
      b, DenseElementsAttr::get(half, b.getF32FloatAttr(0)));
  forEachRowGroup(
      b, ops, group,
      [&](ImplicitLocOpBuilder &gb, Value m, Value g, Value inputs) {
        Value tables[2] = {zeros, zeros};
        for (int64_t i = 0; i < group; ++i) {
          Value xi = vector::BroadcastOp::create(
              gb, half, vector::ExtractOp::create(gb, inputs, i));
          Value negated = arith::NegFOp::create(gb, xi);
          for (int64_t h = 0; h < 2; ++h) {
            Value term = arith::SelectOp::create(
                gb, plus[h][i], xi,
                ops.ternary
                    ? arith::SelectOp::create(gb, minus[h][i], negated, zeros)
                          .getResult()
                    : negated);
            tables[h] = arith::AddFOp::create(gb, tables[h], term);
          }
        }
        for (int64_t h = 0; h < 2; ++h)
          vector::StoreOp::create(
              gb, tables[h], ops.tables,
              ValueRange{m, g, indexConstant(gb, h * kHalf)});
      });
}

namespace {

/// The products of `count` rows from `firstRow` for the block of channels
/// from `firstChannel`: the walk over K, then the epilogue.
void emitRowTile(ImplicitLocOpBuilder &b, const LookupTableIsa &isa,
                 const FloatLookupOperands &ops, Value block,
                 Value firstChannel, Value firstRow, int64_t count) {
  int64_t lanes = isa.floatLanes;
  auto floats = VectorType::get({lanes}, b.getF32Type());
  auto wordType = VectorType::get({lanes}, b.getI32Type());
  Value zero = indexConstant(b, 0);
  Value shift = arith::ConstantOp::create(
      b, DenseElementsAttr::get(wordType,
                                b.getI32IntegerAttr(quant::kGroupCodeBits)));
  Value zeros = arith::ConstantOp::create(
      b, DenseElementsAttr::get(floats, b.getF32FloatAttr(0)));
  // The words as one run: a block's chunks follow each other.
  auto wordsType = cast<MemRefType>(ops.words.getType());
  int64_t row = wordsType.getDimSize(2);
  int64_t words0 = wordsType.getDimSize(1) * row;
  int64_t last = wordsType.getNumElements() - 1;
  int64_t prefetchWords = kPrefetchBytes / 4;
  Value flatWords;
  if (count == 1)
    flatWords = memref::CollapseShapeOp::create(
        b, ops.words, ArrayRef<ReassociationIndices>{{0, 1, 2}});
  SmallVector<Value> rowsOfTile;
  for (int64_t r = 0; r < count; ++r)
    rowsOfTile.push_back(
        arith::AddIOp::create(b, firstRow, indexConstant(b, r)));
  auto chunkLoop = scf::ForOp::create(
      b, b.getLoc(), zero, indexConstant(b, ops.chunks), indexConstant(b, 1),
      SmallVector<Value>(count * kVectorsPerBlock, zeros),
      [&](OpBuilder &cb, Location loc, Value c, ValueRange accs) {
        ImplicitLocOpBuilder kb(loc, cb);
        SmallVector<Value> next(accs.begin(), accs.end());
        if (count == 1) {
          // A single row reads a block's words faster than the hardware
          // prefetcher brings them from memory (which stops at page ends):
          // ask for them a page ahead, one cache line per vector.
          for (int64_t v = 0; v < kVectorsPerBlock; ++v) {
            Value word = arith::AddIOp::create(
                kb, arith::MulIOp::create(kb, block, indexConstant(kb, words0)),
                arith::AddIOp::create(
                    kb, arith::MulIOp::create(kb, c, indexConstant(kb, row)),
                    indexConstant(kb, prefetchWords + v * lanes)));
            word = arith::MinUIOp::create(kb, word, indexConstant(kb, last));
            memref::PrefetchOp::create(kb, flatWords, ValueRange{word},
                                       /*isWrite=*/false, /*localityHint=*/3,
                                       /*isDataCache=*/true);
          }
        }
        SmallVector<Value> words;
        for (int64_t v = 0; v < kVectorsPerBlock; ++v)
          words.push_back(vector::LoadOp::create(
              kb, wordType, ops.words,
              ValueRange{block, c, indexConstant(kb, v * lanes)}));
        Value firstGroup = arith::MulIOp::create(
            kb, c, indexConstant(kb, quant::kGroupCodesPerWord));
        for (int64_t t = 0; t < quant::kGroupCodesPerWord; ++t) {
          Value g =
              arith::AddIOp::create(kb, firstGroup, indexConstant(kb, t));
          for (int64_t r = 0; r < count; ++r) {
            Value low = vector::LoadOp::create(
                kb, floats, ops.tables, ValueRange{rowsOfTile[r], g, zero});
            Value high = vector::LoadOp::create(
                kb, floats, ops.tables,
                ValueRange{rowsOfTile[r], g, indexConstant(kb, kHalf)});
            for (int64_t v = 0; v < kVectorsPerBlock; ++v) {
              Value &acc = next[r * kVectorsPerBlock + v];
              acc = arith::AddFOp::create(
                  kb, acc,
                  PairLaneLookupOp::create(kb, floats, low, high, words[v]));
            }
          }
          if (t + 1 == quant::kGroupCodesPerWord)
            break;
          for (Value &word : words)
            word = arith::ShRUIOp::create(kb, word, shift);
        }
        scf::YieldOp::create(kb, next);
      });
  for (int64_t r = 0; r < count; ++r)
    for (int64_t v = 0; v < kVectorsPerBlock; ++v) {
      Value n = arith::AddIOp::create(b, firstChannel,
                                      indexConstant(b, v * lanes));
      storeFloatOutputs(b, ops, chunkLoop.getResult(r * kVectorsPerBlock + v),
                        rowsOfTile[r], n);
    }
}

} // namespace

void onebit::emitWideProducts(ImplicitLocOpBuilder &b,
                              const LookupTableIsa &isa,
                              const FloatLookupOperands &ops) {
  int64_t blockChannels = wideBlockChannels(isa);
  int64_t blocks = llvm::divideCeil(ops.outFeatures, blockChannels);
  int64_t rowTableBytes =
      cast<MemRefType>(ops.tables.getType()).getDimSize(1) *
      kWideTableEntries * int64_t(sizeof(float));
  int64_t panelRows =
      std::max<int64_t>(1, kPanelTableBytes / rowTableBytes / kRowTile) *
      kRowTile;
  Value zero = indexConstant(b, 0), one = indexConstant(b, 1);
  Value rows = memref::DimOp::create(b, ops.x, 0);
  Value tile = indexConstant(b, kRowTile);
  scf::ForOp::create(
      b, b.getLoc(), zero, rows, indexConstant(b, panelRows), ValueRange{},
      [&](OpBuilder &ob, Location ploc, Value first, ValueRange) {
        ImplicitLocOpBuilder pb(ploc, ob);
        Value end = arith::MinUIOp::create(
            pb, arith::AddIOp::create(pb, first, indexConstant(pb, panelRows)),
            rows);
        Value tiledEnd = arith::AddIOp::create(
            pb, first,
            arith::MulIOp::create(
                pb,
                arith::DivUIOp::create(
                    pb, arith::SubIOp::create(pb, end, first), tile),
                tile));
        scf::ParallelOp::create(
            pb, ploc, ValueRange{zero}, ValueRange{indexConstant(pb, blocks)},
            ValueRange{one}, [&](OpBuilder &kb, Location loc, ValueRange ivs) {
              ImplicitLocOpBuilder bb(loc, kb);
              Value block = ivs[0];
              Value firstChannel = arith::MulIOp::create(
                  bb, block, indexConstant(bb, blockChannels));
              // Whole tiles of rows (prefill), then the rows left (decode).
              scf::ForOp::create(
                  bb, loc, first, tiledEnd, tile, ValueRange{},
                  [&](OpBuilder &tb, Location tloc, Value m, ValueRange) {
                    ImplicitLocOpBuilder rb(tloc, tb);
                    emitRowTile(rb, isa, ops, block, firstChannel, m,
                                kRowTile);
                    scf::YieldOp::create(rb);
                  });
              scf::ForOp::create(
                  bb, loc, tiledEnd, end, one, ValueRange{},
                  [&](OpBuilder &tb, Location tloc, Value m, ValueRange) {
                    ImplicitLocOpBuilder rb(tloc, tb);
                    emitRowTile(rb, isa, ops, block, firstChannel, m, 1);
                    scf::YieldOp::create(rb);
                  });
              scf::ReduceOp::create(bb, loc);
            });
        scf::YieldOp::create(pb);
      });
}
