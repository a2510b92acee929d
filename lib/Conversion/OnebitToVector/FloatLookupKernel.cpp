//===- FloatLookupKernel.cpp - Table-lookup kernel, float activations -----===//
//
// The CPU kernel of `onebit.ternary_linear` with float activations and of
// `onebit.sign_linear` on AVX2 cores, with their 8-lane permute (vpermps;
// the code takes 16 lanes too, but AVX-512 targets take the wide-table
// kernel named below). It never multiplies by a weight: for
// every activation row and group of 3 inputs it builds a table of the 8 sums
// a group's weights can select,
//
//   ternary: S[e] = sum of x[3g + i] over the bits i set in e; a group adds
//            S[plus bits] - S[minus bits]
//   sign:    S[e] = sum of (bit i of e ? x[3g + i] : -x[3g + i]); a group
//            adds S[sign bits]
//
// and the inner loop looks the weights' 3-bit indices up in it for a vector
// of output channels at once (onebit.lane_lookup) and adds. The indices
// are the packed plane words themselves (quant::packPlaneWords): 10 groups
// to a 32-bit word per channel, shifted right by 3 between lookups, since
// the permute reads only the low bits of each lane.
//
// Where the target has AVX-512's two-source permute, the patterns here pick
// the wide-table kernel instead (WideFloatLookupKernel.cpp): one lookup per
// group of 3 trits or 5 signs.
//
// Schedule: threads over blocks of 4 vectors of channels (32 with AVX2),
// 4 independent accumulators; inside, row after row, each
// row's walk over K reading the block's words from cache after the first.
// The tables are built once per row before the product. The sums are in a
// different order than the reference's, so results agree to float
// rounding.
//
//===----------------------------------------------------------------------===//

#include "FloatLookupKernel.h"

#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Dialect/PackedWeights.h"
#include "onebit/Quant/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace onebit;

