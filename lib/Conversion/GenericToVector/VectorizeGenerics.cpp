//===- VectorizeGenerics.cpp - Vector loops for linalg.generic ------------===//
//
// Most of a transformer's float work outside the linear layers is
// linalg.generic on buffers: elementwise chains, broadcasts (norm scales,
// masks) and the attention products Q K^T and P V, whose output's last
// dimension is contiguous and parallel. Vectorizing along that dimension
// needs no reassociation: every lane is one output element, computed by
// the body's scalar operations in the scalar order. Putting that loop
// outside the reductions keeps each partial result in a register instead of
// loading and storing it once per step, which is what bounds the scalar
// loops (a store-to-load round trip per multiply-add).
//
//===----------------------------------------------------------------------===//

#include "onebit/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OpDefinition.h"

namespace onebit {
#define GEN_PASS_DEF_VECTORIZEGENERICS
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

/// Vectors in flight per step of the main loop over the vector dimension:
/// independent chains for the reductions' adds.
constexpr int64_t kVectorsPerStep = 4;

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// Whether `type` is a memref whose last dimension is contiguous.
bool hasUnitInnerStride(MemRefType type) {
  if (type.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  return strides.back() == 1;
}

bool isVectorizableElement(Type type) {
  return (isa<FloatType>(type) || isa<IntegerType>(type)) &&
         type.getIntOrFloatBitWidth() >= 8;
}

/// The loop along which `op` is vectorized: the output's last index, if the
/// generic qualifies (see the pass description), else nothing.
std::optional<unsigned> vectorLoop(linalg::GenericOp op, int64_t width) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() == 0)
    return std::nullopt;
  OpOperand *init = op.getDpsInitOperand(0);
  auto outType = dyn_cast<MemRefType>(init->get().getType());
  if (!outType || !hasUnitInnerStride(outType) ||
      !isVectorizableElement(outType.getElementType()))
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(init);
  auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!last || !linalg::isParallelIterator(
                   op.getIteratorTypesArray()[last.getPosition()]))
    return std::nullopt;
  unsigned loop = last.getPosition();
  // Too short a dimension gains nothing over scalar code.
  int64_t extent = op.getStaticLoopRanges()[loop];
  if (!ShapedType::isDynamic(extent) && extent < width / 4)
    return std::nullopt;

  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type) {
      if (!isVectorizableElement(operand.get().getType()))
        return std::nullopt;
      continue;
    }
    if (!isVectorizableElement(type.getElementType()))
      return std::nullopt;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, result] : llvm::enumerate(map.getResults())) {
      if (isa<AffineConstantExpr>(result))
        continue;
      auto dim = dyn_cast<AffineDimExpr>(result);
      if (!dim)
        return std::nullopt;
      // The vector loop may index an operand only as its contiguous last
      // dimension (a vector load); elsewhere it would be a gather.
      if (dim.getPosition() == loop &&
          (i + 1 != map.getNumResults() || !hasUnitInnerStride(type)))
        return std::nullopt;
    }
  }

  for (Operation &bodyOp : op.getBody()->without_terminator()) {
    if (bodyOp.getNumRegions() != 0 || isa<linalg::IndexOp>(bodyOp) ||
        isa<math::IPowIOp, math::FPowIOp>(bodyOp))
      return std::nullopt;
    if (bodyOp.getNumOperands() == 0 && isa<arith::ConstantOp>(bodyOp))
      continue;
    if (!OpTrait::hasElementwiseMappableTraits(&bodyOp))
      return std::nullopt;
    for (Type type : bodyOp.getResultTypes())
      if (!type.isIntOrIndexOrFloat())
        return std::nullopt;
  }
  return loop;
}

/// Emits the vector loop nest of one generic.
class GenericVectorizer {
public:
  GenericVectorizer(linalg::GenericOp op, unsigned loop, int64_t width)
      : op(op), loop(loop), width(width) {}

  void emit(OpBuilder &b) {
    Location loc = op.getLoc();
    ranges = cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc);
    ivs.assign(op.getNumLoops(), Value());
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    for (unsigned d = 0; d < op.getNumLoops(); ++d) {
      if (d == loop)
        continue;
      (linalg::isParallelIterator(iterators[d]) ? outerLoops : reductionLoops)
          .push_back(d);
    }
    emitOuterLoops(b, loc, 0);
  }

