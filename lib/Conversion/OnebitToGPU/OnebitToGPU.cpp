//===- OnebitToGPU.cpp - Warp-per-channel GPU kernels for low-bit layers --===//
//
// ternary_linear and sign_linear become one gpu.launch each, designed for
// memory bandwidth rather than left to the generic one-thread-per-output
// mapping:
//
//   block = 8 warps, warp w of block (bx, by) owns output channel 8 bx + w;
//   block row by takes a tile of 8 activation rows while full tiles last
//   (prefill: the rows share each decode of the weights), then single rows
//   for each chunk of 1024 weights of K:
//     the block stages the tile's rows of x in shared memory, one padding
//     float after every 32 (lane l then reads bank (l + j) mod 32: no
//     conflicts), between barriers
//     lane l reads word l of the chunk in its channel's bit planes (each
//     load instruction of the warp is 128 contiguous bytes) and for each of
//     the 32 bits adds or subtracts x into an accumulator of each row: a
//     masked add, never a multiply by a weight
//   a single row (decode) goes by table lookup instead: the block writes
//   the 16 subset sums of each group of 4 activations of the chunk, and a
//   nibble of a bit plane then costs one shared load and one add
//   the warp sums its lanes with shuffles; lane 0 applies the int8 row
//   factor, the scale (or h) and the bias once and writes y[m, n]
//
// The planes are read as i32 words through a memref.view of the packed i8
// constant (its layout, N x planes x K/8 bytes, is unchanged), so K must be
// a multiple of 32; other layers are left to the reference lowering.
//
// Ownership-based buffer deallocation rejects GPU ops (their memory effects
// are unknown to it), so the lowering happens in two steps around
// bufferization: first the layer becomes a call to a declared kernel
// function, `onebit_gpu_layer_*`, on buffers; after bufferization each call
// is replaced by the launch itself (--onebit-define-gpu-layer-kernels).
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/LinearLayerUtils.h"
#include "onebit/Conversion/Passes.h"
#include "onebit/Dialect/OnebitOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/Support/FormatVariadic.h"

namespace onebit {
#define GEN_PASS_DEF_LOWERTOGPUKERNELS
#define GEN_PASS_DEF_DEFINEGPULAYERKERNELS
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

constexpr int64_t kWarpSize = 32;
constexpr int64_t kWarpsPerBlock = 8;
constexpr int64_t kAccumulators = 4;
/// Activation rows that share one decode of the weights, where M allows.
constexpr int64_t kTileRows = 8;

/// What the kernel reads: the layer's operands as buffers.
using GpuLayer = LowBitLayer;

Value index(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}


/// The packed planes as N x (planes * K/32) i32 words: plane p of row n
/// starts at word p * K/32. (Little-endian: bit k mod 32 of word k / 32 is
/// bit k mod 8 of byte k / 8.)
Value packedWords(OpBuilder &b, Location loc, const GpuLayer &layer) {
  auto type = cast<MemRefType>(layer.packed.getType());
  SmallVector<ReassociationIndices> all = {
      llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()))};
  Value bytes = memref::CollapseShapeOp::create(b, loc, layer.packed, all);
  int64_t planes = layer.ternary ? 2 : 1;
  auto wordsType =
      MemRefType::get({layer.outFeatures, planes * layer.inFeatures / 32},
                      b.getI32Type());
  return memref::ViewOp::create(b, loc, wordsType, bytes, index(b, loc, 0),
                                ValueRange{});
}

/// Each chunk of K the block stages holds 32 words per plane: one per lane.
constexpr int64_t kChunkWeights = 32 * kWarpSize;
/// A staged chunk row: 32 floats per word, and one of padding after each.
constexpr int64_t kPaddedChunk = 33 * kWarpSize;

/// One block's share of a launch: the rows m0 .. m0 + tileRows (those below
/// rowEnd) of the activations, and the warp's output channel n.
struct Tile {
  Value m0, rowEnd, n, lane, tid, ownsChannel;
  Value shared; // tileRows x kPaddedChunk floats in shared memory
  int64_t tileRows;
};

