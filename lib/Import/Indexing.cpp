//===- Indexing.cpp - Gather, GatherElements, GatherND --------------------===//
//
// Gathers are linalg.generic ops over the result shape whose body reads the
// index (wrapping negative ones as ONNX defines) and tensor.extracts the data
// element: embedding lookups, the last-token pick of a decoder, and the
// Gather-of-Shape idiom of the exporters (which folds at import time when the
// shape is known). Indices out of range at run time (a token id past the
// vocabulary, the first token of an empty sequence) are an error in ONNX:
// before the gather, one reduction finds the smallest and largest index and
// an onebit.check ends the run, naming the node, unless both lie within the
// axis (negative ones counting from the end). The gather's body still reads
// nothing out of range (it gives 0 there), so that no path reads outside
// the buffer.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "onebit/Dialect/OnebitOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace onebit::importer;

namespace {

/// `index` (any integer type) as an index into a dim of size `dim`, negative
/// values counting from the end.
Value wrapIndex(OpBuilder &b, Location loc, Value index, Value dim) {
  Value i = toIndex(b, loc, index);
  Value zero = indexConstant(b, loc, 0);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  Value wrapped = arith::AddIOp::create(b, loc, i, dim);
  return arith::SelectOp::create(b, loc, negative, wrapped, i);
}

/// True where every wrapped index lies in [0, its dim).
Value allInRange(OpBuilder &b, Location loc, ArrayRef<std::pair<Value, Value>> indexAndDim) {
  Value ok = arith::ConstantIntOp::create(b, loc, 1, 1);
  for (auto [index, dim] : indexAndDim)
    ok = arith::AndIOp::create(
        b, loc, ok,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, dim));
  return ok;
}

/// data[position], or 0 where `inRange` is false, without reading.
Value extractOrZero(OpBuilder &b, Location loc, Value data,
                    ValueRange position, Value inRange) {
  Type element = cast<RankedTensorType>(data.getType()).getElementType();
  auto guarded = scf::IfOp::create(
      b, loc, inRange,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(
            tb, tl, ValueRange{tensor::ExtractOp::create(tb, tl, data, position)});
      },
      [&](OpBuilder &eb, Location el) {
        scf::YieldOp::create(
            eb, el,
            ValueRange{arith::ConstantOp::create(eb, el, eb.getZeroAttr(element))});
      });
  return guarded.getResult(0);
}

/// The smallest and largest element (as i64) of the integer tensor
/// `indices`: over all of it (rank-0 results), or, with `perLastDim`, for
/// each position of its last dimension (1-d results). One linalg.generic
/// with two reduced outputs, outside any loop that relies on them.
std::pair<Value, Value> indexBounds(OpBuilder &b, Location loc, Value indices,
                                    bool perLastDim) {
  auto type = cast<RankedTensorType>(indices.getType());
  int64_t rank = type.getRank();
  MLIRContext *context = b.getContext();
  Type i64 = b.getI64Type();
  SmallVector<int64_t> shape;
  SmallVector<Value> sizes;
  SmallVector<AffineExpr> kept;
  if (perLastDim) {
    shape.push_back(type.getDimSize(rank - 1));
    if (type.isDynamicDim(rank - 1))
      sizes.push_back(tensor::DimOp::create(b, loc, indices, rank - 1));
    kept.push_back(getAffineDimExpr(rank - 1, context));
  }
  auto filled = [&](int64_t value) {
    Value init = emptyTensor(b, loc, shape, i64, sizes);
    Value fill = arith::ConstantIntOp::create(b, loc, i64, value);
    return linalg::FillOp::create(b, loc, fill, init).getResult(0);
  };
  Value minInit = filled(std::numeric_limits<int64_t>::max());
  Value maxInit = filled(std::numeric_limits<int64_t>::min());
  AffineMap reduced = AffineMap::get(rank, 0, kept, context);
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, context),
                              reduced, reduced};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  if (perLastDim)
    iterators.back() = utils::IteratorType::parallel;
  auto bounds = linalg::GenericOp::create(
      b, loc, TypeRange{minInit.getType(), maxInit.getType()},
      ValueRange{indices}, ValueRange{minInit, maxInit}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value index = castScalar(nb, nl, args[0], i64);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::MinSIOp::create(nb, nl, args[1], index),
                       arith::MaxSIOp::create(nb, nl, args[2], index)});
      });
  return {bounds.getResult(0), bounds.getResult(1)};
}