namespace {

/// Entries of a group's table: every choice of 3 bits.
constexpr int64_t kEntries = 8;
constexpr int64_t kGroup = quant::kPlaneWordGroup;
constexpr int64_t kGroupsPerWord = quant::kPlaneWordInputs / kGroup;
/// Channel vectors per block: independent accumulators sharing each table.
constexpr int64_t kVectorsPerBlock = 4;

Value indexConstant(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

/// tables[m, g, :] for every row m and group g (see the file comment).
void emitTables(ImplicitLocOpBuilder &b, const FloatLookupOperands &ops) {
  auto entries = VectorType::get({kEntries}, b.getF32Type());
  auto maskType = VectorType::get({kEntries}, b.getI1Type());
  Value masks[kGroup];
  for (int64_t i = 0; i < kGroup; ++i) {
    SmallVector<bool> bits;
    for (int64_t e = 0; e < kEntries; ++e)
      bits.push_back(e >> i & 1);
    masks[i] = arith::ConstantOp::create(
        b, DenseElementsAttr::get(maskType, ArrayRef<bool>(bits)));
  }
  Value zeros = arith::ConstantOp::create(
      b, DenseElementsAttr::get(entries, b.getF32FloatAttr(0)));
  forEachRowGroup(b, ops, kGroup,
                  [&](ImplicitLocOpBuilder &gb, Value m, Value g,
                      Value inputs) {
                    Value table = zeros;
                    for (int64_t i = 0; i < kGroup; ++i) {
                      Value xi = vector::BroadcastOp::create(
                          gb, entries,
                          vector::ExtractOp::create(gb, inputs, i));
                      Value other = ops.ternary
                                        ? zeros
                                        : arith::NegFOp::create(gb, xi);
                      table = arith::AddFOp::create(
                          gb, table,
                          arith::SelectOp::create(gb, masks[i], xi, other));
                    }
                    vector::StoreOp::create(
                        gb, table, ops.tables,
                        ValueRange{m, g, indexConstant(gb, 0)});
                  });
}

/// out[m, n] for all rows and the block's channels.
void emitProducts(ImplicitLocOpBuilder &b, const LookupTableIsa &isa,
                  const FloatLookupOperands &ops) {
  int64_t lanes = isa.floatLanes;
  int64_t blockChannels = kVectorsPerBlock * lanes;
  int64_t blocks = llvm::divideCeil(ops.outFeatures, blockChannels);
  int64_t planes = ops.ternary ? 2 : 1;
  auto floats = VectorType::get({lanes}, b.getF32Type());
  auto words = VectorType::get({lanes}, b.getI32Type());
  auto entries = VectorType::get({kEntries}, b.getF32Type());
  Value zero = indexConstant(b, 0), one = indexConstant(b, 1);
  Value rows = memref::DimOp::create(b, ops.x, 0);
  SmallVector<int64_t> widen;
  for (int64_t lane = 0; lane < lanes; ++lane)
    widen.push_back(lane % kEntries);

  scf::ParallelOp::create(
      b, b.getLoc(), ValueRange{zero}, ValueRange{indexConstant(b, blocks)},
      ValueRange{one}, [&](OpBuilder &pb, Location loc, ValueRange ivs) {
        ImplicitLocOpBuilder bb(loc, pb);
        Value block = ivs[0];
        Value three = arith::ConstantOp::create(
            bb, DenseElementsAttr::get(words, bb.getI32IntegerAttr(kGroup)));
        Value zeros = arith::ConstantOp::create(
            bb, DenseElementsAttr::get(floats, bb.getF32FloatAttr(0)));
        scf::ForOp::create(
            bb, loc, zero, rows, one, ValueRange{},
            [&](OpBuilder &rowBuilder, Location rloc, Value m, ValueRange) {
              ImplicitLocOpBuilder rb(rloc, rowBuilder);
              auto chunkLoop = scf::ForOp::create(
                  rb, rloc, zero, indexConstant(rb, ops.chunks), one,
                  SmallVector<Value>(kVectorsPerBlock, zeros),
                  [&](OpBuilder &cb, Location cloc, Value c,
                      ValueRange accs) {
                    ImplicitLocOpBuilder kb(cloc, cb);
                    SmallVector<Value> next(accs.begin(), accs.end());
                    SmallVector<Value> plane[2];
                    for (int64_t p = 0; p < planes; ++p)
                      for (int64_t v = 0; v < kVectorsPerBlock; ++v)
                        plane[p].push_back(vector::LoadOp::create(
                            kb, words, ops.words,
                            ValueRange{block, c, indexConstant(kb, p),
                                       indexConstant(kb, v * lanes)}));
                    Value firstGroup = arith::MulIOp::create(
                        kb, c, indexConstant(kb, kGroupsPerWord));
                    for (int64_t t = 0; t < kGroupsPerWord; ++t) {
                      Value g = arith::AddIOp::create(kb, firstGroup,
                                                      indexConstant(kb, t));
                      Value table = vector::LoadOp::create(
                          kb, entries, ops.tables, ValueRange{m, g, zero});
                      if (lanes != kEntries)
                        table =
                            vector::ShuffleOp::create(kb, table, table, widen);
                      // plus - minus first, so that each accumulator's
                      // chain has one add per group.
                      for (int64_t v = 0; v < kVectorsPerBlock; ++v) {
                        Value looked = LaneLookupOp::create(
                            kb, table.getType(), table, plane[0][v]);
                        if (ops.ternary)
                          looked = arith::SubFOp::create(
                              kb, looked,
                              LaneLookupOp::create(kb, table.getType(), table,
                                                   plane[1][v]));
                        next[v] = arith::AddFOp::create(kb, next[v], looked);
                      }
                      if (t + 1 == kGroupsPerWord)
                        break;
                      for (int64_t p = 0; p < planes; ++p)
                        for (Value &word : plane[p])
                          word = arith::ShRUIOp::create(kb, word, three);
                    }
                    scf::YieldOp::create(kb, next);
                  });
              for (int64_t v = 0; v < kVectorsPerBlock; ++v) {
                Value n = arith::AddIOp::create(
                    rb,
                    arith::MulIOp::create(rb, block,
                                          indexConstant(rb, blockChannels)),
                    indexConstant(rb, v * lanes));
                storeFloatOutputs(rb, ops, chunkLoop.getResult(v), m, n);
              }
              scf::YieldOp::create(rb);
            });
        scf::ReduceOp::create(bb, loc);
      });
}

} // namespace

void onebit::storeFloatOutputs(ImplicitLocOpBuilder &b,
                               const FloatLookupOperands &ops, Value y,
                               Value m, Value n) {
  auto floats = cast<VectorType>(y.getType());
  Value zeroF = arith::ConstantOp::create(b, b.getF32FloatAttr(0));
  if (ops.scale) {
    bool perTensor = cast<MemRefType>(ops.scale.getType()).getDimSize(0) == 1 &&
                     ops.outFeatures != 1;
    Value scale =
        perTensor
            ? vector::BroadcastOp::create(
                  b, floats,
                  memref::LoadOp::create(b, ops.scale,
                                         ValueRange{indexConstant(b, 0)}))
                  .getResult()
            : vector::TransferReadOp::create(b, floats, ops.scale,
                                             ValueRange{n}, zeroF,
                                             ArrayRef<bool>{false})
                  .getResult();
    y = arith::MulFOp::create(b, y, scale);
  }
  if (ops.bias)
    y = arith::AddFOp::create(
        b, y,
        vector::TransferReadOp::create(b, floats, ops.bias, ValueRange{n},
                                       zeroF, ArrayRef<bool>{false}));
  vector::TransferWriteOp::create(b, y, ops.out, ValueRange{m, n},
                                  ArrayRef<bool>{false});
}

void onebit::forEachRowGroup(
    ImplicitLocOpBuilder &b, const FloatLookupOperands &ops, int64_t group,
    llvm::function_ref<void(ImplicitLocOpBuilder &, Value, Value, Value)>
        body) {
  auto inputsType =
      VectorType::get({int64_t(llvm::PowerOf2Ceil(group))}, b.getF32Type());
  Value zeroF = arith::ConstantOp::create(b, b.getF32FloatAttr(0));
  Value zero = indexConstant(b, 0), one = indexConstant(b, 1);
  Value rows = memref::DimOp::create(b, ops.x, 0);
  int64_t groups = cast<MemRefType>(ops.tables.getType()).getDimSize(1);
  scf::ParallelOp::create(
      b, b.getLoc(), ValueRange{zero}, ValueRange{rows}, ValueRange{one},
      [&](OpBuilder &pb, Location loc, ValueRange ivs) {
        ImplicitLocOpBuilder rb(loc, pb);
        Value m = ivs[0];
        scf::ForOp::create(
            rb, loc, zero, indexConstant(rb, groups), one, ValueRange{},
            [&](OpBuilder &fb, Location floc, Value g, ValueRange) {
              ImplicitLocOpBuilder gb(floc, fb);
              Value k = arith::MulIOp::create(gb, g, indexConstant(gb, group));
              // Inputs past K read as 0 and add nothing, whatever the
              // weights' code.
              Value inputs = vector::TransferReadOp::create(
                  gb, inputsType, ops.x, ValueRange{m, k}, zeroF,
                  ArrayRef<bool>{false});
              body(gb, m, g, inputs);
              scf::YieldOp::create(gb);
            });
        scf::ReduceOp::create(rb, loc);
      });
}

namespace {

/// The layer's weights as trits, N x K.
template <typename LayerOp>
std::optional<std::vector<int8_t>> readTrits(LayerOp op) {
  SmallVector<uint8_t> storage;
  int64_t rows = op.getOutFeatures(), cols = op.getInFeatures();
  if constexpr (std::is_same_v<LayerOp, TernaryLinearOp>) {
    std::optional<ArrayRef<uint8_t>> packed =
        getPackedBytes(op.getPackedWeights(), storage);
    if (!packed)
      return std::nullopt;
    return quant::unpackTernaryBitplanes(packed->data(), rows, cols);
  } else {
    std::optional<ArrayRef<uint8_t>> packed =
        getPackedBytes(op.getPackedSigns(), storage);
    if (!packed)
      return std::nullopt;
    std::vector<uint8_t> positive =
        quant::unpackSignBits(packed->data(), rows, cols);
    std::vector<int8_t> trits(positive.size());
    for (size_t i = 0; i < positive.size(); ++i)
      trits[i] = positive[i] ? 1 : -1;
    return trits;
  }
}

template <typename LayerOp>
struct LayerToFloatLookupTables : OpConversionPattern<LayerOp> {
  LayerToFloatLookupTables(MLIRContext *context, LookupTableIsa isa)
      : OpConversionPattern<LayerOp>(context, /*benefit=*/2), isa(isa) {}