/// x[m, k] where `inside`, else 0, without reading.
Value loadOrZero(OpBuilder &b, Location loc, Value x, Value m, Value k,
                 Value inside) {
  return scf::IfOp::create(
             b, loc, inside,
             [&](OpBuilder &tb, Location tl) {
               scf::YieldOp::create(
                   tb, tl,
                   ValueRange{memref::LoadOp::create(tb, tl, x,
                                                     ValueRange{m, k})});
             },
             [&](OpBuilder &eb, Location el) {
               scf::YieldOp::create(
                   eb, el,
                   ValueRange{arith::ConstantFloatOp::create(
                       eb, el, eb.getF32Type(), APFloat(0.0f))});
             })
      .getResult(0);
}

/// Copies the chunk of x starting at word `c` (K index 32 c) of the tile's
/// rows into shared memory, zeros past K or past the last row. Each thread
/// copies every 256th float of each row: no divisions, and consecutive
/// threads touch consecutive addresses.
void stageChunk(OpBuilder &b, Location loc, const GpuLayer &layer,
                const Tile &tile, Value c) {
  Value k0 = arith::MulIOp::create(b, loc, c, index(b, loc, 32));
  Value kEnd = index(b, loc, layer.inFeatures);
  for (int64_t r = 0; r < tile.tileRows; ++r) {
    Value m = arith::AddIOp::create(b, loc, tile.m0, index(b, loc, r));
    Value rowInside =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m, tile.rowEnd);
    scf::ForOp::create(
        b, loc, tile.tid, index(b, loc, kChunkWeights),
        index(b, loc, kWarpSize * kWarpsPerBlock), ValueRange{},
        [&](OpBuilder &sb, Location sl, Value kk, ValueRange) {
          Value k = arith::AddIOp::create(sb, sl, k0, kk);
          Value inside = arith::AndIOp::create(
              sb, sl, rowInside,
              arith::CmpIOp::create(sb, sl, arith::CmpIPredicate::ult, k,
                                    kEnd));
          Value padded = arith::AddIOp::create(
              sb, sl, kk,
              arith::ShRUIOp::create(sb, sl, kk, index(sb, sl, 5)));
          memref::StoreOp::create(sb, sl,
                                  loadOrZero(sb, sl, layer.x, m, k, inside),
                                  tile.shared,
                                  ValueRange{index(sb, sl, r), padded});
          scf::YieldOp::create(sb, sl);
        });
  }
}

/// The lane's add-only work on its word of the staged chunk: for each of the
/// 32 bits, the bit test is shared by all rows of the tile.
SmallVector<Value> accumulateWord(OpBuilder &b, Location loc,
                                  const GpuLayer &layer, const Tile &tile,
                                  Value words, Value w, ValueRange accs,
                                  int64_t perRow) {
  SmallVector<Value> acc(accs);
  Value plus = memref::LoadOp::create(b, loc, words, ValueRange{tile.n, w});
  Value minus;
  if (layer.ternary)
    minus = memref::LoadOp::create(
        b, loc, words,
        ValueRange{tile.n,
                   arith::AddIOp::create(b, loc, w,
                                         index(b, loc, layer.inFeatures / 32))});
  // x[32 w + j] of row r sits at [r][33 lane + j] in the staged chunk.
  Value base = arith::MulIOp::create(b, loc, tile.lane, index(b, loc, 33));
  Value zeroWord = arith::ConstantIntOp::create(b, loc, 0, 32);
  for (int64_t j = 0; j < 32; ++j) {
    Value bit = arith::ConstantIntOp::create(
        b, loc, static_cast<int32_t>(uint32_t(1) << j), 32);
    auto isSet = [&](Value word) -> Value {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                   arith::AndIOp::create(b, loc, word, bit),
                                   zeroWord);
    };
    Value plusSet = isSet(plus);
    Value minusSet = layer.ternary ? isSet(minus) : Value();
    Value at = arith::AddIOp::create(b, loc, base, index(b, loc, j));
    for (int64_t r = 0; r < tile.tileRows; ++r) {
      Value x = memref::LoadOp::create(b, loc, tile.shared,
                                       ValueRange{index(b, loc, r), at});
      Value &a = acc[r * perRow + j % perRow];
      Value added = arith::AddFOp::create(b, loc, a, x);
      Value subtracted = arith::SubFOp::create(b, loc, a, x);
      if (layer.ternary) {
        a = arith::SelectOp::create(b, loc, plusSet, added, a);
        a = arith::SelectOp::create(b, loc, minusSet, subtracted, a);
      } else {
        a = arith::SelectOp::create(b, loc, plusSet, added, subtracted);
      }
    }
  }
  return acc;
}

