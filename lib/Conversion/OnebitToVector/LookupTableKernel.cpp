//===- LookupTableKernel.cpp - Table-lookup kernel for W1.58A8 layers -----===//
//
// The CPU kernel of `onebit.ternary_linear` with int8 activations on x86
// cores with byte shuffles (AVX2, AVX-512BW). It never multiplies by a
// weight: for every activation row and pair of inputs it builds a table of
// the 9 values the pair's two weights can make (w0 * q0 + w1 * q1), and the
// inner loop looks the weights' codes up in it, for a whole block of output
// channels at once, with one in-register byte shuffle (vpshufb), and adds.
//
// Exactness. An int8 activation q is 16 * h + l with l = q & 15 in [0, 15]
// and h = q >> 4 in [-8, 7]. The kernel keeps two byte tables per pair, of
// w0 * l0 + w1 * l1 (in [-30, 30]) and of w0 * h0 + w1 * h1 (in [-16, 16]),
// so that every looked-up value and the sum of four of them fit a byte.
// Every 8 inputs the two byte sums of a channel are joined into
// l + 16 * h in a 16-bit lane (vpmaddubsw of the byte pair with the
// constants (1, 16): a widening add, the constants are not weights), and
// every 128 inputs the 16-bit sums (at most 128 * 128 in magnitude) are
// widened to 32 bits. The result is the exact integer sum_k q[k] * T[n, k],
// as the reference lowering computes it.
//
// Layout. The weights are repacked at compile time into lookup codes
// (quant::packTernaryLookupCodes): per block of `lanes` channels, one
// vector of codes per 4 inputs, nibbles indexing the tables, so a block's
// codes stream from memory as one sequential run.
//
// Schedule. Tables: one pass over each row, 16 pairs a step. Products:
// threads over channel blocks; inside, tiles of `rowTile` rows share each
// decoded vector of codes (the prefill case), then the rows left one at a
// time (M = 1, decode).
//
//===----------------------------------------------------------------------===//

#include "LookupTableKernel.h"

#include "onebit/Conversion/LinearLayerUtils.h"
#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Dialect/PackedWeights.h"
#include "onebit/Quant/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace onebit;

std::optional<LookupTableIsa> onebit::lookupTableIsa(StringRef name) {
  if (name == "avx2")
    return LookupTableIsa{"avx2", 32, 2, 8, false};
  if (name == "avx512")
    return LookupTableIsa{"avx512", 64, 4, 16, true};
  return std::nullopt;
}

namespace {

/// Entries per table: 9 pairs, padded to the 16 a byte shuffle indexes.
constexpr int64_t kTableEntries = 16;
/// A table row: the low-nibble table, then the high-nibble table.
constexpr int64_t kTableBytes = 2 * kTableEntries;
/// Pairs whose tables one step of the table loop builds (32 inputs).
constexpr int64_t kPairsPerTableStep = 16;
/// Inputs between two widenings of the byte sums (4 lookups each).
constexpr int64_t kInputsPerStep = quant::kLookupStepInputs;
/// Inputs a 16-bit sum takes before it is widened to 32 bits.
constexpr int64_t kInputsPerChunk = 128;
/// How far ahead a single row prefetches its codes: one 4 KiB page. On Zen 4
/// at M = 1 (4096 x 4096, cold) 4 KiB took 15-20% less time than none in
/// every run; 2 KiB and 8 KiB saved less, or not every time; 16 KiB nothing.
constexpr int64_t kPrefetchBytes = 4096;

struct Builder : ImplicitLocOpBuilder {
  using ImplicitLocOpBuilder::ImplicitLocOpBuilder;

  Value index(int64_t value) { return arith::ConstantIndexOp::create(*this, value); }

