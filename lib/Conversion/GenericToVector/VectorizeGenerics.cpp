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

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
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

/// How a generic is vectorized: along `loop`, the output's last index, or,
/// when the output has no parallel last index, along the generic's only
/// reduction loop, whose `combiner` (the add, max, ... that the body yields)
/// then runs lane-wise into vector partial results.
struct VectorPlan {
  unsigned loop;
  Operation *combiner = nullptr;
};

/// The op that folds the output's old value into the yielded one, if the
/// body is `yield combiner(out, f(inputs))` with `out` used nowhere else and
/// the combiner one whose lanes can be reassociated (add, mul, max, min).
Operation *reductionCombiner(linalg::GenericOp op) {
  Block *body = op.getBody();
  BlockArgument out = op.getMatchingBlockArgument(op.getDpsInitOperand(0));
  Operation *combiner = body->getTerminator()->getOperand(0).getDefiningOp();
  if (!combiner || combiner->getBlock() != body ||
      combiner->getNextNode() != body->getTerminator() ||
      combiner->getNumOperands() != 2 || !out.hasOneUse() ||
      !llvm::is_contained(combiner->getOperands(), Value(out)) ||
      combiner->getOperand(0) == combiner->getOperand(1) ||
      !linalg::getCombinerOpKind(combiner) ||
      !arith::getNeutralElement(combiner))
    return nullptr;
  return combiner;
}

/// Whether every operand of `op` that `loop` indexes has it as its
/// contiguous last dimension (a vector load; elsewhere it would be a
/// gather), and every operand's element type can be a vector lane.
bool loadsContiguouslyAlong(linalg::GenericOp op, unsigned loop) {
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type) {
      if (!isVectorizableElement(operand.get().getType()))
        return false;
      continue;
    }
    if (!isVectorizableElement(type.getElementType()))
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, result] : llvm::enumerate(map.getResults())) {
      if (isa<AffineConstantExpr>(result))
        continue;
      auto dim = dyn_cast<AffineDimExpr>(result);
      if (!dim)
        return false;
      if (dim.getPosition() == loop &&
          (i + 1 != map.getNumResults() || !hasUnitInnerStride(type)))
        return false;
    }
  }
  return true;
}

/// The plan for `op`, if the generic qualifies (see the pass description).
/// The output's last index comes first; the reduction loop is the way left
/// where an input would be gathered along that index (Q K^T with K read in
/// place, untransposed: its rows are contiguous along the reduction).
std::optional<VectorPlan> planVectorization(linalg::GenericOp op,
                                            int64_t width) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() == 0)
    return std::nullopt;
  OpOperand *init = op.getDpsInitOperand(0);
  auto outType = dyn_cast<MemRefType>(init->get().getType());
  if (!outType || !isVectorizableElement(outType.getElementType()))
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  AffineMap outMap = op.getMatchingIndexingMap(init);
  std::optional<unsigned> last;
  if (outMap.getNumResults())
    if (auto dim = dyn_cast<AffineDimExpr>(outMap.getResults().back()))
      last = dim.getPosition();
  VectorPlan plan;
  if (last && linalg::isParallelIterator(iterators[*last]) &&
      hasUnitInnerStride(outType) && loadsContiguouslyAlong(op, *last)) {
    plan.loop = *last;
  } else {
    if (op.getNumReductionLoops() != 1)
      return std::nullopt;
    plan.combiner = reductionCombiner(op);
    if (!plan.combiner)
      return std::nullopt;
    plan.loop = llvm::find_if(iterators, linalg::isReductionIterator) -
                iterators.begin();
    if (!loadsContiguouslyAlong(op, plan.loop))
      return std::nullopt;
  }
  // Too short a dimension gains nothing over scalar code.
  int64_t extent = op.getStaticLoopRanges()[plan.loop];
  if (!ShapedType::isDynamic(extent) && extent < width / 4)
    return std::nullopt;

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
  return plan;
}

/// Emits the vector loop nest of one generic.
class GenericVectorizer {
public:
  GenericVectorizer(linalg::GenericOp op, VectorPlan plan, int64_t width)
      : op(op), loop(plan.loop), combiner(plan.combiner), width(width) {}

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
      return combiner ? emitLaneReduction(b, loc) : emitVectorLoop(b, loc);
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

  /// Where the vector loop's three phases end: steps of kVectorsPerStep
  /// vectors, then of one vector, then the tail.
  struct Phases {
    Value extent, unrolledEnd, fullEnd;
  };
  Phases splitVectorLoop(OpBuilder &b, Location loc) {
    Value extent = toIndex(b, loc, ranges[loop].size);
    auto floorTo = [&](int64_t multiple) -> Value {
      return arith::SubIOp::create(
          b, loc, extent,
          arith::RemUIOp::create(b, loc, extent,
                                 indexConstant(b, loc, multiple)));
    };
    return {extent, floorTo(width * kVectorsPerStep), floorTo(width)};
  }

  /// The lanes of the tail that are inside the vector loop's range.
  Value createTailMask(OpBuilder &b, Location loc, const Phases &phases) {
    return vector::CreateMaskOp::create(
        b, loc, VectorType::get({width}, b.getI1Type()),
        ValueRange{
            arith::SubIOp::create(b, loc, phases.extent, phases.fullEnd)});
  }