/// The sum over the warp's 32 lanes, in every lane.
Value warpSum(OpBuilder &b, Location loc, Value value) {
  Value width = arith::ConstantIntOp::create(b, loc, kWarpSize, 32);
  for (int64_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    Value other =
        gpu::ShuffleOp::create(b, loc, value,
                               arith::ConstantIntOp::create(b, loc, offset, 32),
                               width, gpu::ShuffleMode::XOR)
            .getShuffleResult();
    value = arith::AddFOp::create(b, loc, value, other);
  }
  return value;
}

/// Whether this thread stores an output: lane 0 of a warp whose channel
/// exists, for a row inside the input.
Value writesOutput(OpBuilder &b, Location loc, Value ownsChannel, Value lane,
                   Value rowInside) {
  Value firstLane = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          lane, index(b, loc, 0));
  return arith::AndIOp::create(
      b, loc, arith::AndIOp::create(b, loc, ownsChannel, firstLane),
      rowInside);
}

/// y[m, n] from the dot product: / r[m], * scale[n or 0], + bias[n].
Value applyEpilogue(OpBuilder &b, Location loc, const GpuLayer &layer,
                    Value y, Value m, Value n) {
  if (layer.rowDivisor)
    y = arith::DivFOp::create(
        b, loc, y, memref::LoadOp::create(b, loc, layer.rowDivisor, m));
  if (layer.scale) {
    bool perTensor = cast<MemRefType>(layer.scale.getType()).getDimSize(0) == 1;
    Value at = perTensor ? index(b, loc, 0) : n;
    y = arith::MulFOp::create(
        b, loc, y, memref::LoadOp::create(b, loc, layer.scale, at));
  }
  if (layer.bias)
    y = arith::AddFOp::create(b, loc, y,
                              memref::LoadOp::create(b, loc, layer.bias, n));
  return y;
}

/// The threads of one block, and where they are in the launch.
struct BlockIds {
  Value tid, lane, n, ownsChannel, raw;
};

