//===- MmaTileKernel.cpp - Prefill on tensor cores -----------------------===//
//
// A warp of a layer launch that takes a tile of 64 activation rows and 32
// channels (prefill, M >= 16) on tensor cores: four m-tiles of 16 rows and
// four n-tiles of 8 channels, 16 accumulators of mma.sync m16n8k16 (bf16
// in, f32 accumulate). For each step of 16 weights of K:
//
//   B (weights): lane l, in group g = l / 4 at t = l mod 4, holds w[n][k]
//   for its channel n = n-tile + g and k = 2 t, 2 t + 1, 2 t + 8, 2 t + 9;
//   the two bits of each weight become a bf16 (+1 0x3F80, -1 0xBF80, 0)
//   with integer operations: no multiply by a weight, and each decode
//   serves the 4 m-tiles
//   A (activations): x[m][k] for rows g and g + 8 of each m-tile, read as
//   float pairs (they stay in L1 for the warps that share them) and split
//   into bf16 parts whose sum is x: one part where x holds BitNet's int8
//   activations (integers up to 128 are exact in bf16), three for float
//   activations (8 + 8 + 8 bits of the 24 of an f32), each its own mma
//
// so the products are exact and the sums are f32 sums. Then lane l writes
// y[m][n] for its accumulators (rows g and g + 8, channels 2 t and 2 t + 1
// of each tile), with the epilogue; rows past M and channels past N are read
// clamped and never written.
//
//===----------------------------------------------------------------------===//

#include "LayerKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;

