//===- Reductions.cpp - Reduce*, Softmax, LayerNormalization --------------===//
//
// A reduction is one linalg.generic with reduction iterators into the
// keepdims=0 shape, then a tensor.expand_shape when ONNX keeps the dims.
// Softmax and LayerNormalization are built from those and elementwise
// generics (numerically: max-subtracted softmax, two-pass variance).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace onebit::importer;

namespace {

enum class ReduceKind { Sum, Mean, Max, Min, Prod, SumSquare };

Value combine(OpBuilder &b, Location loc, ReduceKind kind, Value acc,
              Value x) {
  bool isFloat = isa<FloatType>(x.getType());
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::Mean:
    return isFloat ? (Value)arith::AddFOp::create(b, loc, acc, x)
                   : (Value)arith::AddIOp::create(b, loc, acc, x);
  case ReduceKind::SumSquare: {
    Value sq = isFloat ? (Value)arith::MulFOp::create(b, loc, x, x)
                       : (Value)arith::MulIOp::create(b, loc, x, x);
    return isFloat ? (Value)arith::AddFOp::create(b, loc, acc, sq)
                   : (Value)arith::AddIOp::create(b, loc, acc, sq);
  }
  case ReduceKind::Max:
    return isFloat ? (Value)arith::MaximumFOp::create(b, loc, acc, x)
                   : (Value)arith::MaxSIOp::create(b, loc, acc, x);
  case ReduceKind::Min:
    return isFloat ? (Value)arith::MinimumFOp::create(b, loc, acc, x)
                   : (Value)arith::MinSIOp::create(b, loc, acc, x);
  case ReduceKind::Prod:
    return isFloat ? (Value)arith::MulFOp::create(b, loc, acc, x)
                   : (Value)arith::MulIOp::create(b, loc, acc, x);
  }
  llvm_unreachable("reduce kind");
}

StringRef initialKind(ReduceKind kind) {
  switch (kind) {
  case ReduceKind::Max:
    return "lowest";
  case ReduceKind::Min:
    return "highest";
  case ReduceKind::Prod:
    return "one";
  default:
    return "zero";
  }
}

/// `sum` / `count` elementwise: the mean from the sum of `count` elements.
Value divideByCount(NodeContext &ctx, Value sum, Value count) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type elementType = cast<RankedTensorType>(sum.getType()).getElementType();
  Value countInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  Value countValue = castScalar(b, loc, countInt, elementType);
  bool isFloat = isa<FloatType>(elementType);
  return buildElementwise(
      ctx, {sum}, elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return isFloat
                   ? (Value)arith::DivFOp::create(nb, nl, args[0], countValue)
                   : (Value)arith::DivSIOp::create(nb, nl, args[0], countValue);
      });
}