/// One block's work on the tile of `tileRows` rows from m0: all chunks of K,
/// then the warp sums and the stores.
void emitTile(OpBuilder &b, Location loc, const GpuLayer &layer, Value words,
              Value out, const BlockIds &ids, Value m0, Value rowEnd,
              int64_t tileRows) {
  int64_t wordsPerPlane = layer.inFeatures / 32;
  int64_t perRow = tileRows == 1 ? kAccumulators : 2;
  Tile tile;
  tile.tileRows = tileRows;
  tile.rowEnd = rowEnd;
  tile.tid = ids.tid;
  tile.lane = ids.lane;
  tile.n = ids.n;
  tile.m0 = m0;
  tile.ownsChannel = ids.ownsChannel;
  auto workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  tile.shared = memref::ViewOp::create(
      b, loc,
      MemRefType::get({tileRows, kPaddedChunk}, b.getF32Type(),
                      MemRefLayoutAttrInterface(), workgroup),
      ids.raw, index(b, loc, 0), ValueRange{});

  Value zero = arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                              APFloat(0.0f));
  SmallVector<Value> inits(tileRows * perRow, zero);
  auto chunks = scf::ForOp::create(
      b, loc, index(b, loc, 0), index(b, loc, wordsPerPlane),
      index(b, loc, kWarpSize), inits,
      [&](OpBuilder &cb, Location cl, Value c, ValueRange accs) {
        // Nobody restages while a warp still reads the last chunk.
        gpu::BarrierOp::create(cb, cl);
        stageChunk(cb, cl, layer, tile, c);
        gpu::BarrierOp::create(cb, cl);
        Value w = arith::AddIOp::create(cb, cl, c, tile.lane);
        Value works = arith::AndIOp::create(
            cb, cl, tile.ownsChannel,
            arith::CmpIOp::create(cb, cl, arith::CmpIPredicate::ult, w,
                                  index(cb, cl, wordsPerPlane)));
        auto step = scf::IfOp::create(
            cb, cl, works,
            [&](OpBuilder &tb, Location tl) {
              scf::YieldOp::create(tb, tl,
                                   accumulateWord(tb, tl, layer, tile, words,
                                                  w, accs, perRow));
            },
            [&](OpBuilder &eb, Location el) {
              scf::YieldOp::create(eb, el, accs);
            });
        scf::YieldOp::create(cb, cl, step.getResults());
      });

  for (int64_t r = 0; r < tileRows; ++r) {
    Value sum = chunks.getResult(r * perRow);
    for (int64_t i = 1; i < perRow; ++i)
      sum = arith::AddFOp::create(b, loc, sum, chunks.getResult(r * perRow + i));
    Value dot = warpSum(b, loc, sum);
    Value m = arith::AddIOp::create(b, loc, m0, index(b, loc, r));
    Value writes = writesOutput(
        b, loc, tile.ownsChannel, tile.lane,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m, rowEnd));
    scf::IfOp::create(b, loc, writes, [&](OpBuilder &wb, Location wl) {
      memref::StoreOp::create(wb, wl,
                              applyEpilogue(wb, wl, layer, dot, m, tile.n),
                              out, ValueRange{m, tile.n});
      scf::YieldOp::create(wb, wl);
    });
  }
}

/// Groups of 4 weights in a chunk, and the table entries of each group.
constexpr int64_t kChunkGroups = kChunkWeights / 4;
constexpr int64_t kMasks = 16;
static_assert(kChunkGroups == kWarpSize * kWarpsPerBlock,
              "one thread builds each group of the table");

