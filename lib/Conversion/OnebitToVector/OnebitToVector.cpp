//===- OnebitToVector.cpp - Add-only vector kernels for low-bit layers ----===//
//
// The CPU kernels of ternary_linear and sign_linear. Their inner loop reads
// the packed bit planes in place as vector<w x i1> masks and only adds or
// subtracts activations under them; every multiplication (scale, h, bias, the
// int8 row factor) happens once per output, after the reduction. The weights
// stream through once per activation row, so at M = 1 the loop is bound by
// the 2 (or 1) bits per weight it reads, not by arithmetic.
//
//===----------------------------------------------------------------------===//

#include "LookupTableKernel.h"

#include "onebit/Conversion/LinearLayerUtils.h"
#include "onebit/Conversion/Passes.h"
#include "onebit/Dialect/OnebitDialect.h"
#include "onebit/Dialect/OnebitOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

namespace onebit {
#define GEN_PASS_DEF_LOWERTOVECTORKERNELS
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

//===----------------------------------------------------------------------===//
// Kernel description
//===----------------------------------------------------------------------===//

/// What the kernel loop reads, all as buffers: a low-bit layer's operands,
/// or for a float layer x, its N x K f32 `weights` (packed stays null) and
/// its bias. With `integer` (ternary layers with int8 activations), x holds
/// the quantized activations as i16 and the loop adds in i16 lanes, twice as
/// many per vector as f32 and on the integer units (see emitTileDot).
struct KernelOperands : LowBitLayer {
  Value weights;
  /// The bits of each element of `weights`: 32 (f32), or 8 or 4 (i8 bytes
  /// in onebit.quantized_linear's layout, converted to f32 as loaded).
  int64_t weightBits = 32;
  bool integer = false;
};

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// a + c and a - c, for floats and integers alike.
Value addValues(OpBuilder &b, Location loc, Value a, Value c) {
  if (isa<FloatType>(getElementTypeOrSelf(a)))
    return arith::AddFOp::create(b, loc, a, c);
  return arith::AddIOp::create(b, loc, a, c);
}

Value subtractValues(OpBuilder &b, Location loc, Value a, Value c) {
  if (isa<FloatType>(getElementTypeOrSelf(a)))
    return arith::SubFOp::create(b, loc, a, c);
  return arith::SubIOp::create(b, loc, a, c);
}

/// A constant of `type` (a scalar or a vector) that is all zeros.
Value zerosOf(OpBuilder &b, Location loc, Type type) {
  return arith::ConstantOp::create(b, loc,
                                   cast<TypedAttr>(b.getZeroAttr(type)));
}

//===----------------------------------------------------------------------===//
// The inner loop
//===----------------------------------------------------------------------===//

/// The i1 mask of `width` weights of row n from the bytes at `byte` of bit
/// plane `plane` (ternary) or of the sign row. In the tail the bytes are read
/// with zero padding, which the format's zero padding bits make exact.
Value loadBitMask(OpBuilder &b, Location loc, const KernelOperands &ops,
                  Value n, std::optional<int64_t> plane, Value byte,
                  int64_t width, bool tail) {
  SmallVector<Value> indices = {n};
  if (plane)
    indices.push_back(indexConstant(b, loc, *plane));
  indices.push_back(byte);
  auto bytesType = VectorType::get({width / 8}, b.getI8Type());
  Value bytes;
  if (tail) {
    Value zero = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
    bytes = vector::TransferReadOp::create(b, loc, bytesType, ops.packed,
                                           indices, zero,
                                           ArrayRef<bool>{false});
  } else {
    bytes = vector::LoadOp::create(b, loc, bytesType, ops.packed, indices);
  }
  return vector::BitCastOp::create(
      b, loc, VectorType::get({width}, b.getI1Type()), bytes);
}

/// The weights of row n for the `width` inputs from k (a multiple of 8) on:
/// the plus and minus masks (ternary), the sign mask (sign), or the float
/// weights. Loaded once and applied to every activation row of a block.
struct WeightGroup {
  Value first, second;
};

/// `width` weights of row n from k on as f32 lanes: float weights as they
/// are; int8 bytes converted; int4 bytes split into their low nibbles (even
/// k) and high nibbles (odd k), sign-extended, and interleaved back into
/// order. The tail reads zeros past the row.
Value loadWeightLanes(OpBuilder &b, Location loc, const KernelOperands &ops,
                      Value n, Value k, int64_t width, bool tail) {
  Type element = cast<MemRefType>(ops.weights.getType()).getElementType();
  int64_t count = ops.weightBits == 4 ? width / 2 : width;
  Value at = k;
  if (ops.weightBits == 4)
    at = arith::ShRUIOp::create(b, loc, k, indexConstant(b, loc, 1));
  auto type = VectorType::get({count}, element);
  Value lanes;
  if (tail) {
    Value zero = arith::ConstantOp::create(
        b, loc, cast<TypedAttr>(b.getZeroAttr(element)));
    lanes = vector::TransferReadOp::create(b, loc, type, ops.weights,
                                           ValueRange{n, at}, zero,
                                           ArrayRef<bool>{false});
  } else {
    lanes = vector::LoadOp::create(b, loc, type, ops.weights,
                                   ValueRange{n, at});
  }
  if (ops.weightBits == 32)
    return lanes;
  if (ops.weightBits == 4) {
    Value four = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getI8IntegerAttr(4)));
    Value low = arith::ShRSIOp::create(
        b, loc, arith::ShLIOp::create(b, loc, lanes, four), four);
    Value high = arith::ShRSIOp::create(b, loc, lanes, four);
    SmallVector<int64_t> interleave;
    for (int64_t i = 0; i < count; ++i)
      interleave.append({i, count + i});
    lanes = vector::ShuffleOp::create(b, loc, low, high, interleave);
  }
  return arith::SIToFPOp::create(
      b, loc, VectorType::get({width}, b.getF32Type()), lanes);
}

