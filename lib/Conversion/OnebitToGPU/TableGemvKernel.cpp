//===- TableGemvKernel.cpp - A single row by lookups in a subset-sum table -===//
//
// A block of a layer launch that takes one activation row x (decode):
//
//   1. The block writes, for each group g of 4 activations of a window of K,
//      the 16 sums table[mask][c(g)] = sum of x[4 g + b] over the bits b set
//      in mask (11 adds a group). One window covers K up to 12288, so the
//      table is built once, between two barriers, and never again.
//   2. Each warp then streams whole channels of packed weights, with no
//      barrier: lane l loads 128 bits of each plane at a time (a warp's load
//      is 512 contiguous bytes), and each nibble costs one shared load and
//      one add, never a multiply by a weight:
//        ternary  + table[plus nibble] - table[minus nibble]
//        sign     + table[nibble], and at the end 2 sum - sum(x)
//      (a sign weight is + where its bit is set, - elsewhere). The warp sums
//      its lanes with shuffles; lane 0 applies the epilogue.
//
// The table's column of group g is c(g) = g + g / 32: lane l's j-th group
// of a load then sits in bank (l + j) mod 32, whether a lane loads 4, 2 or
// 1 words, so the lanes' 32 lookups never share a bank, whatever the
// nibbles select. The weight layout is the packed constant's own (N x
// planes x K/8 bytes), read as words.
//
// A window of W weights takes 16 x (W/4 + W/128) floats, 16.5 bytes a
// weight. K over 12288 is split into equal windows: between them the block
// waits at a barrier and rebuilds the table, and each warp adds its partial
// dot products into y (it owns those outputs, so no atomics are needed and
// the sum's order is fixed).
//
//===----------------------------------------------------------------------===//

#include "LayerKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <algorithm>

using namespace mlir;