  /// Steps of kVectorsPerStep vectors, then of one vector, then the tail
  /// with masked reads and writes.
  void emitVectorLoop(OpBuilder &b, Location loc) {
    Phases phases = splitVectorLoop(b, loc);
    auto stepLoop = [&](Value begin, Value end, int64_t vectors) {
      scf::ForOp::create(
          b, loc, begin, end, indexConstant(b, loc, width * vectors),
          ValueRange{},
          [&](OpBuilder &lb, Location lloc, Value j, ValueRange) {
            emitStep(lb, lloc, j, vectors, /*tail=*/false);
            scf::YieldOp::create(lb, lloc);
          });
    };
    stepLoop(indexConstant(b, loc, 0), phases.unrolledEnd, kVectorsPerStep);
    stepLoop(phases.unrolledEnd, phases.fullEnd, 1);
    Value hasTail = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          phases.fullEnd, phases.extent);
    scf::IfOp::create(b, loc, hasTail, [&](OpBuilder &tb, Location tloc) {
      // Masked loads and stores rather than out-of-bounds transfers, whose
      // lowering would read the memref's size after memrefs are lowered.
      tailMask = createTailMask(tb, tloc, phases);
      emitStep(tb, tloc, phases.fullEnd, 1, /*tail=*/true);
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
  /// block argument bound to `acc`; returns the yielded vector. With a
  /// combiner, what it would combine with the output instead.
  Value emitBody(OpBuilder &b, Location loc, Value column, Value acc,
                 bool tail) {
    Block *body = op.getBody();
    IRMapping mapping;
    for (OpOperand *input : op.getDpsInputOperands())
      mapping.map(op.getMatchingBlockArgument(input),
                  read(b, loc, *input, column, tail));
    if (acc)
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
      if (&bodyOp == combiner)
        return vectorOf(combinedValue());
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

  /// The combiner's operand that is not the output's old value.
  Value combinedValue() {
    Value out = op.getMatchingBlockArgument(op.getDpsInitOperand(0));
    return combiner->getOperand(0) == out ? combiner->getOperand(1)
                                          : combiner->getOperand(0);
  }

  /// The combiner on `acc` (in the output's place) and `value`, scalars or
  /// vectors alike.
  Value combine(OpBuilder &b, Value acc, Value value) {
    IRMapping mapping;
    mapping.map(op.getMatchingBlockArgument(op.getDpsInitOperand(0)), acc);
    mapping.map(combinedValue(), value);
    Operation *combined = b.clone(*combiner, mapping);
    combined->getResult(0).setType(acc.getType());
    return combined->getResult(0);
  }

  /// The only reduction loop in vectors: kVectorsPerStep partial results
  /// of `width` lanes, each combined lane-wise with the body's value at its
  /// columns; then combined with each other, across lanes, and last with
  /// the output's old value. This reassociates the reduction (a sum adds in
  /// `width` x 4 partial sums instead of in order), as every vectorized
  /// reduction does.
  void emitLaneReduction(OpBuilder &b, Location loc) {
    OpOperand *init = op.getDpsInitOperand(0);
    Type element = getElementTypeOrSelf(init->get().getType());
    auto vectorType = VectorType::get({width}, element);
    Value neutral = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(vectorType, *arith::getNeutralElement(combiner)));
    Phases phases = splitVectorLoop(b, loc);
    auto stepLoop = [&](Value begin, Value end, int64_t vectors,
                        SmallVector<Value> inits) {
      auto loopOp = scf::ForOp::create(
          b, loc, begin, end, indexConstant(b, loc, width * vectors), inits,
          [&](OpBuilder &lb, Location lloc, Value j, ValueRange accs) {
            SmallVector<Value> next;
            for (int64_t v = 0; v < vectors; ++v) {
              Value column =
                  v ? arith::AddIOp::create(
                          lb, lloc, j, indexConstant(lb, lloc, v * width))
                          .getResult()
                    : j;
              next.push_back(combine(
                  lb, accs[v], emitBody(lb, lloc, column, nullptr, false)));
            }
            scf::YieldOp::create(lb, lloc, next);
          });
      return SmallVector<Value>(loopOp.getResults());
    };
    SmallVector<Value> partial =
        stepLoop(indexConstant(b, loc, 0), phases.unrolledEnd,
                 kVectorsPerStep, SmallVector<Value>(kVectorsPerStep, neutral));
    while (partial.size() > 1) {
      SmallVector<Value> halved;
      for (size_t i = 0; i + 1 < partial.size(); i += 2)
        halved.push_back(combine(b, partial[i], partial[i + 1]));
      partial = std::move(halved);
    }
    Value acc =
        stepLoop(phases.unrolledEnd, phases.fullEnd, 1, {partial.front()})
            .front();
    Value hasTail = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          phases.fullEnd, phases.extent);
    auto tailIf = scf::IfOp::create(
        b, loc, hasTail,
        [&](OpBuilder &tb, Location tloc) {
          tailMask = createTailMask(tb, tloc, phases);
          // Lanes past the end contribute the neutral element.
          Value value = arith::SelectOp::create(
              tb, tloc, tailMask,
              emitBody(tb, tloc, phases.fullEnd, nullptr, true), neutral);
          scf::YieldOp::create(tb, tloc, combine(tb, acc, value));
        },
        [&](OpBuilder &eb, Location eloc) {
          scf::YieldOp::create(eb, eloc, acc);
        });
    Value lanes = vector::ReductionOp::create(
        b, loc, *linalg::getCombinerOpKind(combiner), tailIf.getResult(0));
    SmallVector<Value> indices = indicesOf(b, loc, *init, Value());
    Value old = memref::LoadOp::create(b, loc, init->get(), indices);
    memref::StoreOp::create(b, loc, combine(b, old, lanes), init->get(),
                            indices);
  }

  linalg::GenericOp op;
  unsigned loop;
  /// Set when the vector loop is the reduction (see VectorPlan).
  Operation *combiner;
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
      std::optional<VectorPlan> plan = planVectorization(op, vectorWidth);
      if (!plan)
        continue;
      OpBuilder builder(op);
      GenericVectorizer(op, *plan, vectorWidth).emit(builder);
      op.erase();
    }
  }
};

} // namespace