WeightGroup loadWeights(OpBuilder &b, Location loc, const KernelOperands &ops,
                        Value n, Value k, int64_t width, bool tail) {
  if (ops.weights)
    return {loadWeightLanes(b, loc, ops, n, k, width, tail), nullptr};
  Value byte = arith::DivUIOp::create(b, loc, k, indexConstant(b, loc, 8));
  if (!ops.ternary)
    return {loadBitMask(b, loc, ops, n, std::nullopt, byte, width, tail),
            nullptr};
  return {loadBitMask(b, loc, ops, n, 0, byte, width, tail),
          loadBitMask(b, loc, ops, n, 1, byte, width, tail)};
}

/// acc += x under the plus mask and -= x under the minus mask (ternary), or
/// acc += x where the sign bit is set and -= x where it is clear (sign), or
/// acc = fma(x, w, acc) for float weights.
Value applyWeights(OpBuilder &b, Location loc, const KernelOperands &ops,
                   const WeightGroup &w, Value acc, Value x) {
  if (ops.weights)
    return vector::FMAOp::create(b, loc, x, w.first, acc);
  if (!ops.ternary) {
    Value added = addValues(b, loc, acc, x);
    Value subtracted = subtractValues(b, loc, acc, x);
    return arith::SelectOp::create(b, loc, w.first, added, subtracted);
  }
  Value added = arith::SelectOp::create(b, loc, w.first,
                                        addValues(b, loc, acc, x), acc);
  return arith::SelectOp::create(b, loc, w.second,
                                 subtractValues(b, loc, added, x), added);
}

/// The kernel computes tiles of kRowBlock activation rows by kChannelBlock
/// output channels: every weight group loaded (and, for the low-bit layers,
/// decoded) serves all rows of the tile, and every activation vector loaded
/// serves all its channels, so the loop does several adds (or FMAs) per load
/// instead of about one. The 16 accumulators of a tile are independent
/// chains, enough to keep the vector units busy (an add waits 3 to 4 cycles
/// for the previous one on current x86 cores).
constexpr int64_t kRowBlock = 4;
constexpr int64_t kChannelBlock = 4;
/// Rows left over (all of them at M = 1) go one at a time. The low-bit
/// layers, whose loop is bound by decoding rather than by memory, keep the
/// block's channels together, with four groups of K in flight per channel
/// (a step then reads 8 bytes of each of a ternary block's 8 planes, one
/// cache line in all, and issues one prefetch).
/// Float layers (and int8 / int4 ones, also read a weight per lane) at M = 1
/// are bound by reading their weights: they take
/// the channels one after another, four groups in flight, so that the
/// weights stream from memory in one long sequential run (four interleaved
/// runs of one row each are too short for the hardware prefetcher and took
/// twice as long).
constexpr int64_t kGroupsPerBlockedSingleRow = 4;
constexpr int64_t kGroupsPerSingleRowAndChannel = 4;
/// int8 / int4 weights read a quarter or an eighth of the bytes per FMA:
/// there the FMAs' latency (4 cycles), not memory, bounds four chains, and
/// eight keep both FMA units busy.
constexpr int64_t kGroupsPerConvertedWeightRow = 8;

/// The pairwise sum of `values`.
Value sumPairwise(OpBuilder &b, Location loc, SmallVector<Value> values) {
  while (values.size() > 1) {
    SmallVector<Value> halved;
    for (size_t i = 0; i + 1 < values.size(); i += 2)
      halved.push_back(addValues(b, loc, values[i], values[i + 1]));
    if (values.size() % 2)
      halved.push_back(values.back());
    values = std::move(halved);
  }
  return values.front();
}