/// A reduction over axes known only at run time (ReduceSum's axes fed as a
/// graph input). One generic over the keepdims shape (size 1 where an axis
/// names the dim) with one reduction loop per dim, as long as the dim where
/// an axis names it and 1 elsewhere, reads x[i + r]: per dim exactly one of
/// i and r ranges over it. (An input of the loop sizes, never read, gives
/// linalg the reduction loops' extents.) keepdims=0 then reshapes to the
/// kept dims' sizes.
LogicalResult reduceOverRuntimeAxes(NodeContext &ctx, Value x, ReduceKind kind,
                                    bool keepDims) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  MLIRContext *context = ctx.context();
  auto type = cast<RankedTensorType>(x.getType());
  Type elementType = type.getElementType();
  int64_t rank = type.getRank();
  FailureOr<SmallVector<Value>> axes = runtimeAxisValues(ctx, 1, rank);
  if (failed(axes))
    return failure();
  Value one = indexConstant(b, loc, 1);
  SmallVector<Value> dims, reduced, outSizes, loopSizes;
  for (int64_t d = 0; d < rank; ++d) {
    dims.push_back(dimSize(b, loc, x, d));
    reduced.push_back(namesDim(b, loc, *axes, d));
    outSizes.push_back(
        b.createOrFold<arith::SelectOp>(loc, reduced[d], one, dims[d]));
    loopSizes.push_back(
        b.createOrFold<arith::SelectOp>(loc, reduced[d], dims[d], one));
  }
  SmallVector<Value> outDynamic, loopDynamic;
  SmallVector<int64_t> outShape = staticShapeOf(outSizes, outDynamic);
  SmallVector<int64_t> loopShape = staticShapeOf(loopSizes, loopDynamic);
  Value init =
      filledTensor(b, loc, outShape, elementType, outDynamic,
                   identityValue(b, loc, elementType, initialKind(kind)));
  Value extents = tensor::EmptyOp::create(b, loc, loopShape, b.getI8Type(),
                                          loopDynamic);
  SmallVector<AffineExpr> sums, kept, loops;
  for (int64_t d = 0; d < rank; ++d) {
    kept.push_back(getAffineDimExpr(d, context));
    loops.push_back(getAffineDimExpr(rank + d, context));
    sums.push_back(kept.back() + loops.back());
  }
  SmallVector<AffineMap> maps{AffineMap::get(2 * rank, 0, sums, context),
                              AffineMap::get(2 * rank, 0, loops, context),
                              AffineMap::get(2 * rank, 0, kept, context)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.append(rank, utils::IteratorType::reduction);
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{x, extents},
          ValueRange{init}, maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl, combine(nb, nl, kind, args[2], args[0]));
          })
          .getResult(0);
  if (kind == ReduceKind::Mean) {
    Value count = one;
    for (Value size : loopSizes)
      count = b.createOrFold<arith::MulIOp>(loc, count, size);
    result = divideByCount(ctx, result, count);
  }
  if (!keepDims) {
    int64_t resultRank = rank - (int64_t)axes->size();
    if (resultRank < 0)
      return ctx.fail("has more axes than the input has dims");
    SmallVector<Value> sizes = keptSizes(b, loc, dims, reduced, resultRank);
    SmallVector<int64_t> shape(resultRank, ShapedType::kDynamic);
    result = reshapeTo(b, loc, result, shape, sizes);
  }
  ctx.setOutput(0, result);
  return success();
}

/// Reduces `x` over the sorted, normalized `axes`.
Value reduce(NodeContext &ctx, Value x, ArrayRef<int64_t> axes,
             ReduceKind kind, bool keepDims) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  MLIRContext *context = ctx.context();
  auto type = cast<RankedTensorType>(x.getType());
  Type elementType = type.getElementType();
  int64_t rank = type.getRank();
  llvm::SmallDenseSet<int64_t> reduced(axes.begin(), axes.end());

  SmallVector<int64_t> outShape;
  SmallVector<Value> dynSizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    if (reduced.count(i)) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    outShape.push_back(type.getDimSize(i));
    outExprs.push_back(getAffineDimExpr(i, context));
    if (type.isDynamicDim(i))
      dynSizes.push_back(tensor::DimOp::create(b, loc, x, i));
  }
  Value init =
      filledTensor(b, loc, outShape, elementType, dynSizes,
                   identityValue(b, loc, elementType, initialKind(kind)));
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, context),
                              AffineMap::get(rank, 0, outExprs, context)};
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
          maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl, combine(nb, nl, kind, args[1], args[0]));
          })
          .getResult(0);

  if (kind == ReduceKind::Mean) {
    // Divide by the number of reduced elements (known or computed).
    Value count = indexConstant(b, loc, 1);
    for (int64_t axis : axes)
      count = b.createOrFold<arith::MulIOp>(loc, count,
                                            dimSize(b, loc, x, axis));
    result = divideByCount(ctx, result, count);
  }
  if (!keepDims)
    return result;

  // Expand back to rank `rank`, size 1 at each reduced axis: each kept dim
  // takes the reduced dims after it (and the leading ones go to the first).
  SmallVector<int64_t> keptShape;
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i < rank; ++i) {
    keptShape.push_back(reduced.count(i) ? 1 : type.getDimSize(i));
    if (!reduced.count(i) || groups.empty())
      groups.emplace_back();
    groups.back().push_back(i);
  }
  if (outShape.empty())
    groups.clear();
  else if (reduced.count(0) && !groups.empty() && groups.size() > 1 &&
           llvm::all_of(groups.front(),
                        [&](int64_t i) { return reduced.count(i) != 0; })) {
    // The first group holds only reduced dims: merge it into the next one.
    ReassociationIndices first = groups.front();
    groups.erase(groups.begin());
    groups.front().insert(groups.front().begin(), first.begin(), first.end());
  }
  auto keptType = RankedTensorType::get(keptShape, elementType);
  return tensor::ExpandShapeOp::create(b, loc, keptType, result, groups);
}