  LogicalResult
  matchAndRewrite(LayerOp op, typename LayerOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    constexpr bool ternary = std::is_same_v<LayerOp, TernaryLinearOp>;
    if constexpr (ternary)
      if (op.getInt8Activations())
        return rewriter.notifyMatchFailure(op, "int8 activations");
    std::optional<std::vector<int8_t>> trits = readTrits(op);
    if (!trits)
      return rewriter.notifyMatchFailure(op, "packed weights not readable");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    int64_t rows = op.getOutFeatures(), cols = op.getInFeatures();
    // The layout is the kernel's: group codes for the wide tables, plane
    // words for the 8-entry ones.
    bool wide = isa.pairPermute;
    int64_t blockChannels =
        wide ? wideBlockChannels(isa) : kVectorsPerBlock * isa.floatLanes;
    int planes = ternary ? 2 : 1;
    int64_t chunkInputs =
        wide ? quant::groupCodeInputs(ternary) * quant::kGroupCodesPerWord
             : quant::kPlaneWordInputs;
    std::vector<uint32_t> words =
        wide ? quant::packGroupCodeWords(trits->data(), rows, cols,
                                         blockChannels, ternary)
             : quant::packPlaneWords(trits->data(), rows, cols, blockChannels,
                                     planes);
    int64_t blocks = llvm::divideCeil(rows, blockChannels);
    int64_t chunks = llvm::divideCeil(cols, chunkInputs);
    // The words as i32: the blob is host-endian, as the code reads it.
    SmallVector<int64_t> wordsShape = {blocks, chunks, planes, blockChannels};
    if (wide)
      wordsShape = {blocks, chunks, blockChannels};
    auto wordsType = RankedTensorType::get(wordsShape, b.getI32Type());
    ArrayRef<char> raw(reinterpret_cast<const char *>(words.data()),
                       words.size() * sizeof(uint32_t));
    std::string name =
        (op.getLayerName().value_or(ternary ? "ternary" : "sign") +
         (wide ? "_group_codes" : "_plane_words"))
            .str();
    auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(raw);
    auto attr = DenseResourceElementsAttr::get(wordsType, name, std::move(blob));
    Value wordsTensor = arith::ConstantOp::create(b, attr);

    FloatLookupOperands ops;
    static_cast<LowBitLayer &>(ops) = readBuffers(
        rewriter, op.getLoc(),
        prepareLowBitLayer(rewriter, op, adaptor.getInput(), adaptor.getBias()));
    ops.words = readBuffer(b, op.getLoc(), wordsTensor);
    ops.chunks = chunks;

    ops.out = allocatePerRow(b, ops.x, {rows}, b.getF32Type());
    if (wide) {
      ops.tables = allocatePerRow(
          b, ops.x, {chunks * quant::kGroupCodesPerWord, kWideTableEntries},
          b.getF32Type());
      emitWideTables(b, ops);
      emitWideProducts(b, isa, ops);
    } else {
      ops.tables = allocatePerRow(b, ops.x, {chunks * kGroupsPerWord, kEntries},
                                  b.getF32Type());
      emitTables(b, ops);
      emitProducts(b, isa, ops);
    }
    replaceLayerWithOutput(rewriter, op, ops.out, adaptor.getInput());
    return success();
  }

  LookupTableIsa isa;
};

} // namespace

void onebit::populateFloatLookupTablePatterns(RewritePatternSet &patterns,
                                              const LookupTableIsa &isa) {
  patterns.add<LayerToFloatLookupTables<TernaryLinearOp>,
               LayerToFloatLookupTables<SignLinearOp>>(patterns.getContext(),
                                                       isa);
}