/// The sum of the lanes of each of `accs`. One reduction per vector costs
/// log2(width) shuffles and adds each; a tile's 16 accumulators are instead
/// summed together as a transpose: each level adds the low and high halves
/// of two vectors' partial sums into one vector (their lanes side by side),
/// until one vector holds up to `width` groups of partial sums, which a few
/// more shuffles and adds fold down to one lane each.
SmallVector<Value> sumEachLanes(OpBuilder &b, Location loc,
                                ArrayRef<Value> accs, int64_t width) {
  if (accs.size() == 1)
    return {vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                        accs.front())};
  SmallVector<Value> sums;
  auto vectorType = cast<VectorType>(accs.front().getType());
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0)));
  for (size_t first = 0; first < accs.size(); first += width) {
    size_t count = std::min<size_t>(width, accs.size() - first);
    SmallVector<Value> level(accs.begin() + first,
                             accs.begin() + first + count);
    level.resize(llvm::PowerOf2Ceil(count), zeros);
    // Each vector of `level` holds width / segment accumulators' partial
    // sums, `segment` lanes each, in order.
    int64_t segment = width;
    while (level.size() > 1) {
      SmallVector<int64_t> low, high;
      for (int64_t source = 0; source < 2; ++source)
        for (int64_t start = source * width; start < (source + 1) * width;
             start += segment)
          for (int64_t lane = 0; lane < segment / 2; ++lane) {
            low.push_back(start + lane);
            high.push_back(start + segment / 2 + lane);
          }
      SmallVector<Value> next;
      for (size_t i = 0; i < level.size(); i += 2) {
        Value lows =
            vector::ShuffleOp::create(b, loc, level[i], level[i + 1], low);
        Value highs =
            vector::ShuffleOp::create(b, loc, level[i], level[i + 1], high);
        next.push_back(arith::AddFOp::create(b, loc, lows, highs));
      }
      level = std::move(next);
      segment /= 2;
    }
    Value folded = level.front();
    int64_t stride = segment;
    for (; segment > 1; segment /= 2) {
      SmallVector<int64_t> upper;
      for (int64_t lane = 0; lane < width; ++lane)
        upper.push_back(lane % segment < segment / 2 ? lane + segment / 2
                                                     : lane);
      folded = arith::AddFOp::create(
          b, loc, folded,
          vector::ShuffleOp::create(b, loc, folded, folded, upper));
    }
    for (size_t i = 0; i < count; ++i)
      sums.push_back(vector::ExtractOp::create(b, loc, folded,
                                               int64_t(i) * stride));
  }
  return sums;
}

/// Where the kernel asks for the next block's bit planes to be brought into
/// cache. A block reads its 4 channels' planes side by side, a few bytes of
/// each per step: too many short runs for the hardware prefetcher, so at
/// M = 1 it waited on memory at every cache line. The next block's planes
/// are one contiguous run of bytes, which the loop over K walks through at
/// the rate it consumes its own: at input k, byte k * planes / 2 of it.
struct BlockPrefetch {
  Value flatPacked;  // the packed weights as 1-D bytes
  Value nextBlock;   // the next block's first byte
  Value lastByte;    // clamp: the last block has no next one
  int64_t planes = 1;

  /// Whether the group `inputOffset` inputs into a step moves the walk
  /// through the next block on by another 64 bytes (a cache line) from the
  /// step's start: one prefetch per line, whether a step covers 64 inputs
  /// (f32 lanes) or 128 (i16 lanes). Steps shorter than a line prefetch at
  /// each step.
  bool startsCacheLine(int64_t inputOffset) const {
    return inputOffset * planes / 2 % 64 == 0;
  }

  void emit(OpBuilder &b, Location loc, Value k) const {
    if (!flatPacked)
      return;
    Value offset = k;
    if (planes == 1)
      offset = arith::ShRUIOp::create(b, loc, k, indexConstant(b, loc, 1));
    Value byte = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, nextBlock, offset), lastByte);
    memref::PrefetchOp::create(b, loc, flatPacked, ValueRange{byte},
                               /*isWrite=*/false, /*localityHint=*/3,
                               /*isDataCache=*/true);
  }
};