/// The normalized, sorted, unique axes to reduce over, from the attribute
/// (older opsets) or the optional second input; empty means "do nothing"
/// only when noop_with_empty_axes is set.
FailureOr<SmallVector<int64_t>> reductionAxes(NodeContext &ctx, int64_t rank,
                                              bool axesAsInput) {
  std::optional<SmallVector<int64_t>> axes;
  if (axesAsInput) {
    // A run-time axes input of static length 0 is known to be empty.
    RankedTensorType axesType = ctx.hasInput(1) ? ctx.inputType(1)
                                                : RankedTensorType();
    if (axesType && axesType.getRank() == 1 && axesType.getDimSize(0) == 0)
      axes = SmallVector<int64_t>();
    else if (ctx.hasInput(1)) {
      axes = ctx.constantInts(1);
      if (!axes)
        return ctx.fail("axes must be a constant");
    }
  } else {
    axes = ctx.intsAttr("axes");
  }
  SmallVector<int64_t> result;
  if (!axes || axes->empty()) {
    if (ctx.intAttr("noop_with_empty_axes", 0))
      return result;
    for (int64_t i = 0; i < rank; ++i)
      result.push_back(i);
    return result;
  }
  for (int64_t axis : *axes) {
    FailureOr<int64_t> a = ctx.normalizeAxis(axis, rank, "axes entry");
    if (failed(a))
      return failure();
    result.push_back(*a);
  }
  llvm::sort(result);
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

template <ReduceKind Kind> LogicalResult convertReduce(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  // ReduceSum took axes as an input at opset 13, the others at 18.
  bool axesAsInput = ctx.opset >= (Kind == ReduceKind::Sum ? 13 : 18);
  bool keepDims = ctx.intAttr("keepdims", 1) != 0;
  if (axesAsInput && ctx.hasInput(1) && !ctx.constantInts(1)) {
    RankedTensorType axesType = ctx.inputType(1);
    if (axesType.getRank() != 1 || axesType.getDimSize(0) != 0)
      return reduceOverRuntimeAxes(ctx, x, Kind, keepDims);
  }
  FailureOr<SmallVector<int64_t>> axes = reductionAxes(ctx, rank, axesAsInput);
  if (failed(axes))
    return failure();
  if (axes->empty()) {
    ctx.setOutput(0, x);
    return success();
  }
  Value result = reduce(ctx, x, *axes, Kind, keepDims);
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

template <bool Log> LogicalResult convertSoftmax(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  Type t = type.getElementType();
  if (!isa<FloatType>(t))
    return ctx.fail("input must be float");
  int64_t rank = type.getRank();
  int64_t axisAttr = ctx.intAttr("axis", ctx.opset >= 13 ? -1 : 1);
  FailureOr<int64_t> axis = ctx.normalizeAxis(axisAttr, rank);
  if (failed(axis))
    return failure();
  // Before opset 13 Softmax flattened to 2-d at `axis`; that agrees with
  // the per-axis form only for the last axis.
  if (ctx.opset < 13 && *axis != rank - 1)
    return ctx.fail("only the last axis is supported before opset 13");

  Value max = reduce(ctx, x, {*axis}, ReduceKind::Max, /*keepDims=*/true);
  Value shifted = buildElementwise(
      ctx, {x, max}, t, [&](OpBuilder &b, Location loc, ValueRange args) {
        return arith::SubFOp::create(b, loc, args[0], args[1]);
      });
  Value exp = buildElementwise(
      ctx, {shifted}, t, [&](OpBuilder &b, Location loc, ValueRange args) {
        return math::ExpOp::create(b, loc, args[0]);
      });
  Value sum = reduce(ctx, exp, {*axis}, ReduceKind::Sum, /*keepDims=*/true);
  Value result;
  if (Log)
    result = buildElementwise(
        ctx, {shifted, sum}, t,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value logSum = math::LogOp::create(b, loc, args[1]);
          return arith::SubFOp::create(b, loc, args[0], logSum);
        });
  else
    result = buildElementwise(
        ctx, {exp, sum}, t, [&](OpBuilder &b, Location loc, ValueRange args) {
          return arith::DivFOp::create(b, loc, args[0], args[1]);
        });
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

/// LayerNormalization (opset 17): normalizes over dims [axis, rank).
LogicalResult convertLayerNormalization(NodeContext &ctx) {
  Value x = ctx.requiredInput(0), scale = ctx.requiredInput(1);
  if (!x || !scale)
    return failure();
  Value bias = ctx.input(2);
  auto type = cast<RankedTensorType>(x.getType());
  Type t = type.getElementType();
  if (!isa<FloatType>(t))
    return ctx.fail("input must be float");
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  double epsilon = ctx.floatAttr("epsilon", 1e-5f);
  if (epsilon < 0)
    return ctx.fail("epsilon must be non-negative");
  SmallVector<int64_t> axes;
  for (int64_t i = *axis; i < rank; ++i)
    axes.push_back(i);

  Value mean = reduce(ctx, x, axes, ReduceKind::Mean, /*keepDims=*/true);
  Value centered = buildElementwise(
      ctx, {x, mean}, t, [&](OpBuilder &b, Location loc, ValueRange args) {
        return arith::SubFOp::create(b, loc, args[0], args[1]);
      });
  if (!centered)
    return failure();
  Value var = reduce(ctx, centered, axes, ReduceKind::SumSquare, true);
  // SumSquare then divide: the mean of squares.
  {
    Value count = indexConstant(ctx.b, ctx.loc, 1);
    for (int64_t a : axes)
      count = ctx.b.createOrFold<arith::MulIOp>(
          ctx.loc, count, dimSize(ctx.b, ctx.loc, x, a));
    Value countValue = castScalar(
        ctx.b, ctx.loc,
        arith::IndexCastOp::create(ctx.b, ctx.loc, ctx.b.getI64Type(), count),
        t);
    var = buildElementwise(ctx, {var}, t,
                           [&](OpBuilder &b, Location loc, ValueRange args) {
                             return arith::DivFOp::create(b, loc, args[0],
                                                          countValue);
                           });
  }
  Value invStdDev = buildElementwise(
      ctx, {var}, t, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value eps = scalarConstant(b, loc, t, epsilon);
        Value sum = arith::AddFOp::create(b, loc, args[0], eps);
        return math::RsqrtOp::create(b, loc, sum);
      });
  SmallVector<Value> operands{centered, invStdDev, scale};
  if (bias)
    operands.push_back(bias);
  Value result = buildElementwise(
      ctx, operands, t, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value normalized = arith::MulFOp::create(b, loc, args[0], args[1]);
        Value scaled = arith::MulFOp::create(b, loc, normalized, args[2]);
        if (args.size() == 4)
          return (Value)arith::AddFOp::create(b, loc, scaled, args[3]);
        return scaled;
      });
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  ctx.setOutput(1, mean);
  ctx.setOutput(2, invStdDev);
  return success();
}

} // namespace

void onebit::importer::registerReductionOps(OpRegistry &r) {
  r.add("ReduceSum", convertReduce<ReduceKind::Sum>);
  r.add("ReduceMean", convertReduce<ReduceKind::Mean>);
  r.add("ReduceMax", convertReduce<ReduceKind::Max>);
  r.add("ReduceMin", convertReduce<ReduceKind::Min>);
  r.add("ReduceProd", convertReduce<ReduceKind::Prod>);
  r.add("ReduceSumSquare", convertReduce<ReduceKind::SumSquare>);
  r.add("Softmax", convertSoftmax<false>);
  r.add("LogSoftmax", convertSoftmax<true>);
  r.add("LayerNormalization", convertLayerNormalization);
}