/// A single row by table lookup. For each chunk the block first writes
///   table[mask][g] = sum of x[4 g + b] over the bits b set in mask
/// (11 adds per group, one group per thread), so that a nibble of a bit
/// plane costs one shared load and one add. Lane l takes groups l + 32 i,
/// i < 8: neighbouring lanes read neighbouring table columns (no bank
/// conflicts); the nibbles come from the word that lane l / 8 + 4 i loaded,
/// by shuffles. Ternary: + table[plus nibble] - table[minus nibble]; sign:
/// + table[nibble] - table[~nibble].
void emitTableRow(OpBuilder &b, Location loc, const GpuLayer &layer,
                  Value words, Value out, const BlockIds &ids, Value m,
                  Value rowEnd) {
  int64_t wordsPerPlane = layer.inFeatures / 32;
  auto workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  Value table = memref::ViewOp::create(
      b, loc,
      MemRefType::get({kMasks, kChunkGroups}, b.getF32Type(),
                      MemRefLayoutAttrInterface(), workgroup),
      ids.raw, index(b, loc, 0), ValueRange{});
  Type i32 = b.getI32Type();
  Value rowInside =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m, rowEnd);
  Value lane32 = arith::IndexCastOp::create(b, loc, i32, ids.lane);
  Value shift = arith::MulIOp::create(
      b, loc,
      arith::RemUIOp::create(b, loc, lane32,
                             arith::ConstantIntOp::create(b, loc, 8, 32)),
      arith::ConstantIntOp::create(b, loc, 4, 32));
  Value sourceBase = arith::DivUIOp::create(
      b, loc, lane32, arith::ConstantIntOp::create(b, loc, 8, 32));
  Value zero = arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                              APFloat(0.0f));
  Value zeroWord = arith::ConstantIntOp::create(b, loc, 0, 32);
  Value width = arith::ConstantIntOp::create(b, loc, kWarpSize, 32);
  Value nibbleMask = arith::ConstantIntOp::create(b, loc, 15, 32);

  auto chunks = scf::ForOp::create(
      b, loc, index(b, loc, 0), index(b, loc, wordsPerPlane),
      index(b, loc, kWarpSize), ValueRange{zero, zero},
      [&](OpBuilder &cb, Location cl, Value c, ValueRange accs) {
        gpu::BarrierOp::create(cb, cl);
        // The table: thread t builds group t of the chunk.
        Value k0 = arith::AddIOp::create(
            cb, cl, arith::MulIOp::create(cb, cl, c, index(cb, cl, 32)),
            arith::MulIOp::create(cb, cl, ids.tid, index(cb, cl, 4)));
        SmallVector<Value> x;
        for (int64_t bit = 0; bit < 4; ++bit) {
          Value k = arith::AddIOp::create(cb, cl, k0, index(cb, cl, bit));
          Value inside = arith::AndIOp::create(
              cb, cl, rowInside,
              arith::CmpIOp::create(cb, cl, arith::CmpIPredicate::ult, k,
                                    index(cb, cl, layer.inFeatures)));
          x.push_back(loadOrZero(cb, cl, layer.x, m, k, inside));
        }
        SmallVector<Value> sums(kMasks);
        sums[0] = zero;
        for (int64_t mask = 1; mask < kMasks; ++mask) {
          int64_t low = mask & -mask; // the lowest set bit
          int64_t bit = llvm::countr_zero(uint64_t(low));
          sums[mask] = mask == low ? x[bit]
                                   : arith::AddFOp::create(cb, cl,
                                                           sums[mask - low],
                                                           x[bit]);
        }
        for (int64_t mask = 0; mask < kMasks; ++mask)
          memref::StoreOp::create(cb, cl, sums[mask], table,
                                  ValueRange{index(cb, cl, mask), ids.tid});
        gpu::BarrierOp::create(cb, cl);

        auto step = scf::IfOp::create(
            cb, cl, ids.ownsChannel,
            [&](OpBuilder &tb, Location tl) {
              Value w = arith::AddIOp::create(tb, tl, c, ids.lane);
              Value inK = arith::CmpIOp::create(
                  tb, tl, arith::CmpIPredicate::ult, w,
                  index(tb, tl, wordsPerPlane));
              auto loadWord = [&](int64_t plane) {
                auto load = scf::IfOp::create(
                    tb, tl, inK,
                    [&](OpBuilder &lb, Location ll) {
                      Value at = plane == 0 ? w
                                            : arith::AddIOp::create(
                                                  lb, ll, w,
                                                  index(lb, ll, wordsPerPlane));
                      scf::YieldOp::create(
                          lb, ll,
                          ValueRange{memref::LoadOp::create(
                              lb, ll, words, ValueRange{ids.n, at})});
                    },
                    [&](OpBuilder &eb, Location el) {
                      scf::YieldOp::create(eb, el, zeroWord);
                    });
                return load.getResult(0);
              };
              Value plus = loadWord(0);
              Value minus = layer.ternary ? loadWord(1) : Value();
              SmallVector<Value> acc(accs);
              for (int64_t i = 0; i < kChunkGroups / kWarpSize; ++i) {
                Value source = arith::AddIOp::create(
                    tb, tl, sourceBase,
                    arith::ConstantIntOp::create(tb, tl, 4 * i, 32));
                auto nibble = [&](Value word) {
                  Value mine = gpu::ShuffleOp::create(tb, tl, word, source,
                                                      width,
                                                      gpu::ShuffleMode::IDX)
                                   .getShuffleResult();
                  Value bits = arith::AndIOp::create(
                      tb, tl, arith::ShRUIOp::create(tb, tl, mine, shift),
                      nibbleMask);
                  return bits;
                };
                Value group = arith::AddIOp::create(
                    tb, tl, ids.lane, index(tb, tl, kWarpSize * i));
                auto lookup = [&](Value bits) {
                  Value row = arith::IndexCastOp::create(
                      tb, tl, tb.getIndexType(), bits);
                  return memref::LoadOp::create(tb, tl, table,
                                                ValueRange{row, group})
                      .getResult();
                };
                Value plusBits = nibble(plus);
                Value minusBits =
                    layer.ternary
                        ? nibble(minus)
                        : arith::XOrIOp::create(tb, tl, plusBits, nibbleMask)
                              .getResult();
                Value &a = acc[i % 2];
                a = arith::AddFOp::create(tb, tl, a, lookup(plusBits));
                a = arith::SubFOp::create(tb, tl, a, lookup(minusBits));
              }
              scf::YieldOp::create(tb, tl, acc);
            },
            [&](OpBuilder &eb, Location el) {
              scf::YieldOp::create(eb, el, accs);
            });
        scf::YieldOp::create(cb, cl, step.getResults());
      });

  Value dot = warpSum(b, loc,
                      arith::AddFOp::create(b, loc, chunks.getResult(0),
                                            chunks.getResult(1)));
  Value writes = writesOutput(b, loc, ids.ownsChannel, ids.lane, rowInside);
  scf::IfOp::create(b, loc, writes, [&](OpBuilder &wb, Location wl) {
    memref::StoreOp::create(wb, wl, applyEpilogue(wb, wl, layer, dot, m, ids.n),
                            out, ValueRange{m, ids.n});
    scf::YieldOp::create(wb, wl);
  });
}