  /// A vector of `type` with the bytes (or lanes) `values`.
  Value constantVector(VectorType type, ArrayRef<int64_t> values) {
    SmallVector<Attribute> elements;
    for (int64_t v : values)
      elements.push_back(getIntegerAttr(type.getElementType(), v));
    return arith::ConstantOp::create(*this,
                                     DenseElementsAttr::get(type, elements));
  }
  Value splat(VectorType type, int64_t value) {
    return constantVector(type, SmallVector<int64_t>(type.getNumElements(),
                                                      value));
  }
  Value zeros(VectorType type) {
    return arith::ConstantOp::create(*this, cast<TypedAttr>(getZeroAttr(type)));
  }
};

/// What the kernel reads and writes, as buffers.
/// The layer's buffers (x: M x K f32 holding int8 values, with rowDivisor),
/// and the kernel's own.
struct LookupOperands : LowBitLayer {
  Value codes;  // blocks x P x lanes i8 lookup codes
  Value tables; // M x groups x kTableBytes i8
  Value out;    // M x N f32
  int64_t paddedInputs = 0; // K rounded up to kInputsPerStep
};

/// w0 and w1 of the pair whose code is `entry`, for entries 0..8; 0 past.
std::pair<int64_t, int64_t> pairOf(int64_t entry) {
  if (entry >= 9)
    return {0, 0};
  return {entry / 3 - 1, entry % 3 - 1};
}

//===----------------------------------------------------------------------===//
// Tables
//===----------------------------------------------------------------------===//

/// For every row m and pair j of inputs: tables[m, j, e] = w0 * l(q[m, 2j])
/// + w1 * l(q[m, 2j + 1]) and tables[m, j, 16 + e] the same of h, for the
/// pair (w0, w1) of code e. A step converts 32 inputs to bytes, splits them
/// into nibbles and, for each of its 16 pairs, broadcasts the pair's two
/// nibble pairs over the 32 table bytes and adds or subtracts them under
/// constant masks.
void emitTables(Builder &b, const LookupOperands &ops) {
  Type i8 = b.getI8Type();
  auto bytes32 = VectorType::get({2 * kPairsPerTableStep}, i8);
  auto floats32 = VectorType::get({2 * kPairsPerTableStep}, b.getF32Type());
  auto tablesType = cast<MemRefType>(ops.tables.getType());
  int64_t steps = tablesType.getDimSize(1) / kPairsPerTableStep;

  // masks[weight][sign]: 0xff where the pair's weight `weight` of entry
  // e = lane % 16 is +1 (sign 0) or -1 (sign 1).
  Value masks[2][2];
  for (int weight = 0; weight < 2; ++weight)
    for (int sign = 0; sign < 2; ++sign) {
      SmallVector<int64_t> lanes;
      for (int64_t lane = 0; lane < kTableBytes; ++lane) {
        auto [w0, w1] = pairOf(lane % kTableEntries);
        int64_t w = weight ? w1 : w0;
        lanes.push_back(w == (sign ? -1 : 1) ? -1 : 0);
      }
      masks[weight][sign] = b.constantVector(bytes32, lanes);
    }

  Value zero = b.index(0), one = b.index(1);
  Value rows = memref::DimOp::create(b, ops.x, 0);
  scf::ParallelOp::create(
      b, b.getLoc(), ValueRange{zero}, ValueRange{rows}, ValueRange{one},
      [&](OpBuilder &pb, Location loc, ValueRange ivs) {
        Builder rb(loc, pb);
        Value m = ivs[0];
        scf::ForOp::create(
            rb, loc, zero, rb.index(steps), one, ValueRange{},
            [&](OpBuilder &fb, Location floc, Value step, ValueRange) {
              Builder sb(floc, fb);
              Value first = arith::MulIOp::create(
                  sb, step, sb.index(2 * kPairsPerTableStep));
              Value x = vector::TransferReadOp::create(
                  sb, floats32, ops.x, ValueRange{m, first},
                  arith::ConstantOp::create(sb, sb.getF32FloatAttr(0)),
                  ArrayRef<bool>{false});
              // A NaN row (whose factor makes its outputs NaN anyway) gives
              // 0 here rather than an undefined conversion.
              Value isNaN =
                  arith::CmpFOp::create(sb, arith::CmpFPredicate::UNO, x, x);
              x = arith::SelectOp::create(sb, isNaN, sb.zeros(floats32), x);
              Value q = arith::FPToSIOp::create(sb, bytes32, x);
              Value low = arith::AndIOp::create(sb, q, sb.splat(bytes32, 15));
              Value high = arith::ShRSIOp::create(sb, q, sb.splat(bytes32, 4));
              // nibbles[i] = [l(q[2j + i]) for 16 pairs | h(q[2j + i]) ...]
              Value nibbles[2];
              for (int i = 0; i < 2; ++i) {
                SmallVector<int64_t> pick;
                for (int part = 0; part < 2; ++part)
                  for (int64_t j = 0; j < kPairsPerTableStep; ++j)
                    pick.push_back(part * 2 * kPairsPerTableStep + 2 * j + i);
                nibbles[i] = vector::ShuffleOp::create(sb, low, high, pick);
              }
              for (int64_t j = 0; j < kPairsPerTableStep; ++j) {
                SmallVector<int64_t> spread;
                for (int64_t lane = 0; lane < kTableBytes; ++lane)
                  spread.push_back(lane / kTableEntries * kPairsPerTableStep +
                                   j);
                Value table = sb.zeros(bytes32);
                for (int i = 0; i < 2; ++i) {
                  Value value = vector::ShuffleOp::create(sb, nibbles[i],
                                                          nibbles[i], spread);
                  table = arith::AddIOp::create(
                      sb, table, arith::AndIOp::create(sb, value, masks[i][0]));
                  table = arith::SubIOp::create(
                      sb, table, arith::AndIOp::create(sb, value, masks[i][1]));
                }
                Value pair = arith::AddIOp::create(
                    sb, arith::MulIOp::create(
                            sb, step, sb.index(kPairsPerTableStep)),
                    sb.index(j));
                vector::StoreOp::create(sb, table, ops.tables,
                                        ValueRange{m, pair, sb.index(0)});
              }
              scf::YieldOp::create(sb);
            });
        scf::ReduceOp::create(rb, loc);
      });
}

//===----------------------------------------------------------------------===//
// Products
//===----------------------------------------------------------------------===//

/// The tile of rows `rows` for the channel block `block`: the exact integer
/// sums, per row as two vectors of lanes/2 i32: the first for the channels
/// 16s + 0..7 of each 128-bit segment s, the second for 16s + 8..15 (the
/// order in which the byte unpacks leave them).
SmallVector<Value> emitTileSums(Builder &b, const LookupTableIsa &isa,
                                const LookupOperands &ops, Value block,
                                ArrayRef<Value> rows) {
  int64_t lanes = isa.lanes;
  Type i8 = b.getI8Type();
  auto bytes = VectorType::get({lanes}, i8);
  auto bytes16 = VectorType::get({kTableEntries}, i8);
  auto shorts = VectorType::get({lanes / 2}, b.getI16Type());
  auto ints = VectorType::get({lanes / 2}, b.getI32Type());
  int64_t numRows = rows.size();

  SmallVector<int64_t> broadcast, unpackLow, unpackHigh;
  for (int64_t lane = 0; lane < lanes; ++lane)
    broadcast.push_back(lane % kTableEntries);
  for (int64_t segment = 0; segment < lanes / 16; ++segment)
    for (int64_t i = 0; i < 8; ++i) {
      unpackLow.append({16 * segment + i, lanes + 16 * segment + i});
      unpackHigh.append({16 * segment + 8 + i, lanes + 16 * segment + 8 + i});
    }
  SmallVector<int64_t> joinFactors;
  for (int64_t lane = 0; lane < lanes; ++lane)
    joinFactors.push_back(lane % 2 ? 16 : 1);
  Value join = b.constantVector(bytes, joinFactors);
  Value nibbleMask = b.splat(bytes, 15);
  Value four = b.splat(bytes, 4);
  Value zero = b.index(0);
  auto codesType = cast<MemRefType>(ops.codes.getType());
  int64_t linesPerBlock = codesType.getDimSize(1);
  int64_t lastLine = codesType.getDimSize(0) * linesPerBlock - 1;
  int64_t prefetchLines = kPrefetchBytes / lanes;
  Value flatCodes;
  if (numRows == 1)
    flatCodes = memref::CollapseShapeOp::create(
        b, ops.codes, ArrayRef<ReassociationIndices>{{0, 1}, {2}});

  // One step: 8 inputs, two vectors of codes, 4 lookups per row and table.
  auto step = [&](Builder &sb, Value k, ValueRange sums) {
    Value pairOfGroups = arith::DivUIOp::create(sb, k, sb.index(4));
    Value group = arith::DivUIOp::create(sb, k, sb.index(2));
    SmallVector<Value> indices;
    if (numRows == 1) {
      // A single row reads a step's codes faster than the hardware
      // prefetcher brings them from memory (which stops at page ends): ask
      // for them a page ahead. A step reads 2 rows of `lanes` code bytes:
      // 2 cache lines (AVX-512) or one (AVX2).
      for (int64_t v = 0; v < 2 * lanes / 64; ++v) {
        Value line = arith::AddIOp::create(
            sb, arith::MulIOp::create(sb, block, sb.index(linesPerBlock)),
            arith::AddIOp::create(sb, pairOfGroups,
                                  sb.index(prefetchLines + v)));
        line = arith::MinUIOp::create(sb, line, sb.index(lastLine));
        memref::PrefetchOp::create(sb, flatCodes, ValueRange{line, zero},
                                   /*isWrite=*/false, /*localityHint=*/3,
                                   /*isDataCache=*/true);
      }
    }
    for (int64_t v = 0; v < 2; ++v) {
      Value p = arith::AddIOp::create(sb, pairOfGroups, sb.index(v));
      Value codes = vector::LoadOp::create(sb, bytes, ops.codes,
                                           ValueRange{block, p, zero});
      indices.push_back(arith::AndIOp::create(sb, codes, nibbleMask));
      indices.push_back(arith::ShRUIOp::create(sb, codes, four));
    }
    SmallVector<Value> next(sums.begin(), sums.end());
    for (int64_t r = 0; r < numRows; ++r) {
      Value byteSums[2];
      for (int64_t half = 0; half < 2; ++half) {
        SmallVector<Value> looked;
        for (int64_t g = 0; g < 4; ++g) {
          Value pair = arith::AddIOp::create(sb, group, sb.index(g));
          Value table = vector::LoadOp::create(
              sb, bytes16, ops.tables,
              ValueRange{rows[r], pair, sb.index(half * kTableEntries)});
          table = vector::ShuffleOp::create(sb, table, table, broadcast);
          looked.push_back(
              ByteLookupOp::create(sb, bytes, table, indices[g]));
        }
        byteSums[half] = arith::AddIOp::create(
            sb, arith::AddIOp::create(sb, looked[0], looked[1]),
            arith::AddIOp::create(sb, looked[2], looked[3]));
      }
      for (int64_t i = 0; i < 2; ++i) {
        Value paired = vector::ShuffleOp::create(
            sb, byteSums[0], byteSums[1], i ? unpackHigh : unpackLow);
        Value joined = PairSumOp::create(sb, shorts, join, paired);
        next[2 * r + i] = arith::AddIOp::create(sb, next[2 * r + i], joined);
      }
    }
    return next;
  };

  Value end = b.index(ops.paddedInputs);
  SmallVector<Value> init(2 * numRows, b.zeros(ints));
  auto chunks = scf::ForOp::create(
      b, b.getLoc(), zero, end, b.index(kInputsPerChunk), init,
      [&](OpBuilder &cb, Location cloc, Value chunk, ValueRange totals) {
        Builder chb(cloc, cb);
        Value chunkEnd = arith::MinUIOp::create(
            chb, arith::AddIOp::create(chb, chunk, chb.index(kInputsPerChunk)),
            end);
        auto steps = scf::ForOp::create(
            chb, cloc, chunk, chunkEnd, chb.index(kInputsPerStep),
            SmallVector<Value>(2 * numRows, chb.zeros(shorts)),
            [&](OpBuilder &sb, Location sloc, Value k, ValueRange sums) {
              Builder stb(sloc, sb);
              scf::YieldOp::create(stb, step(stb, k, sums));
            });
        SmallVector<Value> widened;
        for (auto [total, part] : llvm::zip_equal(totals, steps.getResults()))
          widened.push_back(arith::AddIOp::create(
              chb, total, arith::ExtSIOp::create(chb, ints, part)));
        scf::YieldOp::create(chb, widened);
      });
  return SmallVector<Value>(chunks.getResults());
}

/// y[m, n] = sums / r[m] * scale[n] + bias[n] for the block's channels, 8
/// consecutive channels at a time; writes past N are masked off.
void emitTileStores(Builder &b, const LookupTableIsa &isa,
                    const LookupOperands &ops, Value block,
                    ArrayRef<Value> rows, ArrayRef<Value> sums) {
  auto floats8 = VectorType::get({8}, b.getF32Type());
  auto floats = VectorType::get({isa.lanes / 2}, b.getF32Type());
  bool perTensorScale =
      cast<MemRefType>(ops.scale.getType()).getDimSize(0) == 1 &&
      ops.outFeatures != 1;
  Value firstChannel = arith::MulIOp::create(b, block, b.index(isa.lanes));
  Value zeroF = arith::ConstantOp::create(b, b.getF32FloatAttr(0));
  Value nan = arith::ConstantOp::create(
      b, b.getF32FloatAttr(std::numeric_limits<float>::quiet_NaN()));
  Value tensorScale;
  if (perTensorScale)
    tensorScale = vector::BroadcastOp::create(
        b, floats8, memref::LoadOp::create(b, ops.scale, ValueRange{b.index(0)}));
  for (auto [r, m] : llvm::enumerate(rows)) {
    Value divisor = memref::LoadOp::create(b, ops.rowDivisor, ValueRange{m});
    // r is 0 only where the row holds an infinity; the float reference is
    // NaN there (inf * 0), which an integer sum cannot hold.
    Value isZero = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, divisor,
                                         zeroF);
    Value divisors = vector::BroadcastOp::create(b, floats8, divisor);
    for (int64_t i = 0; i < 2; ++i) {
      Value y = arith::SIToFPOp::create(b, floats, sums[2 * r + i]);
      for (int64_t segment = 0; segment < isa.lanes / 16; ++segment) {
        Value part = vector::ExtractStridedSliceOp::create(
            b, y, ArrayRef<int64_t>{8 * segment}, ArrayRef<int64_t>{8},
            ArrayRef<int64_t>{1});
        Value n = arith::AddIOp::create(b, firstChannel,
                                        b.index(16 * segment + 8 * i));
        part = arith::DivFOp::create(b, part, divisors);
        part = arith::SelectOp::create(
            b, isZero, vector::BroadcastOp::create(b, floats8, nan), part);
        Value scale = tensorScale;
        if (!scale)
          scale = vector::TransferReadOp::create(b, floats8, ops.scale,
                                                 ValueRange{n}, zeroF,
                                                 ArrayRef<bool>{false});
        part = arith::MulFOp::create(b, part, scale);
        if (ops.bias)
          part = arith::AddFOp::create(
              b, part,
              vector::TransferReadOp::create(b, floats8, ops.bias,
                                             ValueRange{n}, zeroF,
                                             ArrayRef<bool>{false}));
        vector::TransferWriteOp::create(b, part, ops.out, ValueRange{m, n},
                                        ArrayRef<bool>{false});
      }
    }
  }
}