private:
  Value toIndex(OpBuilder &b, Location loc, OpFoldResult value) {
    return getValueOrCreateConstantIndexOp(b, loc, value);
  }

  /// The parallel loops other than the vector one, then the vector loop.
  void emitOuterLoops(OpBuilder &b, Location loc, size_t depth) {
    if (depth == outerLoops.size())
      return emitVectorLoop(b, loc);
    unsigned d = outerLoops[depth];
    scf::ForOp::create(
        b, loc, toIndex(b, loc, ranges[d].offset),
        toIndex(b, loc, ranges[d].size), toIndex(b, loc, ranges[d].stride),
        ValueRange{}, [&](OpBuilder &lb, Location lloc, Value iv, ValueRange) {
          ivs[d] = iv;
          emitOuterLoops(lb, lloc, depth + 1);
          scf::YieldOp::create(lb, lloc);
        });
  }

  /// Steps of kVectorsPerStep vectors, then of one vector, then the tail
  /// with masked reads and writes.
  void emitVectorLoop(OpBuilder &b, Location loc) {
    Value extent = toIndex(b, loc, ranges[loop].size);
    auto floorTo = [&](int64_t multiple) -> Value {
      return arith::SubIOp::create(
          b, loc, extent,
          arith::RemUIOp::create(b, loc, extent,
                                 indexConstant(b, loc, multiple)));
    };
    Value zero = indexConstant(b, loc, 0);
    Value unrolledEnd = floorTo(width * kVectorsPerStep);
    Value fullEnd = floorTo(width);
    auto stepLoop = [&](Value begin, Value end, int64_t vectors) {
      scf::ForOp::create(
          b, loc, begin, end, indexConstant(b, loc, width * vectors),
          ValueRange{},
          [&](OpBuilder &lb, Location lloc, Value j, ValueRange) {
            emitStep(lb, lloc, j, vectors, /*tail=*/false);
            scf::YieldOp::create(lb, lloc);
          });
    };
    stepLoop(zero, unrolledEnd, kVectorsPerStep);
    stepLoop(unrolledEnd, fullEnd, 1);
    Value hasTail = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          fullEnd, extent);
    scf::IfOp::create(b, loc, hasTail, [&](OpBuilder &tb, Location tloc) {
      // Masked loads and stores rather than out-of-bounds transfers, whose
      // lowering would read the memref's size after memrefs are lowered.
      tailMask = vector::CreateMaskOp::create(
          tb, tloc, VectorType::get({width}, tb.getI1Type()),
          ValueRange{arith::SubIOp::create(tb, tloc, extent, fullEnd)});
      emitStep(tb, tloc, fullEnd, 1, /*tail=*/true);
      scf::YieldOp::create(tb, tloc);
    });
  }

  /// The indices of `operand` with the vector loop at `j`.
  SmallVector<Value> indicesOf(OpBuilder &b, Location loc, OpOperand &operand,
                               Value j) {
    SmallVector<Value> indices;
    for (AffineExpr result : op.getMatchingIndexingMap(&operand).getResults()) {
      if (auto constant = dyn_cast<AffineConstantExpr>(result)) {
        indices.push_back(indexConstant(b, loc, constant.getValue()));
        continue;
      }
      unsigned d = cast<AffineDimExpr>(result).getPosition();
      indices.push_back(d == loop ? j : ivs[d]);
    }
    return indices;
  }

  Value zeroVector(OpBuilder &b, Location loc, Value memref) {
    Type element = getElementTypeOrSelf(memref.getType());
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(VectorType::get({width}, element),
                               b.getZeroAttr(element)));
  }

  /// What the tail's lanes past the end hold: their results are never
  /// stored, but integer division must not see a zero there (SIGFPE).
  Value tailPadding(OpBuilder &b, Location loc, Type element) {
    TypedAttr value = isa<IntegerType>(element)
                          ? TypedAttr(b.getIntegerAttr(element, 1))
                          : TypedAttr(b.getZeroAttr(element));
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(VectorType::get({width}, element), value));
  }

  bool readsVectorLoop(OpOperand &operand) {
    return op.getMatchingIndexingMap(&operand).isFunctionOfDim(loop);
  }

  /// A vector of `operand` at `j`: a load of its contiguous last dimension,
  /// or one element broadcast when the vector loop does not index it.
  Value read(OpBuilder &b, Location loc, OpOperand &operand, Value j,
             bool tail) {
    Value source = operand.get();
    auto memrefType = dyn_cast<MemRefType>(source.getType());
    Type element = memrefType ? memrefType.getElementType() : source.getType();
    auto vectorType = VectorType::get({width}, element);
    if (!memrefType)
      return vector::BroadcastOp::create(b, loc, vectorType, source);
    SmallVector<Value> indices = indicesOf(b, loc, operand, j);
    if (!readsVectorLoop(operand))
      return vector::BroadcastOp::create(
          b, loc, vectorType, memref::LoadOp::create(b, loc, source, indices));
    if (!tail)
      return vector::LoadOp::create(b, loc, vectorType, source, indices);
    return vector::MaskedLoadOp::create(b, loc, vectorType, source, indices,
                                        tailMask, tailPadding(b, loc, element));
  }

  /// One step: `vectors` consecutive vectors of outputs from `j`, through
  /// the reduction loops.
  void emitStep(OpBuilder &b, Location loc, Value j, int64_t vectors,
                bool tail) {
    OpOperand *init = op.getDpsInitOperand(0);
    SmallVector<Value> columns, accs;
    for (int64_t v = 0; v < vectors; ++v) {
      columns.push_back(
          v ? arith::AddIOp::create(b, loc, j, indexConstant(b, loc, v * width))
                  .getResult()
            : j);
      // A body that ignores the output's old value (elementwise ops)
      // needs no read of it.
      accs.push_back(op.payloadUsesValueFromOperand(init)
                         ? read(b, loc, *init, columns.back(), tail)
                         : zeroVector(b, loc, init->get()));
    }
    accs = emitReductionLoops(b, loc, 0, columns, accs, tail);
    for (auto [column, acc] : llvm::zip(columns, accs)) {
      SmallVector<Value> indices = indicesOf(b, loc, *init, column);
      if (tail)
        vector::MaskedStoreOp::create(b, loc, init->get(), indices, tailMask,
                                      acc);
      else
        vector::StoreOp::create(b, loc, acc, init->get(), indices);
    }
  }

  SmallVector<Value> emitReductionLoops(OpBuilder &b, Location loc,
                                        size_t depth, ArrayRef<Value> columns,
                                        ArrayRef<Value> accs, bool tail) {
    if (depth == reductionLoops.size()) {
      SmallVector<Value> next;
      for (auto [column, acc] : llvm::zip(columns, accs))
        next.push_back(emitBody(b, loc, column, acc, tail));
      return next;
    }
    unsigned d = reductionLoops[depth];
    auto loopOp = scf::ForOp::create(
        b, loc, toIndex(b, loc, ranges[d].offset),
        toIndex(b, loc, ranges[d].size), toIndex(b, loc, ranges[d].stride),
        accs,
        [&](OpBuilder &lb, Location lloc, Value iv, ValueRange iterAccs) {
          ivs[d] = iv;
          SmallVector<Value> inner(iterAccs.begin(), iterAccs.end());
          scf::YieldOp::create(
              lb, lloc,
              emitReductionLoops(lb, lloc, depth + 1, columns, inner, tail));
        });
    return SmallVector<Value>(loopOp.getResults());
  }

  /// The generic's body on vectors: inputs read at `column`, the output's
  /// block argument bound to `acc`; returns the yielded vector.
  Value emitBody(OpBuilder &b, Location loc, Value column, Value acc,
                 bool tail) {
    Block *body = op.getBody();
    IRMapping mapping;
    for (OpOperand *input : op.getDpsInputOperands())
      mapping.map(op.getMatchingBlockArgument(input),
                  read(b, loc, *input, column, tail));
    mapping.map(op.getMatchingBlockArgument(op.getDpsInitOperand(0)), acc);
    auto vectorOf = [&](Value value) {
      if (Value mapped = mapping.lookupOrNull(value))
        return mapped;
      // Defined above the generic: the same value in every lane.
      Value splat = vector::BroadcastOp::create(
          b, loc, VectorType::get({width}, value.getType()), value);
      mapping.map(value, splat);
      return splat;
    };
    for (Operation &bodyOp : body->without_terminator()) {
      if (bodyOp.getNumOperands() == 0) {
        Operation *scalar = b.clone(bodyOp);
        mapping.map(bodyOp.getResult(0),
                    vector::BroadcastOp::create(
                        b, loc,
                        VectorType::get({width},
                                        bodyOp.getResult(0).getType()),
                        scalar->getResult(0)));
        continue;
      }
      for (Value operand : bodyOp.getOperands())
        vectorOf(operand);
      Operation *vectorOp = b.clone(bodyOp, mapping);
      for (OpResult result : vectorOp->getResults())
        result.setType(VectorType::get({width}, result.getType()));
    }
    return vectorOf(body->getTerminator()->getOperand(0));
  }

  linalg::GenericOp op;
  unsigned loop;
  int64_t width;
  SmallVector<Range> ranges;
  SmallVector<Value> ivs;
  SmallVector<unsigned> outerLoops, reductionLoops;
  /// The lanes of the tail step that are inside the output.
  Value tailMask;
};

struct VectorizeGenerics
    : onebit::impl::VectorizeGenericsBase<VectorizeGenerics> {
  using VectorizeGenericsBase::VectorizeGenericsBase;

  LogicalResult initialize(MLIRContext *context) override {
    int64_t width = vectorWidth;
    if (width <= 0)
      return emitError(UnknownLoc::get(context))
             << "onebit-vectorize-generics: vector-width must be positive, "
                "got "
             << width;
    return success();
  }

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation()->walk(
        [&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics) {
      std::optional<unsigned> loop = vectorLoop(op, vectorWidth);
      if (!loop)
        continue;
      OpBuilder builder(op);
      GenericVectorizer(op, *loop, vectorWidth).emit(builder);
      op.erase();
    }
  }
};

} // namespace