/// The per-lane partial sums of x[m, k] * W[n, k] over k in [begin,
/// begin + length) for each row m of `rows` and channel n of `channels`
/// (result r * channels.size() + c), with W in {-1, 0, +1} or {-1, +1} by
/// adds alone (or by FMAs for float weights), in vectors of `lanes` elements
/// of x's type: a main loop of `groups` groups of `lanes` inputs a step (an
/// accumulator for each row, channel and group), then single groups, then
/// the zero-padded tail.
SmallVector<Value> emitRangeDot(OpBuilder &b, Location loc,
                                const KernelOperands &ops,
                                ArrayRef<Value> channels, ArrayRef<Value> rows,
                                int64_t lanes, int64_t groups,
                                const BlockPrefetch &prefetch, Value begin,
                                int64_t length) {
  Type element = cast<MemRefType>(ops.x.getType()).getElementType();
  auto vectorType = VectorType::get({lanes}, element);
  int64_t numRows = rows.size(), numChannels = channels.size();
  int64_t numOutputs = numRows * numChannels;
  int64_t unrolledEnd = length / (lanes * groups) * (lanes * groups);
  int64_t fullEnd = length / lanes * lanes;
  Value zeros = zerosOf(b, loc, vectorType);
  auto offset = [&](OpBuilder &ob, Location oloc, Value k, int64_t by) {
    if (std::optional<int64_t> constant = getConstantIntValue(k))
      return indexConstant(ob, oloc, *constant + by);
    return by ? arith::AddIOp::create(ob, oloc, k, indexConstant(ob, oloc, by))
                    .getResult()
              : k;
  };
  // acc[(r * C + c) * stepGroups + u] += W[n_c, k + u*lanes ..] . x[m_r, ...]
  auto step = [&](OpBuilder &lb, Location lloc, Value k, ValueRange accs,
                  int64_t stepGroups, bool tail) {
    SmallVector<Value> next(accs.begin(), accs.end());
    for (int64_t u = 0; u < stepGroups; ++u) {
      Value ku = offset(lb, lloc, k, u * lanes);
      SmallVector<WeightGroup> w;
      for (Value n : channels)
        w.push_back(loadWeights(lb, lloc, ops, n, ku, lanes, tail));
      if (!tail && prefetch.startsCacheLine(u * lanes))
        prefetch.emit(lb, lloc, ku);
      for (int64_t r = 0; r < numRows; ++r) {
        Value x;
        if (tail) {
          x = vector::TransferReadOp::create(
              lb, lloc, vectorType, ops.x, ValueRange{rows[r], ku},
              zerosOf(lb, lloc, element), ArrayRef<bool>{false});
        } else {
          x = vector::LoadOp::create(lb, lloc, vectorType, ops.x,
                                     ValueRange{rows[r], ku});
        }
        for (int64_t c = 0; c < numChannels; ++c) {
          Value &acc = next[(r * numChannels + c) * stepGroups + u];
          acc = applyWeights(lb, lloc, ops, w[c], acc, x);
        }
      }
    }
    return next;
  };
  auto loopOver = [&](int64_t from, int64_t to, int64_t stepGroups,
                      SmallVector<Value> inits) {
    auto loop = scf::ForOp::create(
        b, loc, offset(b, loc, begin, from), offset(b, loc, begin, to),
        indexConstant(b, loc, lanes * stepGroups), inits,
        [&](OpBuilder &lb, Location lloc, Value k, ValueRange accs) {
          scf::YieldOp::create(lb, lloc,
                               step(lb, lloc, k, accs, stepGroups, false));
        });
    return SmallVector<Value>(loop.getResults());
  };

  SmallVector<Value> accs(numOutputs, zeros);
  if (unrolledEnd > 0) {
    SmallVector<Value> partial =
        loopOver(0, unrolledEnd, groups,
                 SmallVector<Value>(numOutputs * groups, zeros));
    for (int64_t o = 0; o < numOutputs; ++o)
      accs[o] = sumPairwise(
          b, loc,
          SmallVector<Value>(partial.begin() + o * groups,
                             partial.begin() + (o + 1) * groups));
  }
  if (fullEnd > unrolledEnd)
    accs = loopOver(unrolledEnd, fullEnd, 1, accs);
  if (fullEnd != length)
    accs = step(b, loc, offset(b, loc, begin, fullEnd), accs, 1, true);
  return accs;
}

/// How many inputs an i16 lane sums before it is widened to i32: 128 adds
/// or subtracts of an int8 value (|q| <= 128) stay within 16384 in magnitude,
/// far from overflowing, for every grouping of the adds.
constexpr int64_t kInt16StepsPerChunk = 128;

