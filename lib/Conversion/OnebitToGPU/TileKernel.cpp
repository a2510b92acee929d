//===- TileKernel.cpp - A tile of 8 rows sharing each weight decode ------===//
//
// A block of a layer launch that takes a full tile of 8 activation rows
// (prefill). For each chunk of 1024 weights of K:
//
//   the block stages the tile's rows of x in shared memory, one padding
//   float after every 32 (lane l then reads bank (l + j) mod 32: no
//   conflicts), between barriers
//   lane l reads word l of the chunk in its channel's bit planes (each load
//   instruction of the warp is 128 contiguous bytes) and for each of the
//   32 bits adds or subtracts x into an accumulator of each row: a masked
//   add, never a multiply by a weight; the bit test is shared by all rows
//
// then the warp sums its lanes with shuffles and lane 0 applies the
// epilogue once per output.
//
//===----------------------------------------------------------------------===//

#include "LayerKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace onebit::gpu_kernels {
namespace {

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
  int64_t warps; // of the block
};

/// Copies the chunk of x starting at word `c` (K index 32 c) of the tile's
/// rows into shared memory, zeros past K or past the last row. Each thread
/// copies every (threads)th float of each row: no divisions, and consecutive
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
        index(b, loc, kWarpSize * tile.warps), ValueRange{},
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

} // namespace

int64_t tileSharedBytes() { return kTileRows * kPaddedChunk * 4; }

/// All chunks of K, then the warp sums and the stores.
void emitTile(OpBuilder &b, Location loc, const GpuLayer &layer, Value words,
              Value out, const BlockIds &ids, Value m0, Value rowEnd) {
  int64_t tileRows = kTileRows;
  int64_t wordsPerPlane = layer.inFeatures / 32;
  int64_t perRow = 2; // accumulators a row
  Tile tile;
  tile.tileRows = tileRows;
  tile.warps = ids.warps;
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

} // namespace onebit::gpu_kernels