/// Unless every index (whose smallest and largest are the scalars `lowest`
/// and `highest`, i64) lies in [-dim, dim), the run ends naming the node and
/// an index out of range.
void checkIndexRange(NodeContext &ctx, Value lowest, Value highest, Value dim,
                     const Twine &what) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value size = arith::IndexCastOp::create(b, loc, b.getI64Type(), dim);
  Value negated = arith::SubIOp::create(
      b, loc, arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0), size);
  Value aboveLow = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                         lowest, negated);
  Value belowHigh = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                          highest, size);
  // The message ends with an offending index: the lowest if it is too low.
  Value offending =
      arith::SelectOp::create(b, loc, aboveLow, highest, lowest);
  ctx.checkAtRunTime(arith::AndIOp::create(b, loc, aboveLow, belowHigh), what,
                     offending);
}

/// The same for every index of `indices` against the size of `data`'s `axis`,
/// the message saying which and, when static, the size.
void checkIndicesInRange(NodeContext &ctx, Value indices, Value data,
                         int64_t axis, unsigned indicesOperand,
                         unsigned dataOperand) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto [lowest, highest] = indexBounds(b, loc, indices, /*perLastDim=*/false);
  Value low = tensor::ExtractOp::create(b, loc, lowest, ValueRange{});
  Value high = tensor::ExtractOp::create(b, loc, highest, ValueRange{});
  int64_t size = cast<RankedTensorType>(data.getType()).getDimSize(axis);
  std::string bound = ShapedType::isDynamic(size)
                          ? std::string("its size")
                          : "[-" + std::to_string(size) + ", " +
                                std::to_string(size) + ")";
  checkIndexRange(ctx, low, high, dimSize(b, loc, data, axis),
                  "an index in '" + ctx.inputName(indicesOperand) +
                      "' is out of range for axis " + std::to_string(axis) +
                      " of '" + ctx.inputName(dataOperand) + "' (" + bound +
                      ")");
}