/// One launch for all rows: block row by < M / 8 takes the full tile of 8
/// rows from 8 by, whose rows share each decode of the weights (prefill);
/// the block rows after it take the rows left over one each (a single row:
/// decode). One launch, so the host never branches (and never waits)
/// between layers.
void emitKernel(OpBuilder &b, Location loc, const GpuLayer &layer, Value out) {
  Value words = packedWords(b, loc, layer);
  Value rows = memref::DimOp::create(b, loc, layer.x, 0);
  Value one = index(b, loc, 1);
  Value tileRows = index(b, loc, kTileRows);
  Value fullTiles = arith::DivUIOp::create(b, loc, rows, tileRows);
  Value tiled = arith::MulIOp::create(b, loc, fullTiles, tileRows);
  Value singles = arith::SubIOp::create(b, loc, rows, tiled);
  // At least one block row: an empty grid is a launch error; with no rows
  // that block finds nothing to store.
  Value blockRows = arith::MaxUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, fullTiles, singles), one);
  Value threads = index(b, loc, kWarpSize * kWarpsPerBlock);
  Value blocks = index(b, loc, llvm::divideCeil(layer.outFeatures,
                                                kWarpsPerBlock));
  Value sharedBytes = arith::ConstantIntOp::create(
      b, loc, kTileRows * kPaddedChunk * 4, 32);
  auto launch = gpu::LaunchOp::create(b, loc, blocks, blockRows, one, threads,
                                      one, one, sharedBytes);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  BlockIds ids;
  ids.tid = launch.getThreadIds().x;
  ids.lane = arith::RemUIOp::create(b, loc, ids.tid, index(b, loc, kWarpSize));
  Value warp = arith::DivUIOp::create(b, loc, ids.tid, index(b, loc, kWarpSize));
  ids.n = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                            index(b, loc, kWarpsPerBlock)),
      warp);
  ids.ownsChannel = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          ids.n,
                                          index(b, loc, layer.outFeatures));
  ids.raw = gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                      MemRefLayoutAttrInterface(),
                      gpu::AddressSpaceAttr::get(
                          b.getContext(),
                          gpu::GPUDialect::getWorkgroupAddressSpace())));
  Value by = launch.getBlockIds().y;
  Value inFullTile =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, by, fullTiles);
  scf::IfOp::create(
      b, loc, inFullTile,
      [&](OpBuilder &tb, Location tl) {
        Value m0 = arith::MulIOp::create(tb, tl, by, tileRows);
        emitTile(tb, tl, layer, words, out, ids, m0, tiled, kTileRows);
        scf::YieldOp::create(tb, tl);
      },
      [&](OpBuilder &eb, Location el) {
        Value m0 = arith::AddIOp::create(
            eb, el, tiled, arith::SubIOp::create(eb, el, by, fullTiles));
        emitTableRow(eb, el, layer, words, out, ids, m0, rows);
        scf::YieldOp::create(eb, el);
      });
  gpu::TerminatorOp::create(b, loc);
}