namespace onebit::gpu_kernels {
namespace {

constexpr int64_t kMTiles = 4; // of 16 rows
constexpr int64_t kNTiles = 4; // of 8 channels
constexpr int64_t kStepWeights = 16;

Value i32Constant(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIntOp::create(b, value, 32);
}

/// Bits `offset` and `offset + 1` of `bits` at bits 0 and 16.
Value spreadPair(ImplicitLocOpBuilder &b, Value bits, int64_t offset) {
  Value one = i32Constant(b, 1);
  Value low = arith::AndIOp::create(
      b, arith::ShRUIOp::create(b, bits, i32Constant(b, offset)), one);
  Value high = arith::AndIOp::create(
      b, arith::ShRUIOp::create(b, bits, i32Constant(b, offset + 1)), one);
  return arith::OrIOp::create(
      b, low, arith::ShLIOp::create(b, high, i32Constant(b, 16)));
}

/// Two weights as a bf16 pair (the first in the low half): ternary from the
/// plus and minus bits, sign from the one bit (set +1, clear -1).
Value weightPair(ImplicitLocOpBuilder &b, Value plus, Value minus,
                 int64_t offset) {
  Value p = spreadPair(b, plus, offset);
  Value sign;
  Value magnitude;
  if (minus) {
    Value m = spreadPair(b, minus, offset);
    magnitude = arith::MulIOp::create(b, arith::OrIOp::create(b, p, m),
                                      i32Constant(b, 0x3F80));
    sign = m;
  } else {
    magnitude = i32Constant(b, 0x3F803F80);
    sign = arith::XOrIOp::create(b, p, i32Constant(b, 0x00010001));
  }
  return arith::OrIOp::create(
      b, magnitude, arith::ShLIOp::create(b, sign, i32Constant(b, 15)));
}

/// A pair of floats as bf16 parts packed in i32 words, whose sums are the
/// floats: one part (exact for integers up to 256), or three.
SmallVector<Value> splitPair(ImplicitLocOpBuilder &b, Value pair,
                             int64_t parts) {
  auto floats = VectorType::get({2}, b.getF32Type());
  auto halves = VectorType::get({2}, b.getBF16Type());
  auto word = VectorType::get({1}, b.getI32Type());
  SmallVector<Value> result;
  Value rest = pair;
  for (int64_t part = 0; part < parts; ++part) {
    Value rounded = arith::TruncFOp::create(b, halves, rest);
    result.push_back(vector::ExtractOp::create(
        b, vector::BitCastOp::create(b, word, rounded), 0));
    if (part + 1 < parts)
      rest = arith::SubFOp::create(b, rest,
                                   arith::ExtFOp::create(b, floats, rounded));
  }
  return result;
}

} // namespace

void emitMmaTile(OpBuilder &builder, Location loc, const GpuLayer &layer,
                 Value words, Value out, Value lane, Value m0, Value n0,
                 Value rows) {
  ImplicitLocOpBuilder b(loc, builder);
  auto c = [&](int64_t value) { return index(b, loc, value); };
  Type f32 = b.getF32Type();
  auto pairType = VectorType::get({2}, f32);
  int64_t parts = layer.rowDivisor ? 1 : 3;
  int64_t wordsPerPlane = layer.inFeatures / 32;

  Value group = arith::DivUIOp::create(b, lane, c(4));
  Value inGroup = arith::RemUIOp::create(b, lane, c(4));
  Value lastRow = arith::SubIOp::create(b, rows, c(1));
  Value lastChannel = c(layer.outFeatures - 1);
  // The rows and the channel this lane reads, clamped into the operands.
  SmallVector<Value> xRows; // per m-tile: rows g and g + 8
  for (int64_t mt = 0; mt < kMTiles; ++mt)
    for (int64_t half = 0; half < 2; ++half)
      xRows.push_back(arith::MinUIOp::create(
          b,
          arith::AddIOp::create(b, m0,
                                arith::AddIOp::create(
                                    b, group, c(16 * mt + 8 * half))),
          lastRow));
  SmallVector<Value> tileLive;
  for (int64_t mt = 0; mt < kMTiles; ++mt)
    tileLive.push_back(arith::CmpIOp::create(
        b, arith::CmpIPredicate::ult,
        arith::AddIOp::create(b, m0, c(16 * mt)), rows));
  SmallVector<Value> weightRows;
  for (int64_t nt = 0; nt < kNTiles; ++nt)
    weightRows.push_back(arith::MinUIOp::create(
        b, arith::AddIOp::create(b, n0, arith::AddIOp::create(b, group, c(8 * nt))),
        lastChannel));
  // Lane t's weights of a step start at bit 2 t of the step's half word.
  Value laneShift = arith::IndexCastUIOp::create(
      b, b.getI32Type(), arith::MulIOp::create(b, inGroup, c(2)));
  Value laneK = arith::MulIOp::create(b, inGroup, c(2));

  Value zero = arith::ConstantFloatOp::create(b, cast<FloatType>(f32),
                                              APFloat(0.0f));
  SmallVector<Value> inits(kMTiles * kNTiles * 4, zero);
  auto mmaType = LLVM::LLVMStructType::getLiteral(
      b.getContext(), SmallVector<Type>(4, f32));
  auto words32 = scf::ForOp::create(
      b, c(0), c(wordsPerPlane), c(1), inits,
      [&](OpBuilder &nested, Location nl, Value word, ValueRange accs) {
        ImplicitLocOpBuilder lb(nl, nested);
        SmallVector<Value> acc(accs);
        SmallVector<Value> plus, minus;
        for (int64_t nt = 0; nt < kNTiles; ++nt) {
          plus.push_back(
              memref::LoadOp::create(lb, words, ValueRange{weightRows[nt], word}));
          if (layer.ternary)
            minus.push_back(memref::LoadOp::create(
                lb, words,
                ValueRange{weightRows[nt],
                           arith::AddIOp::create(lb, word, c(wordsPerPlane))}));
        }
        for (int64_t step = 0; step < 2; ++step) {
          // B: the weights of this step, for each n-tile.
          Value shift = arith::AddIOp::create(lb, laneShift,
                                              i32Constant(lb, 16 * step));
          SmallVector<std::array<Value, 2>> weights;
          for (int64_t nt = 0; nt < kNTiles; ++nt) {
            Value p = arith::ShRUIOp::create(lb, plus[nt], shift);
            Value m = layer.ternary ? arith::ShRUIOp::create(lb, minus[nt], shift)
                                    : Value();
            weights.push_back({weightPair(lb, p, m, 0), weightPair(lb, p, m, 8)});
          }
          // A: each m-tile's activations, part by part.
          Value k = arith::AddIOp::create(
              lb,
              arith::AddIOp::create(lb, arith::MulIOp::create(lb, word, c(32)),
                                    c(kStepWeights * step)),
              laneK);
          Value k8 = arith::AddIOp::create(lb, k, c(8));
          for (int64_t mt = 0; mt < kMTiles; ++mt) {
            // An m-tile past the last row (all lanes agree) is skipped.
            SmallVector<Value> tileAcc(
                ArrayRef<Value>(acc).slice(mt * kNTiles * 4, kNTiles * 4));
            auto live = scf::IfOp::create(
                lb, TypeRange(ValueRange(tileAcc)), tileLive[mt],
                /*withElseRegion=*/true);
            {
              OpBuilder::InsertionGuard guard(lb);
              lb.setInsertionPointToStart(live.elseBlock());
              scf::YieldOp::create(lb, tileAcc);
              lb.setInsertionPointToStart(live.thenBlock());
              auto load = [&](Value row, Value at) -> Value {
                return vector::LoadOp::create(lb, pairType, layer.x,
                                              ValueRange{row, at},
                                              /*nontemporal=*/false,
                                              llvm::MaybeAlign(8));
              };
              Value r0 = xRows[2 * mt], r1 = xRows[2 * mt + 1];
              // Fragment order: (g, k), (g + 8, k), (g, k + 8), (g + 8, k + 8).
              std::array<SmallVector<Value>, 4> a = {
                  splitPair(lb, load(r0, k), parts),
                  splitPair(lb, load(r1, k), parts),
                  splitPair(lb, load(r0, k8), parts),
                  splitPair(lb, load(r1, k8), parts)};
              for (int64_t part = 0; part < parts; ++part)
                for (int64_t nt = 0; nt < kNTiles; ++nt) {
                  int64_t base = nt * 4;
                  auto mma = NVVM::MmaOp::create(
                      lb, mmaType,
                      ValueRange{a[0][part], a[1][part], a[2][part],
                                 a[3][part]},
                      ValueRange{weights[nt][0], weights[nt][1]},
                      ValueRange(tileAcc).slice(base, 4),
                      std::array<int64_t, 3>{16, 8, 16},
                      /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
                      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                                    NVVM::MMATypes::bf16},
                      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                                     NVVM::MMALayout::col});
                  for (int64_t i = 0; i < 4; ++i)
                    tileAcc[base + i] = LLVM::ExtractValueOp::create(
                        lb, mma.getResult(), ArrayRef<int64_t>{i});
                }
              scf::YieldOp::create(lb, tileAcc);
            }
            for (int64_t i = 0; i < kNTiles * 4; ++i)
              acc[mt * kNTiles * 4 + i] = live.getResult(i);
          }
        }
        scf::YieldOp::create(lb, acc);
      });

  // Lane l's outputs: rows g and g + 8 of each m-tile, channels 2 t and
  // 2 t + 1 of each n-tile.
  for (int64_t mt = 0; mt < kMTiles; ++mt)
    for (int64_t nt = 0; nt < kNTiles; ++nt)
      for (int64_t i = 0; i < 4; ++i) {
        Value m = arith::AddIOp::create(
            b, m0, arith::AddIOp::create(b, group, c(16 * mt + 8 * (i / 2))));
        Value n = arith::AddIOp::create(
            b, n0, arith::AddIOp::create(b, laneK, c(8 * nt + i % 2)));
        Value inside = arith::AndIOp::create(
            b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, m, rows),
            arith::CmpIOp::create(b, arith::CmpIPredicate::ult, n,
                                  c(layer.outFeatures)));
        Value y = words32.getResult((mt * kNTiles + nt) * 4 + i);
        scf::IfOp::create(b, inside, [&](OpBuilder &sb, Location sl) {
          memref::StoreOp::create(sb, sl, applyEpilogue(sb, sl, layer, y, m, n),
                                  out, ValueRange{m, n});
          scf::YieldOp::create(sb, sl);
        });
      }
}

} // namespace onebit::gpu_kernels