/// sum_k x[m, k] * W[n, k] for each row m of `rows` and channel n of
/// `channels` (result r * channels.size() + c), as f32 scalars.
/// Float activations are summed in f32 vectors of `width` lanes. Integer
/// ones (int8 in i16) in i16 vectors of 2 * width lanes, chunk by chunk of K,
/// each chunk's sums widened into i32 before they could overflow; the sums
/// are exact integers, as in f32 (128 * K <= 2^24), so both give the same.
SmallVector<Value> emitTileDot(OpBuilder &b, Location loc,
                               const KernelOperands &ops,
                               ArrayRef<Value> channels, ArrayRef<Value> rows,
                               int64_t width, int64_t groups,
                               const BlockPrefetch &prefetch) {
  Value zero = indexConstant(b, loc, 0);
  int64_t inputs = ops.inFeatures;
  if (!ops.integer)
    return sumEachLanes(b, loc,
                        emitRangeDot(b, loc, ops, channels, rows, width,
                                     groups, prefetch, zero, inputs),
                        width);

  int64_t lanes = 2 * width;
  int64_t chunk = lanes * kInt16StepsPerChunk;
  int64_t chunkedEnd = inputs / chunk * chunk;
  auto wideType = VectorType::get({lanes}, b.getI32Type());
  auto widenInto = [&](OpBuilder &wb, Location wloc, ValueRange totals,
                       ArrayRef<Value> partial) {
    SmallVector<Value> sums;
    for (auto [total, part] : llvm::zip_equal(totals, partial))
      sums.push_back(arith::AddIOp::create(
          wb, wloc, total, arith::ExtSIOp::create(wb, wloc, wideType, part)));
    return sums;
  };
  SmallVector<Value> totals(rows.size() * channels.size(),
                            zerosOf(b, loc, wideType));
  if (chunkedEnd > 0) {
    auto loop = scf::ForOp::create(
        b, loc, zero, indexConstant(b, loc, chunkedEnd),
        indexConstant(b, loc, chunk), totals,
        [&](OpBuilder &lb, Location lloc, Value k, ValueRange accs) {
          scf::YieldOp::create(
              lb, lloc,
              widenInto(lb, lloc, accs,
                        emitRangeDot(lb, lloc, ops, channels, rows, lanes,
                                     groups, prefetch, k, chunk)));
        });
    totals = SmallVector<Value>(loop.getResults());
  }
  if (chunkedEnd != inputs)
    totals = widenInto(
        b, loc, totals,
        emitRangeDot(b, loc, ops, channels, rows, lanes, groups, prefetch,
                     indexConstant(b, loc, chunkedEnd), inputs - chunkedEnd));
  auto floatType = VectorType::get({lanes}, b.getF32Type());
  for (Value &total : totals)
    total = arith::SIToFPOp::create(b, loc, floatType, total);
  return sumEachLanes(b, loc, totals, lanes);
}

/// y / r for the int8 row factor r. r is 0 only where the row holds an
/// infinity, whose quantized value (inf * 0) is NaN in f32 and makes the
/// float sum NaN; the integer sum cannot hold a NaN (see toInt16), so the
/// integer kernel gives the NaN here instead.
Value divideByRowFactor(OpBuilder &b, Location loc, Value y, Value r,
                        bool integer) {
  Value quotient = arith::DivFOp::create(b, loc, y, r);
  if (!integer)
    return quotient;
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value nan = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(std::numeric_limits<float>::quiet_NaN()));
  Value isZero =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, r, zero);
  return arith::SelectOp::create(b, loc, isZero, nan, quotient);
}

/// `count` consecutive indices from `first`.
SmallVector<Value> consecutive(OpBuilder &b, Location loc, Value first,
                               int64_t count) {
  SmallVector<Value> values = {first};
  for (int64_t i = 1; i < count; ++i)
    values.push_back(
        arith::AddIOp::create(b, loc, first, indexConstant(b, loc, i)));
  return values;
}