LogicalResult convertGather(NodeContext &ctx) {
  Value data = ctx.requiredInput(0), indices = ctx.requiredInput(1);
  if (!data || !indices)
    return failure();
  auto dataType = cast<RankedTensorType>(data.getType());
  auto indicesType = cast<RankedTensorType>(indices.getType());
  if (!indicesType.getElementType().isSignlessInteger(64) &&
      !indicesType.getElementType().isSignlessInteger(32))
    return ctx.fail("indices must be int32 or int64");
  int64_t rank = dataType.getRank();
  if (rank < 1)
    return ctx.fail("data must have rank >= 1");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t q = indicesType.getRank();
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;

  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  for (int64_t i = 0; i < *axis; ++i) {
    shape.push_back(dataType.getDimSize(i));
    if (dataType.isDynamicDim(i))
      dynSizes.push_back(tensor::DimOp::create(b, loc, data, i));
  }
  for (int64_t i = 0; i < q; ++i) {
    shape.push_back(indicesType.getDimSize(i));
    if (indicesType.isDynamicDim(i))
      dynSizes.push_back(tensor::DimOp::create(b, loc, indices, i));
  }
  for (int64_t i = *axis + 1; i < rank; ++i) {
    shape.push_back(dataType.getDimSize(i));
    if (dataType.isDynamicDim(i))
      dynSizes.push_back(tensor::DimOp::create(b, loc, data, i));
  }

  // Gather of known elements (Gather(Shape(x), i)) folds.
  const KnownInts *dataKnown = ctx.known(0);
  std::optional<SmallVector<int64_t>> indexValues = ctx.constantInts(1);
  if (dataKnown && indexValues && rank == 1 && q <= 1) {
    KnownInts known;
    int64_t n = dataType.getDimSize(0);
    for (int64_t i : *indexValues) {
      if (i < -n || i >= n)
        return ctx.fail("index " + std::to_string(i) +
                        " is out of range for dim of size " +
                        std::to_string(n));
      known.push_back((*dataKnown)[i < 0 ? i + n : i]);
    }
    if (llvm::all_of(known, [](auto v) { return v.has_value(); }))
      return ctx.setKnownOutput(0, known, shape, dataType.getElementType(),
                                [] { return Value(); });
  }

  // A few constant indices into a vector (Gather(Shape(x), i) with dynamic
  // dims): extract the elements; no loop needed.
  if (indexValues && rank == 1 && q <= 1 &&
      (int64_t)indexValues->size() <= kMaxKnownElements) {
    SmallVector<Value> elements;
    KnownInts known;
    int64_t n = dataType.getDimSize(0);
    for (int64_t i : *indexValues) {
      if (!ShapedType::isDynamic(n) && (i < -n || i >= n))
        return ctx.fail("index " + std::to_string(i) +
                        " is out of range for dim of size " +
                        std::to_string(n));
      if (i < 0 && ShapedType::isDynamic(n))
        break;
      int64_t at = i < 0 ? i + n : i;
      Value element;
      if (auto from = data.getDefiningOp<tensor::FromElementsOp>())
        element = from.getElements()[at];
      else
        element = tensor::ExtractOp::create(
            b, loc, data, ValueRange{indexConstant(b, loc, at)});
      elements.push_back(element);
      known.push_back(dataKnown ? (*dataKnown)[at] : std::nullopt);
    }
    if (elements.size() == indexValues->size()) {
      auto type = RankedTensorType::get(shape, dataType.getElementType());
      SmallVector<Value> indexElements;
      ArrayRef<Value> tracked = ctx.graph.elements(data);
      if (failed(ctx.setKnownOutput(
              0, known, shape, dataType.getElementType(), [&]() -> Value {
                for (auto [e, i] : llvm::enumerate(*indexValues))
                  indexElements.push_back(
                      tracked.empty() ? toIndex(b, loc, elements[e])
                                      : tracked[i < 0 ? i + dataType.getDimSize(0)
                                                      : i]);
                return tensor::FromElementsOp::create(b, loc, type, elements);
              })))
        return failure();
      if (!indexElements.empty())
        ctx.graph.setElements(ctx.graph.lookup(ctx.outputName(0), loc),
                              indexElements);
      return success();
    }
  }

  MLIRContext *context = ctx.context();
  int64_t outRank = shape.size();
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < q; ++i)
    indexExprs.push_back(getAffineDimExpr(*axis + i, context));
  SmallVector<AffineMap> maps{
      AffineMap::get(outRank, 0, indexExprs, context),
      AffineMap::getMultiDimIdentityMap(outRank, context)};
  checkIndicesInRange(ctx, indices, data, *axis, 1, 0);
  Value axisSize = dimSize(b, loc, data, *axis);
  Value init =
      emptyTensor(b, loc, shape, dataType.getElementType(), dynSizes);
  SmallVector<utils::IteratorType> iterators(outRank,
                                             utils::IteratorType::parallel);
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{indices},
          ValueRange{init}, maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            SmallVector<Value> position;
            for (int64_t i = 0; i < *axis; ++i)
              position.push_back(linalg::IndexOp::create(nb, nl, i));
            Value at = wrapIndex(nb, nl, args[0], axisSize);
            position.push_back(at);
            for (int64_t i = *axis + 1; i < rank; ++i)
              position.push_back(linalg::IndexOp::create(nb, nl, i - 1 + q));
            Value v = extractOrZero(nb, nl, data, position,
                                    allInRange(nb, nl, {{at, axisSize}}));
            linalg::YieldOp::create(nb, nl, v);
          })
          .getResult(0);
  if (dataKnown && indexValues && rank == 1 && q <= 1) {
    KnownInts known;
    int64_t n = dataType.getDimSize(0);
    for (int64_t i : *indexValues)
      known.push_back((*dataKnown)[i < 0 ? i + n : i]);
    ctx.graph.setKnown(result, known);
  }
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertGatherElements(NodeContext &ctx) {
  Value data = ctx.requiredInput(0), indices = ctx.requiredInput(1);
  if (!data || !indices)
    return failure();
  auto dataType = cast<RankedTensorType>(data.getType());
  auto indicesType = cast<RankedTensorType>(indices.getType());
  int64_t rank = dataType.getRank();
  if (indicesType.getRank() != rank)
    return ctx.fail("indices must have the rank of data");
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  checkIndicesInRange(ctx, indices, data, *axis, 1, 0);
  Value axisSize = dimSize(b, loc, data, *axis);
  Value init = emptyTensor(b, loc, indicesType.getShape(),
                           dataType.getElementType(),
                           dynamicSizes(b, loc, indices));
  MLIRContext *context = ctx.context();
  SmallVector<AffineMap> maps(2,
                              AffineMap::getMultiDimIdentityMap(rank, context));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{indices},
          ValueRange{init}, maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            SmallVector<Value> position;
            Value at = wrapIndex(nb, nl, args[0], axisSize);
            for (int64_t i = 0; i < rank; ++i)
              position.push_back(i == *axis
                                     ? at
                                     : (Value)linalg::IndexOp::create(nb, nl, i));
            Value v = extractOrZero(nb, nl, data, position,
                                    allInRange(nb, nl, {{at, axisSize}}));
            linalg::YieldOp::create(nb, nl, v);
          })
          .getResult(0);
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertGatherND(NodeContext &ctx) {
  Value data = ctx.requiredInput(0), indices = ctx.requiredInput(1);
  if (!data || !indices)
    return failure();
  auto dataType = cast<RankedTensorType>(data.getType());
  auto indicesType = cast<RankedTensorType>(indices.getType());
  int64_t r = dataType.getRank(), q = indicesType.getRank();
  int64_t batchDims = ctx.intAttr("batch_dims", 0);
  if (q < 1 || indicesType.isDynamicDim(q - 1))
    return ctx.fail("the last dim of indices must be static");
  int64_t k = indicesType.getDimSize(q - 1);
  if (batchDims < 0 || batchDims >= std::min(q, r) || k < 1 ||
      batchDims + k > r)
    return ctx.fail("batch_dims " + std::to_string(batchDims) +
                    " and index depth " + std::to_string(k) +
                    " do not fit data of rank " + std::to_string(r));
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  // Result: indices.shape[:-1] + data.shape[batch_dims + k:].
  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  for (int64_t i = 0; i < q - 1; ++i) {
    shape.push_back(indicesType.getDimSize(i));
    if (indicesType.isDynamicDim(i))
      dynSizes.push_back(tensor::DimOp::create(b, loc, indices, i));
  }
  for (int64_t i = batchDims + k; i < r; ++i) {
    shape.push_back(dataType.getDimSize(i));
    if (dataType.isDynamicDim(i))
      dynSizes.push_back(tensor::DimOp::create(b, loc, data, i));
  }
  SmallVector<Value> dataDims;
  for (int64_t i = 0; i < r; ++i)
    dataDims.push_back(dimSize(b, loc, data, i));
  // Index j of each tuple addresses dimension batch_dims + j.
  auto [lowest, highest] = indexBounds(b, loc, indices, /*perLastDim=*/true);
  for (int64_t j = 0; j < k; ++j) {
    Value at = indexConstant(b, loc, j);
    checkIndexRange(ctx, tensor::ExtractOp::create(b, loc, lowest, at),
                    tensor::ExtractOp::create(b, loc, highest, at),
                    dataDims[batchDims + j],
                    "an index in '" + ctx.inputName(1) +
                        "' is out of range for axis " +
                        std::to_string(batchDims + j) + " of '" +
                        ctx.inputName(0) + "'");
  }
  int64_t outRank = shape.size();
  Value result = generateTensor(
      b, loc, shape, dataType.getElementType(), dynSizes,
      [&](OpBuilder &nb, Location nl) -> Value {
        SmallVector<Value> indexPosition, position;
        for (int64_t i = 0; i < q - 1; ++i)
          indexPosition.push_back(linalg::IndexOp::create(nb, nl, i));
        for (int64_t i = 0; i < batchDims; ++i)
          position.push_back(indexPosition[i]);
        SmallVector<std::pair<Value, Value>> checked;
        for (int64_t j = 0; j < k; ++j) {
          SmallVector<Value> at(indexPosition);
          at.push_back(indexConstant(nb, nl, j));
          Value idx = tensor::ExtractOp::create(nb, nl, indices, at);
          Value wrapped = wrapIndex(nb, nl, idx, dataDims[batchDims + j]);
          position.push_back(wrapped);
          checked.push_back({wrapped, dataDims[batchDims + j]});
        }
        for (int64_t i = q - 1; i < outRank; ++i)
          position.push_back(linalg::IndexOp::create(nb, nl, i));
        return extractOrZero(nb, nl, data, position,
                             allInRange(nb, nl, checked));
      });
  ctx.setOutput(0, result);
  return success();
}

} // namespace

void onebit::importer::registerIndexingOps(OpRegistry &r) {
  r.add("Gather", convertGather);
  r.add("GatherElements", convertGatherElements);
  r.add("GatherND", convertGatherND);
}