void emitProducts(Builder &b, const LookupTableIsa &isa,
                  const LookupOperands &ops) {
  Value zero = b.index(0), one = b.index(1);
  Value rows = memref::DimOp::create(b, ops.x, 0);
  Value tile = b.index(isa.rowTile);
  Value tiledRows = arith::SubIOp::create(
      b, rows, arith::RemUIOp::create(b, rows, tile));
  int64_t blocks = llvm::divideCeil(ops.outFeatures, isa.lanes);
  scf::ParallelOp::create(
      b, b.getLoc(), ValueRange{zero}, ValueRange{b.index(blocks)},
      ValueRange{one}, [&](OpBuilder &pb, Location loc, ValueRange ivs) {
        Builder bb(loc, pb);
        Value block = ivs[0];
        auto forRows = [&](Value from, Value to, int64_t count) {
          scf::ForOp::create(
              bb, loc, from, to, bb.index(count), ValueRange{},
              [&](OpBuilder &fb, Location floc, Value m0, ValueRange) {
                Builder tb(floc, fb);
                SmallVector<Value> ms = {m0};
                for (int64_t r = 1; r < count; ++r)
                  ms.push_back(arith::AddIOp::create(tb, m0, tb.index(r)));
                emitTileStores(tb, isa, ops, block, ms,
                               emitTileSums(tb, isa, ops, block, ms));
                scf::YieldOp::create(tb);
              });
        };
        forRows(zero, tiledRows, isa.rowTile);
        forRows(tiledRows, rows, 1);
        scf::ReduceOp::create(bb, loc);
      });
}