/// out[m, n] for all m and n: blocks of channels in parallel; inside, tiles
/// of kRowBlock rows, then the rows left one at a time. A block's weights
/// are read from memory once and from cache for every tile after the first.
/// The last block's channels are clamped to N - 1 when kChannelBlock does
/// not divide N: it computes and stores the last channel more than once,
/// with the same value, rather than needing a separate loop for the rest.
void emitKernel(OpBuilder &b, Location loc, const KernelOperands &ops,
                Value out, int64_t width) {
  Value zero = indexConstant(b, loc, 0);
  Value one = indexConstant(b, loc, 1);
  Value rows = memref::DimOp::create(b, loc, ops.x, 0);
  Value rowBlock = indexConstant(b, loc, kRowBlock);
  Value blockedRows = arith::SubIOp::create(
      b, loc, rows, arith::RemUIOp::create(b, loc, rows, rowBlock));
  int64_t channelBlock = std::min(kChannelBlock, ops.outFeatures);
  int64_t numBlocks = llvm::divideCeil(ops.outFeatures, channelBlock);
  bool perTensorScale =
      ops.scale && cast<MemRefType>(ops.scale.getType()).getDimSize(0) == 1 &&
      ops.outFeatures != 1;
  scf::ParallelOp::create(
      b, loc, ValueRange{zero}, ValueRange{indexConstant(b, loc, numBlocks)},
      ValueRange{one}, [&](OpBuilder &pb, Location ploc, ValueRange ivs) {
        Value first = arith::MulIOp::create(
            pb, ploc, ivs[0], indexConstant(pb, ploc, channelBlock));
        Value last = indexConstant(pb, ploc, ops.outFeatures - 1);
        SmallVector<Value> channels;
        for (Value n : consecutive(pb, ploc, first, channelBlock))
          channels.push_back(
              ops.outFeatures % channelBlock
                  ? arith::MinUIOp::create(pb, ploc, n, last).getResult()
                  : n);
        auto allChannels = llvm::to_vector(llvm::seq<int64_t>(0, channelBlock));
        // Float weights stream in long runs and need no prefetch.
        BlockPrefetch prefetch;
        if (ops.packed && channelBlock == kChannelBlock && numBlocks > 1) {
          auto packedType = cast<MemRefType>(ops.packed.getType());
          int64_t blockBytes =
              packedType.getNumElements() / ops.outFeatures * channelBlock;
          SmallVector<ReassociationIndices> all = {
              llvm::to_vector(llvm::seq<int64_t>(0, packedType.getRank()))};
          prefetch.flatPacked =
              memref::CollapseShapeOp::create(pb, ploc, ops.packed, all);
          prefetch.nextBlock = arith::MulIOp::create(
              pb, ploc, arith::AddIOp::create(pb, ploc, ivs[0], one),
              indexConstant(pb, ploc, blockBytes));
          prefetch.lastByte =
              indexConstant(pb, ploc, packedType.getNumElements() - 1);
          prefetch.planes = ops.ternary ? 2 : 1;
        }
        // int8 / int4 rows at M = 1 read the block's channels one after
        // another; each prefetches the same channel of the next block, one
        // block (4 rows, 10 KiB of an LM head) ahead of its loads.
        auto convertedRowPrefetch = [&](OpBuilder &rb, Location rloc,
                                        int64_t c) {
          BlockPrefetch rowPrefetch;
          if (ops.weightBits == 32 || numBlocks < 2 ||
              channelBlock != kChannelBlock)
            return rowPrefetch;
          auto weightsType = cast<MemRefType>(ops.weights.getType());
          int64_t rowBytes = weightsType.getDimSize(1);
          SmallVector<ReassociationIndices> all = {{0, 1}};
          rowPrefetch.flatPacked =
              memref::CollapseShapeOp::create(rb, rloc, ops.weights, all);
          rowPrefetch.nextBlock = arith::AddIOp::create(
              rb, rloc,
              arith::MulIOp::create(
                  rb, rloc, arith::AddIOp::create(rb, rloc, ivs[0], one),
                  indexConstant(rb, rloc, rowBytes * channelBlock)),
              indexConstant(rb, rloc, c * rowBytes));
          rowPrefetch.lastByte =
              indexConstant(rb, rloc, weightsType.getNumElements() - 1);
          // BlockPrefetch's byte of input k is k * planes / 2.
          rowPrefetch.planes = ops.weightBits == 8 ? 2 : 1;
          return rowPrefetch;
        };
        SmallVector<Value> scales, biases;
        for (Value n : channels) {
          if (ops.scale)
            scales.push_back(memref::LoadOp::create(
                pb, ploc, ops.scale, ValueRange{perTensorScale ? zero : n}));
          if (ops.bias)
            biases.push_back(
                memref::LoadOp::create(pb, ploc, ops.bias, ValueRange{n}));
        }
        // The epilogue, once per output: ys[r * cs.size() + i] is the sum
        // for row ms[r] and the block's channel number cs[i].
        auto store = [&](OpBuilder &fb, Location floc, ArrayRef<Value> ms,
                         ArrayRef<int64_t> cs, ArrayRef<Value> ys) {
          for (auto [r, m] : llvm::enumerate(ms)) {
            Value divisor;
            if (ops.rowDivisor)
              divisor = memref::LoadOp::create(fb, floc, ops.rowDivisor,
                                               ValueRange{m});
            for (auto [i, c] : llvm::enumerate(cs)) {
              Value y = ys[r * cs.size() + i];
              if (divisor)
                y = divideByRowFactor(fb, floc, y, divisor, ops.integer);
              if (ops.scale)
                y = arith::MulFOp::create(fb, floc, y, scales[c]);
              if (ops.bias)
                y = arith::AddFOp::create(fb, floc, y, biases[c]);
              memref::StoreOp::create(fb, floc, y, out,
                                      ValueRange{m, channels[c]});
            }
          }
        };
        scf::ForOp::create(
            pb, ploc, zero, blockedRows, rowBlock, ValueRange{},
            [&](OpBuilder &fb, Location floc, Value m0, ValueRange) {
              SmallVector<Value> ms = consecutive(fb, floc, m0, kRowBlock);
              store(fb, floc, ms, allChannels,
                    emitTileDot(fb, floc, ops, channels, ms, width, 1,
                                prefetch));
              scf::YieldOp::create(fb, floc);
            });
        scf::ForOp::create(
            pb, ploc, blockedRows, rows, one, ValueRange{},
            [&](OpBuilder &fb, Location floc, Value m, ValueRange) {
              if (!ops.weights) {
                store(fb, floc, {m}, allChannels,
                      emitTileDot(fb, floc, ops, channels, {m}, width,
                                  kGroupsPerBlockedSingleRow, prefetch));
              } else {
                for (int64_t c : allChannels)
                  store(fb, floc, {m}, {c},
                        emitTileDot(fb, floc, ops, {channels[c]}, {m}, width,
                                    ops.weightBits == 32
                                      ? kGroupsPerSingleRowAndChannel
                                      : kGroupsPerConvertedWeightRow,
                                    convertedRowPrefetch(fb, floc, c)));
              }
              scf::YieldOp::create(fb, floc);
            });
      });
}