namespace onebit::gpu_kernels {
namespace {

constexpr int64_t kMasks = 16;
constexpr int64_t kGroupWeights = 4;
/// The most shared memory a table takes (the H100 gives a block 227 KiB;
/// 12288 weights of K take 198 KiB).
constexpr int64_t kMaxSharedBytes = 200 * 1024;
constexpr int64_t kMaxWindows = 8;
/// Loads of each plane a lane has in flight before it looks anything up.
constexpr int64_t kLoadsInFlight = 2;

/// The device the blocks are spread for, an H100 SXM: 132 multiprocessors,
/// each with 228 KiB of shared memory and 2048 threads. Any device runs the
/// kernel correctly (the warps stride over the channels); these only set
/// how many blocks share the work, so that each builds its table once.
constexpr int64_t kMultiprocessors = 132;
constexpr int64_t kSharedPerMultiprocessor = 228 * 1024;
constexpr int64_t kThreadsPerMultiprocessor = 2048;
/// Shared memory the device reserves for each resident block.
constexpr int64_t kReservedSharedPerBlock = 1024;

/// Groups of the window, and one padding column after every 32.
int64_t tableColumns(int64_t window) {
  int64_t groups = window / kGroupWeights;
  return groups + groups / 32;
}

/// The plane's V words of channel n from word `at` (V = 1, 2 or 4), with
/// one load instruction.
SmallVector<Value> loadWords(ImplicitLocOpBuilder &b, Value words, Value n,
                             Value at, int64_t count) {
  if (count == 1)
    return {memref::LoadOp::create(b, words, ValueRange{n, at})};
  auto type = VectorType::get({count}, b.getI32Type());
  Value vector = vector::LoadOp::create(b, type, words, ValueRange{n, at},
                                        /*nontemporal=*/false,
                                        llvm::MaybeAlign(4 * count));
  SmallVector<Value> result;
  for (int64_t v = 0; v < count; ++v)
    result.push_back(vector::ExtractOp::create(b, vector, v));
  return result;
}

} // namespace

int64_t warpsPerBlock(int64_t outFeatures) {
  // Enough warps that the blocks cover the channels in one round of the
  // multiprocessors, within 4 to 16 (512 threads leave each at least 128
  // registers).
  return std::clamp<int64_t>(llvm::divideCeil(outFeatures, kMultiprocessors),
                             4, 16);
}

std::optional<GemvSchedule> planGemv(const GpuLayer &layer, int64_t warps) {
  int64_t k = layer.inFeatures;
  GemvSchedule schedule;
  schedule.wordsPerLoad = k % 128 == 0 ? 4 : k % 64 == 0 ? 2 : 1;
  // A lane's load never straddles two windows.
  int64_t granule = 32 * schedule.wordsPerLoad;
  for (int64_t windows = 1; windows <= kMaxWindows; ++windows) {
    if (k % windows != 0 || (k / windows) % granule != 0)
      continue;
    int64_t window = k / windows;
    // Sign layers keep each warp's part of sum(x) after the table.
    int64_t bytes = kMasks * tableColumns(window) * 4 +
                    (layer.ternary ? 0 : warps * 4);
    if (bytes > kMaxSharedBytes)
      continue;
    schedule.window = window;
    schedule.windows = windows;
    schedule.columns = tableColumns(window);
    schedule.sharedBytes = bytes;
    int64_t resident = std::max<int64_t>(
        1, std::min(kSharedPerMultiprocessor / (bytes + kReservedSharedPerBlock),
                    kThreadsPerMultiprocessor / (kWarpSize * warps)));
    schedule.blocks = std::min<int64_t>(llvm::divideCeil(layer.outFeatures, warps),
                               kMultiprocessors * resident);
    return schedule;
  }
  return std::nullopt;
}

void emitTableGemv(OpBuilder &builder, Location loc, const GpuLayer &layer,
                   const GemvSchedule &schedule, Value words, Value out,
                   const BlockIds &ids, Value m) {
  ImplicitLocOpBuilder b(loc, builder);
  auto c = [&](int64_t value) { return index(b, loc, value); };
  auto workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  FloatType f32 = b.getF32Type();
  Value table = memref::ViewOp::create(
      b,
      MemRefType::get({kMasks, schedule.columns}, f32,
                      MemRefLayoutAttrInterface(), workgroup),
      ids.raw, c(0), ValueRange{});
  Value warpSums;
  if (!layer.ternary)
    warpSums = memref::ViewOp::create(
        b, MemRefType::get({ids.warps}, f32, MemRefLayoutAttrInterface(),
                           workgroup),
        ids.raw, c(kMasks * schedule.columns * 4), ValueRange{});

  int64_t wordsPerLoad = schedule.wordsPerLoad;
  int64_t groups = schedule.window / kGroupWeights;
  int64_t loads = schedule.window / (32 * wordsPerLoad); // per plane
  int64_t wordsPerPlane = layer.inFeatures / 32;
  Value zero = arith::ConstantFloatOp::create(b, f32, APFloat(0.0f));
  Value channelStride = c(schedule.blocks * ids.warps);

  for (int64_t w = 0; w < schedule.windows; ++w) {
    int64_t k0 = w * schedule.window;
    // Nobody rebuilds the table while a warp still reads the last one.
    if (w > 0)
      gpu::BarrierOp::create(b);

    // 1. The table: thread t builds groups t, t + threads, ...
    SmallVector<Value> inits;
    if (!layer.ternary)
      inits.push_back(zero);
    auto build = scf::ForOp::create(
        b, ids.tid, c(groups), c(kWarpSize * ids.warps), inits,
        [&](OpBuilder &nested, Location nl, Value g, ValueRange partial) {
          ImplicitLocOpBuilder fb(nl, nested);
          Value k = arith::AddIOp::create(
              fb, c(k0), arith::MulIOp::create(fb, g, c(kGroupWeights)));
          SmallVector<Value> x;
          for (int64_t bit = 0; bit < kGroupWeights; ++bit)
            x.push_back(memref::LoadOp::create(
                fb, layer.x,
                ValueRange{m, arith::AddIOp::create(fb, k, c(bit))}));
          SmallVector<Value> sums(kMasks);
          sums[0] = zero;
          for (int64_t mask = 1; mask < kMasks; ++mask) {
            int64_t low = mask & -mask; // the lowest set bit
            int64_t bit = llvm::countr_zero(uint64_t(low));
            sums[mask] = mask == low ? x[bit]
                                     : arith::AddFOp::create(
                                           fb, sums[mask - low], x[bit]);
          }
          Value column = arith::AddIOp::create(
              fb, g, arith::ShRUIOp::create(fb, g, c(5)));
          for (int64_t mask = 0; mask < kMasks; ++mask)
            memref::StoreOp::create(fb, sums[mask], table,
                                    ValueRange{c(mask), column});
          SmallVector<Value> next;
          if (!layer.ternary)
            next.push_back(
                arith::AddFOp::create(fb, partial[0], sums[kMasks - 1]));
          scf::YieldOp::create(fb, next);
        });
    Value sumOfX;
    if (!layer.ternary) {
      Value mine = warpSum(b, loc, build.getResult(0));
      Value firstLane =
          arith::CmpIOp::create(b, arith::CmpIPredicate::eq, ids.lane, c(0));
      scf::IfOp::create(b, firstLane, [&](OpBuilder &tb, Location tl) {
        memref::StoreOp::create(tb, tl, mine, warpSums, ValueRange{ids.warp});
        scf::YieldOp::create(tb, tl);
      });
    }
    gpu::BarrierOp::create(b);
    if (!layer.ternary) {
      // Every thread adds the warps' parts in the same order.
      sumOfX = memref::LoadOp::create(b, warpSums, ValueRange{c(0)});
      for (int64_t i = 1; i < ids.warps; ++i)
        sumOfX = arith::AddFOp::create(
            b, sumOfX, memref::LoadOp::create(b, warpSums, ValueRange{c(i)}));
    }

    // 2. The warp's channels, each by lookups alone.
    scf::ForOp::create(
        b, ids.n, c(layer.outFeatures), channelStride, ValueRange{},
        [&](OpBuilder &nested, Location nl, Value n, ValueRange) {
          ImplicitLocOpBuilder rb(nl, nested);
          // Load q of a plane: its V words from word k0/32 + V q.
          auto loadSlice = [&](ImplicitLocOpBuilder &lb, Value q) {
            Value at = arith::AddIOp::create(
                lb, c(k0 / 32), arith::MulIOp::create(lb, q, c(wordsPerLoad)));
            SmallVector<Value> slice = loadWords(lb, words, n, at, wordsPerLoad);
            if (layer.ternary)
              llvm::append_range(
                  slice, loadWords(lb, words, n,
                                   arith::AddIOp::create(lb, at, c(wordsPerPlane)),
                                   wordsPerLoad));
            return slice;
          };
          auto accumulate = [&](ImplicitLocOpBuilder &lb, Value q,
                                ValueRange slice, ValueRange accs) {
            // The load's first group, in the window, and its column.
            Value g0 = arith::MulIOp::create(lb, q, c(8 * wordsPerLoad));
            Value column0 = arith::AddIOp::create(
                lb, g0, arith::ShRUIOp::create(lb, g0, c(5)));
            SmallVector<Value> acc(accs);
            for (int64_t plane = 0; plane < (layer.ternary ? 2 : 1); ++plane)
              for (int64_t v = 0; v < wordsPerLoad; ++v) {
                Value word = slice[plane * wordsPerLoad + v];
                for (int64_t i = 0; i < 8; ++i) {
                  Value &a = acc[i % 2];
                  Value bits = arith::AndIOp::create(
                      lb,
                      arith::ShRUIOp::create(
                          lb, word, arith::ConstantIntOp::create(lb, 4 * i, 32)),
                      arith::ConstantIntOp::create(lb, 15, 32));
                  Value entry = memref::LoadOp::create(
                      lb, table,
                      ValueRange{arith::IndexCastUIOp::create(
                                     lb, lb.getIndexType(), bits),
                                 arith::AddIOp::create(lb, column0,
                                                       c(8 * v + i))});
                  if (plane == 0)
                    a = arith::AddFOp::create(lb, a, entry);
                  else
                    a = arith::SubFOp::create(lb, a, entry);
                }
              }
            return acc;
          };
          // Two loads of each plane in flight before the lookups of the
          // first: the second is for lane l's load 32 further on, where
          // the window has one.
          auto dots = scf::ForOp::create(
              rb, ids.lane, c(loads), c(kLoadsInFlight * kWarpSize),
              ValueRange{zero, zero},
              [&](OpBuilder &inner, Location il, Value q, ValueRange accs) {
                ImplicitLocOpBuilder lb(il, inner);
                Value next = arith::AddIOp::create(lb, q, c(kWarpSize));
                Value hasNext = arith::CmpIOp::create(
                    lb, arith::CmpIPredicate::ult, next, c(loads));
                SmallVector<Value> first = loadSlice(lb, q);
                SmallVector<Type> wordTypes(first.size(), lb.getI32Type());
                auto second = scf::IfOp::create(
                    lb, wordTypes, hasNext, /*withElseRegion=*/true);
                {
                  OpBuilder::InsertionGuard guard(lb);
                  lb.setInsertionPointToStart(second.thenBlock());
                  scf::YieldOp::create(lb, loadSlice(lb, next));
                  lb.setInsertionPointToStart(second.elseBlock());
                  SmallVector<Value> zeros(
                      first.size(), arith::ConstantIntOp::create(lb, 0, 32));
                  scf::YieldOp::create(lb, zeros);
                }
                SmallVector<Value> acc = accumulate(lb, q, first, accs);
                auto then = scf::IfOp::create(
                    lb, TypeRange(ValueRange(acc)), hasNext,
                    /*withElseRegion=*/true);
                {
                  OpBuilder::InsertionGuard guard(lb);
                  lb.setInsertionPointToStart(then.thenBlock());
                  scf::YieldOp::create(
                      lb, accumulate(lb, next, second.getResults(), acc));
                  lb.setInsertionPointToStart(then.elseBlock());
                  scf::YieldOp::create(lb, acc);
                }
                scf::YieldOp::create(lb, then.getResults());
              });
          Value dot = warpSum(rb, nl,
                              arith::AddFOp::create(rb, dots.getResult(0),
                                                    dots.getResult(1)));
          if (!layer.ternary)
            dot = arith::SubFOp::create(rb, arith::AddFOp::create(rb, dot, dot),
                                        sumOfX);
          Value firstLane = arith::CmpIOp::create(rb, arith::CmpIPredicate::eq,
                                                  ids.lane, c(0));
          scf::IfOp::create(rb, firstLane, [&](OpBuilder &sb, Location sl) {
            Value y = dot;
            if (w > 0)
              y = arith::AddFOp::create(
                  sb, sl, memref::LoadOp::create(sb, sl, out, ValueRange{m, n}),
                  y);
            if (w + 1 == schedule.windows)
              y = applyEpilogue(sb, sl, layer, y, m, n);
            memref::StoreOp::create(sb, sl, y, out, ValueRange{m, n});
            scf::YieldOp::create(sb, sl);
          });
          scf::YieldOp::create(rb);
        });
  }
}

} // namespace onebit::gpu_kernels