//===----------------------------------------------------------------------===//
// The pattern
//===----------------------------------------------------------------------===//

/// The layer's weights as lookup codes, a constant of blocks x P x lanes i8.
FailureOr<Value> lookupCodes(Builder &b, TernaryLinearOp op, int64_t lanes) {
  SmallVector<uint8_t> storage;
  std::optional<ArrayRef<uint8_t>> packed =
      getPackedBytes(op.getPackedWeights(), storage);
  if (!packed)
    return failure();
  int64_t rows = op.getOutFeatures(), cols = op.getInFeatures();
  std::vector<int8_t> trits =
      quant::unpackTernaryBitplanes(packed->data(), rows, cols);
  std::vector<uint8_t> codes =
      quant::packTernaryLookupCodes(trits.data(), rows, cols, lanes);
  int64_t blocks = llvm::divideCeil(rows, lanes);
  int64_t pairs = llvm::divideCeil(cols, kInputsPerStep) * 2;
  std::string name =
      (op.getLayerName().value_or("ternary") + "_lookup_codes").str();
  ElementsAttr attr = createPackedAttr(b.getContext(), {blocks, pairs, lanes},
                                       codes, name);
  return arith::ConstantOp::create(b, cast<TypedAttr>(attr)).getResult();
}

struct TernaryLinearToLookupTables : OpConversionPattern<TernaryLinearOp> {
  TernaryLinearToLookupTables(MLIRContext *context, LookupTableIsa isa)
      : OpConversionPattern(context, /*benefit=*/2), isa(isa) {}