/// Runs the kernel on the operands' buffers and returns the [M, N] tensor.
Value emitLayer(OpBuilder &b, Location loc, const KernelOperands &ops,
                int64_t width) {
  int64_t staticRows = cast<MemRefType>(ops.x.getType()).getDimSize(0);
  auto outType = MemRefType::get({staticRows, ops.outFeatures}, b.getF32Type());
  SmallVector<Value> dynamicRows;
  if (ShapedType::isDynamic(staticRows))
    dynamicRows.push_back(memref::DimOp::create(b, loc, ops.x, 0));
  Value out = memref::AllocOp::create(b, loc, outType, dynamicRows);
  emitKernel(b, loc, ops, out, width);
  auto tensorType =
      RankedTensorType::get(outType.getShape(), outType.getElementType());
  return bufferization::ToTensorOp::create(b, loc, tensorType, out,
                                           /*restrict=*/b.getUnitAttr(),
                                           /*writable=*/b.getUnitAttr());
}

//===----------------------------------------------------------------------===//
// Conversion patterns
//===----------------------------------------------------------------------===//

/// The int8 activations q (f32 holding integers in [-128, 127]) as i16, the
/// integer kernel's input. A NaN in x makes its row's factor r NaN, and so
/// the row's outputs, whatever q holds: it becomes 0 here rather than an
/// undefined conversion.
Value toInt16(OpBuilder &b, Location loc, Value q) {
  Type i16 = b.getI16Type();
  Value init = emptyTensor(b, loc, tensor::getMixedSizes(b, loc, q), i16);
  AffineMap identity = b.getMultiDimIdentityMap(2);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{q}, ValueRange{init},
             SmallVector<AffineMap>{identity, identity}, parallelLoops(2),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value isNaN = arith::CmpFOp::create(
                   nb, nloc, arith::CmpFPredicate::UNO, args[0], args[0]);
               Value zero =
                   arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(0));
               Value number =
                   arith::SelectOp::create(nb, nloc, isNaN, zero, args[0]);
               linalg::YieldOp::create(
                   nb, nloc,
                   arith::FPToSIOp::create(nb, nloc, i16, number).getResult());
             })
      .getResult(0);
}

/// ternary_linear and sign_linear alike: the shared operands, read as
/// buffers, then the loop nest.
template <typename LayerOp>
struct LowBitLayerToVector : OpConversionPattern<LayerOp> {
  LowBitLayerToVector(MLIRContext *context, int64_t width)
      : OpConversionPattern<LayerOp>(context), width(width) {}

  LogicalResult
  matchAndRewrite(LayerOp op, typename LayerOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    LowBitLayer layer =
        prepareLowBitLayer(rewriter, op, adaptor.getInput(), adaptor.getBias());
    KernelOperands ops;
    ops.integer = static_cast<bool>(layer.rowDivisor);
    if (ops.integer)
      layer.x = toInt16(rewriter, loc, layer.x);
    static_cast<LowBitLayer &>(ops) = readBuffers(rewriter, loc, layer);
    Value y = emitLayer(rewriter, loc, ops, width);
    rewriter.replaceOp(op, restoreBatchDims(rewriter, loc, y,
                                            adaptor.getInput(), op.getType()));
    return success();
  }

  int64_t width;
};