//===----------------------------------------------------------------------===//
// The kernel as a call, until bufferization is done
//===----------------------------------------------------------------------===//

constexpr llvm::StringLiteral kKernelAttr = "onebit.gpu_layer";

/// Calls a declared kernel function with the layer's buffers (x, the packed
/// planes, then scale, bias and row divisor where present, then the output);
/// the declaration's `onebit.gpu_layer` attribute says which is which.
void emitKernelCall(OpBuilder &b, Location loc, const GpuLayer &layer,
                    Value out) {
  SmallVector<Value> operands = {layer.x, layer.packed};
  for (Value optional : {layer.scale, layer.bias, layer.rowDivisor})
    if (optional)
      operands.push_back(optional);
  operands.push_back(out);
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  std::string name = llvm::formatv(
      "onebit_gpu_layer_{0}_{1}x{2}{3}{4}{5}", layer.ternary ? "ternary" : "sign",
      layer.outFeatures, layer.inFeatures, layer.scale ? "_scale" : "",
      layer.bias ? "_bias" : "", layer.rowDivisor ? "_int8" : "");
  auto type = b.getFunctionType(ValueRange(operands).getTypes(), {});
  auto callee = module.lookupSymbol<func::FuncOp>(name);
  if (!callee) {
    // Through `b` (the rewriter, in a pattern), at the end of the module.
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    callee = func::FuncOp::create(b, loc, name, type);
    callee.setPrivate();
    callee->setAttr(
        kKernelAttr,
        b.getDictionaryAttr({
            b.getNamedAttr("ternary", b.getBoolAttr(layer.ternary)),
            b.getNamedAttr("in_features", b.getI64IntegerAttr(layer.inFeatures)),
            b.getNamedAttr("out_features",
                           b.getI64IntegerAttr(layer.outFeatures)),
            b.getNamedAttr("scale", b.getBoolAttr(bool(layer.scale))),
            b.getNamedAttr("bias", b.getBoolAttr(bool(layer.bias))),
            b.getNamedAttr("row_divisor",
                           b.getBoolAttr(bool(layer.rowDivisor))),
        }));
  }
  func::CallOp::create(b, loc, callee, operands);
}

/// The layer a kernel call stands for, with its operands (now buffers).
GpuLayer layerOfCall(func::CallOp call, DictionaryAttr kernel) {
  GpuLayer layer;
  layer.ternary = kernel.getAs<BoolAttr>("ternary").getValue();
  layer.inFeatures = kernel.getAs<IntegerAttr>("in_features").getInt();
  layer.outFeatures = kernel.getAs<IntegerAttr>("out_features").getInt();
  auto operands = call.getOperands();
  unsigned next = 0;
  layer.x = operands[next++];
  layer.packed = operands[next++];
  if (kernel.getAs<BoolAttr>("scale").getValue())
    layer.scale = operands[next++];
  if (kernel.getAs<BoolAttr>("bias").getValue())
    layer.bias = operands[next++];
  if (kernel.getAs<BoolAttr>("row_divisor").getValue())
    layer.rowDivisor = operands[next++];
  return layer;
}