  LogicalResult
  matchAndRewrite(TernaryLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!op.getInt8Activations())
      return rewriter.notifyMatchFailure(op, "needs int8 activations");
    Builder b(op.getLoc(), rewriter);
    FailureOr<Value> codes = lookupCodes(b, op, isa.lanes);
    if (failed(codes))
      return rewriter.notifyMatchFailure(op, "packed weights not readable");
    LookupOperands ops;
    static_cast<LowBitLayer &>(ops) = readBuffers(
        rewriter, op.getLoc(),
        prepareLowBitLayer(rewriter, op, adaptor.getInput(), adaptor.getBias()));
    ops.codes = readBuffer(b, op.getLoc(), *codes);
    ops.paddedInputs = llvm::alignTo(ops.inFeatures, kInputsPerStep);

    int64_t groups = llvm::alignTo(ops.inFeatures, 2 * kPairsPerTableStep) / 2;
    ops.tables = allocatePerRow(b, ops.x, {groups, kTableBytes}, b.getI8Type());
    ops.out = allocatePerRow(b, ops.x, {ops.outFeatures}, b.getF32Type());
    emitTables(b, ops);
    emitProducts(b, isa, ops);
    replaceLayerWithOutput(rewriter, op, ops.out, adaptor.getInput());
    return success();
  }

  LookupTableIsa isa;
};

} // namespace