/// A layer over a weight matrix read lane by lane (f32, or int8 / int4
/// converted as loaded), with FMAs over the weights in place of the masked
/// adds: threads over output channels and vector partial sums over K, which
/// the linalg path (scalar, in-order sums) does not give.
Value emitWeightMatrixLayer(OpBuilder &b, Location loc, Value input,
                            Value weights, int64_t bits, int64_t inFeatures,
                            int64_t outFeatures, Value scale, Value bias,
                            RankedTensorType resultType, int64_t width) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (ShapedType::isDynamic(inputType.getShape().back())) {
    SmallVector<int64_t> shape(inputType.getShape());
    shape.back() = inFeatures;
    input = tensor::CastOp::create(b, loc, inputType.clone(shape), input);
  }
  KernelOperands ops;
  ops.x = readBuffer(b, loc, collapseToMatrix(b, loc, input));
  ops.inFeatures = inFeatures;
  ops.outFeatures = outFeatures;
  ops.weights = readBuffer(b, loc, weights);
  ops.weightBits = bits;
  ops.scale = readBuffer(b, loc, scale);
  ops.bias = readBuffer(b, loc, bias);
  Value y = emitLayer(b, loc, ops, width);
  return restoreBatchDims(b, loc, y, input, resultType);
}

struct FloatLinearOpToVector : OpConversionPattern<LinearOp> {
  FloatLinearOpToVector(MLIRContext *context, int64_t width)
      : OpConversionPattern(context), width(width) {}

  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType weightType = op.getWeight().getType();
    if (!weightType.hasStaticShape() || !weightType.getElementType().isF32() ||
        !op.getInput().getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "needs static f32 weights");
    rewriter.replaceOp(
        op, emitWeightMatrixLayer(
                rewriter, op.getLoc(), adaptor.getInput(), adaptor.getWeight(),
                32, weightType.getDimSize(1), weightType.getDimSize(0),
                nullptr, adaptor.getBias(), op.getType(), width));
    return success();
  }

  int64_t width;
};

struct QuantizedLinearOpToVector : OpConversionPattern<QuantizedLinearOp> {
  QuantizedLinearOpToVector(MLIRContext *context, int64_t width)
      : OpConversionPattern(context), width(width) {}

  LogicalResult
  matchAndRewrite(QuantizedLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!op.getWeight().getType().hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs a static weight shape");
    rewriter.replaceOp(
        op, emitWeightMatrixLayer(
                rewriter, op.getLoc(), adaptor.getInput(), adaptor.getWeight(),
                op.getBits(), op.getInFeatures(), op.getOutFeatures(),
                adaptor.getScale(), adaptor.getBias(), op.getType(), width));
    return success();
  }

  int64_t width;
};

struct LowerToVectorKernelsPass
    : onebit::impl::LowerToVectorKernelsBase<LowerToVectorKernelsPass> {
  using LowerToVectorKernelsBase::LowerToVectorKernelsBase;

  LogicalResult initialize(MLIRContext *context) override {
    // Masks are read a byte (8 lanes) at a time.
    int64_t width = vectorWidth;
    if (width <= 0 || width % 8 != 0)
      return emitError(UnknownLoc::get(context))
             << "onebit-lower-to-vector: vector-width must be a positive "
                "multiple of 8, got "
             << width;
    if (!lookupTables.empty()) {
      isa = lookupTableIsa(lookupTables);
      if (!isa)
        return emitError(UnknownLoc::get(context))
               << "onebit-lower-to-vector: lookup-tables must be avx2 or "
                  "avx512, got '"
               << lookupTables << "'";
    }
    return success();
  }

  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalOp<TernaryLinearOp, SignLinearOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateOnebitToVectorPatterns(patterns, vectorWidth);
    if (isa) {
      populateLookupTablePatterns(patterns, *isa);
      populateFloatLookupTablePatterns(patterns, *isa);
    }
    if (floatLayers) {
      // Layers whose weights are not static f32 stay for the linalg path.
      target.addDynamicallyLegalOp<LinearOp>([](LinearOp op) {
        RankedTensorType weight = op.getWeight().getType();
        return !weight.hasStaticShape() || !weight.getElementType().isF32() ||
               !op.getInput().getType().getElementType().isF32();
      });
      patterns.add<FloatLinearOpToVector>(&getContext(), vectorWidth);
    }
    // Weights of dynamic shape stay for the linalg path.
    target.addDynamicallyLegalOp<QuantizedLinearOp>([](QuantizedLinearOp op) {
      return !op.getWeight().getType().hasStaticShape();
    });
    patterns.add<QuantizedLinearOpToVector>(&getContext(), vectorWidth);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }

  std::optional<LookupTableIsa> isa;
};

} // namespace

void onebit::populateOnebitToVectorPatterns(RewritePatternSet &patterns,
                                            int64_t vectorWidth) {
  patterns.add<LowBitLayerToVector<TernaryLinearOp>,
               LowBitLayerToVector<SignLinearOp>>(patterns.getContext(),
                                                  vectorWidth);
}