/// Runs the kernel on the layer's buffers and returns the [M, N] tensor.
Value emitLayer(OpBuilder &b, Location loc, GpuLayer layer) {
  int64_t staticRows = cast<MemRefType>(layer.x.getType()).getDimSize(0);
  auto outType =
      MemRefType::get({staticRows, layer.outFeatures}, b.getF32Type());
  SmallVector<Value> dynamicRows;
  if (ShapedType::isDynamic(staticRows))
    dynamicRows.push_back(memref::DimOp::create(b, loc, layer.x, 0));
  Value out = memref::AllocOp::create(b, loc, outType, dynamicRows);
  emitKernelCall(b, loc, layer, out);
  return bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(outType.getShape(), b.getF32Type()), out,
      /*restrict=*/b.getUnitAttr(), /*writable=*/b.getUnitAttr());
}

/// ternary_linear and sign_linear alike: the shared operands, read as
/// buffers, then the launch (as a call until bufferization is done).
template <typename LayerOp>
struct LowBitLayerToGPU : OpConversionPattern<LayerOp> {
  using OpConversionPattern<LayerOp>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LayerOp op, typename LayerOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getInFeatures() % 32 != 0)
      return rewriter.notifyMatchFailure(
          op, "the warp kernel reads 32-bit words: K must be a multiple of 32");
    Location loc = op.getLoc();
    GpuLayer layer = readBuffers(
        rewriter, loc,
        prepareLowBitLayer(rewriter, op, adaptor.getInput(), adaptor.getBias()));
    Value y = emitLayer(rewriter, loc, layer);
    rewriter.replaceOp(op, restoreBatchDims(rewriter, loc, y,
                                            adaptor.getInput(), op.getType()));
    return success();
  }
};

struct LowerToGPUKernelsPass
    : onebit::impl::LowerToGPUKernelsBase<LowerToGPUKernelsPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    // Layers the kernel does not take (K not a multiple of 32) stay for the
    // reference lowering.
    target.addDynamicallyLegalOp<TernaryLinearOp>(
        [](TernaryLinearOp op) { return op.getInFeatures() % 32 != 0; });
    target.addDynamicallyLegalOp<SignLinearOp>(
        [](SignLinearOp op) { return op.getInFeatures() % 32 != 0; });
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    patterns.add<LowBitLayerToGPU<TernaryLinearOp>, LowBitLayerToGPU<SignLinearOp>>(
        &getContext());
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

struct DefineGPULayerKernelsPass
    : onebit::impl::DefineGPULayerKernelsBase<DefineGPULayerKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> kernels;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(kKernelAttr))
        kernels.push_back(func);
    for (func::FuncOp kernel : kernels) {
      auto attrs = kernel->getAttrOfType<DictionaryAttr>(kKernelAttr);
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(kernel, module);
      if (uses)
        for (const SymbolTable::SymbolUse &use : *uses) {
          auto call = dyn_cast<func::CallOp>(use.getUser());
          if (!call) {
            use.getUser()->emitOpError("uses a GPU layer kernel other than by "
                                       "calling it");
            return signalPassFailure();
          }
          if (!llvm::all_of(call.getOperandTypes(), llvm::IsaPred<MemRefType>)) {
            call.emitOpError("needs buffers: run it after bufferization");
            return signalPassFailure();
          }
          OpBuilder b(call);
          GpuLayer layer = layerOfCall(call, attrs);
          emitKernel(b, call.getLoc(), layer, call.getOperands().back());
          call.erase();
        }
      kernel.erase();
    }
  }
};

} // namespace