Value onebit::allocatePerRow(ImplicitLocOpBuilder &b, Value x,
                             ArrayRef<int64_t> trailing, Type element) {
  auto xType = cast<MemRefType>(x.getType());
  SmallVector<int64_t> shape = {xType.getDimSize(0)};
  llvm::append_range(shape, trailing);
  SmallVector<Value> dynamicRows;
  if (xType.isDynamicDim(0))
    dynamicRows.push_back(memref::DimOp::create(b, x, 0));
  return memref::AllocOp::create(b, MemRefType::get(shape, element),
                                 dynamicRows);
}

void onebit::replaceLayerWithOutput(ConversionPatternRewriter &rewriter,
                                    Operation *op, Value out, Value input) {
  auto outType = cast<MemRefType>(out.getType());
  Value y = bufferization::ToTensorOp::create(
      rewriter, op->getLoc(),
      RankedTensorType::get(outType.getShape(), outType.getElementType()), out,
      /*restrict=*/rewriter.getUnitAttr(), /*writable=*/rewriter.getUnitAttr());
  rewriter.replaceOp(op, restoreBatchDims(
                             rewriter, op->getLoc(), y, input,
                             cast<RankedTensorType>(op->getResult(0).getType())));
}

void onebit::populateLookupTablePatterns(RewritePatternSet &patterns,
                                         const LookupTableIsa &isa) {
  patterns.add<TernaryLinearToLookupTables>(patterns.getContext(), isa);
}
