//===- Shapes.cpp - Shape computation and data movement -------------------===//
//
// Shape, Reshape, Flatten, Squeeze, Unsqueeze, Expand, Tile, Transpose, Concat,
// Slice, Split, Range, Trilu, Constant and ConstantOfShape.
//
// The exporters compute shapes in the graph (Shape -> Gather -> Concat ->
// Reshape ...). Each op here carries the elements of small integer tensors
// it can work out at import time (KnownInts): with static input shapes (from
// the model or --input-shape) every such subgraph folds to constants, and
// with dynamic ones the unknown elements are computed at run time from
// tensor.dim and friends, while the known ones still give static result dims.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"

#include <climits>

using namespace mlir;
using namespace onebit::importer;

namespace {

/// A 1-d i64 tensor of the index values `sizes`.
Value shapeVector(OpBuilder &b, Location loc, ArrayRef<Value> sizes) {
  SmallVector<Value> elements;
  for (Value v : sizes)
    elements.push_back(fromIndex(b, loc, v, b.getI64Type()));
  auto type = RankedTensorType::get({(int64_t)sizes.size()}, b.getI64Type());
  return tensor::FromElementsOp::create(b, loc, type, elements);
}

/// Groups for collapsing away (or expanding in) the size-1 dims `unitDims`
/// of a rank-`rank` shape: each other dim takes the unit dims after it, the
/// leading ones go to the first. Empty when every dim is a unit dim.
SmallVector<ReassociationIndices> unitDimGroups(int64_t rank,
                                                ArrayRef<bool> unitDims) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices leading;
  for (int64_t i = 0; i < rank; ++i) {
    if (unitDims[i]) {
      if (groups.empty())
        leading.push_back(i);
      else
        groups.back().push_back(i);
      continue;
    }
    groups.emplace_back(leading.begin(), leading.end());
    leading.clear();
    groups.back().push_back(i);
  }
  return groups;
}

/// Axes from the input (newer opsets) or the attribute (older ones).
std::optional<SmallVector<int64_t>> axesOperand(NodeContext &ctx,
                                                int64_t inputSinceOpset,
                                                bool &error) {
  error = false;
  if (ctx.opset >= inputSinceOpset) {
    if (!ctx.hasInput(1))
      return std::nullopt;
    std::optional<SmallVector<int64_t>> axes = ctx.constantInts(1);
    if (!axes) {
      ctx.emitError() << "axes must be a constant";
      error = true;
    }
    return axes;
  }
  return ctx.intsAttr("axes");
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

LogicalResult setConstant(NodeContext &ctx, ElementsAttr attr) {
  Value v = arith::ConstantOp::create(ctx.b, ctx.loc, cast<TypedAttr>(attr));
  if (std::optional<KnownInts> known = knownFromAttr(attr))
    ctx.graph.setKnown(v, *known);
  ctx.setOutput(0, v);
  return success();
}

LogicalResult convertConstant(NodeContext &ctx) {
  if (ctx.node.attribute_size() != 1)
    return ctx.fail("needs exactly one value attribute");
  const onnx::AttributeProto &a = ctx.node.attribute(0);
  OpBuilder &b = ctx.b;
  StringRef name = a.name();
  if (name == "value") {
    ctx.graph.constantTensors.push_back(a.t());
    onnx::TensorProto &tensor = ctx.graph.constantTensors.back();
    if (tensor.name().empty())
      tensor.set_name(ctx.outputName(0).str());
    ElementsAttr attr = ctx.graph.weights.read(tensor, ctx.loc);
    return attr ? setConstant(ctx, attr) : failure();
  }
  if (name == "value_float")
    return setConstant(ctx, DenseElementsAttr::get(
                                RankedTensorType::get({}, b.getF32Type()),
                                a.f()));
  if (name == "value_floats") {
    SmallVector<float> values(a.floats().begin(), a.floats().end());
    return setConstant(
        ctx, DenseElementsAttr::get(
                 RankedTensorType::get({(int64_t)values.size()},
                                       b.getF32Type()),
                 ArrayRef<float>(values)));
  }
  if (name == "value_int")
    return setConstant(ctx, DenseElementsAttr::get(
                                RankedTensorType::get({}, b.getI64Type()),
                                (int64_t)a.i()));
  if (name == "value_ints") {
    SmallVector<int64_t> values(a.ints().begin(), a.ints().end());
    return setConstant(
        ctx, DenseElementsAttr::get(
                 RankedTensorType::get({(int64_t)values.size()},
                                       b.getI64Type()),
                 ArrayRef<int64_t>(values)));
  }
  return ctx.fail("unsupported attribute '" + name + "'");
}

LogicalResult convertConstantOfShape(NodeContext &ctx) {
  Value shapeInput = ctx.requiredInput(0);
  if (!shapeInput)
    return failure();
  auto shapeType = cast<RankedTensorType>(shapeInput.getType());
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return ctx.fail("shape must be a 1-d tensor of static length");
  // The fill value: a one-element tensor, float 0 by default.
  Attribute fill = ctx.b.getF32FloatAttr(0.0f);
  Type elementType = ctx.b.getF32Type();
  if (const onnx::AttributeProto *value = ctx.attr("value")) {
    ctx.graph.constantTensors.push_back(value->t());
    ElementsAttr attr =
        ctx.graph.weights.read(ctx.graph.constantTensors.back(), ctx.loc);
    if (!attr)
      return failure();
    if (attr.getNumElements() != 1)
      return ctx.fail("value must have exactly one element");
    elementType = attr.getElementType();
    fill = *attr.getValues<Attribute>().begin();
  }
  int64_t rank = shapeType.getDimSize(0);
  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  for (int64_t i = 0; i < rank; ++i) {
    const KnownInts *known = ctx.known(0);
    if (known && (*known)[i]) {
      if (*(*known)[i] < 0)
        return ctx.fail("shape has negative dim " +
                        std::to_string(*(*known)[i]));
      shape.push_back(*(*known)[i]);
    } else {
      shape.push_back(ShapedType::kDynamic);
      dynSizes.push_back(extractIndex(ctx, 0, i));
    }
  }
  auto type = RankedTensorType::get(shape, elementType);
  if (dynSizes.empty()) {
    auto attr = DenseElementsAttr::get(type, fill);
    return setConstant(ctx, attr);
  }
  Value scalar =
      arith::ConstantOp::create(ctx.b, ctx.loc, cast<TypedAttr>(fill));
  ctx.setOutput(0, filledTensor(ctx.b, ctx.loc, shape, elementType, dynSizes,
                                scalar));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape and Size
//===----------------------------------------------------------------------===//

LogicalResult convertShape(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  // start/end (opset 15) slice the shape, clamped like Slice.
  int64_t start = ctx.intAttr("start", 0), end = ctx.intAttr("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  KnownInts known;
  for (int64_t i = start; i < end; ++i)
    known.push_back(type.isDynamicDim(i) ? std::nullopt
                                         : std::optional(type.getDimSize(i)));
  SmallVector<Value> sizes;
  if (failed(ctx.setKnownOutput(0, known, {end - start}, ctx.b.getI64Type(),
                                [&] {
                                  for (int64_t i = start; i < end; ++i)
                                    sizes.push_back(
                                        dimSize(ctx.b, ctx.loc, x, i));
                                  return shapeVector(ctx.b, ctx.loc, sizes);
                                })))
    return failure();
  if (!sizes.empty())
    ctx.graph.setElements(ctx.graph.lookup(ctx.outputName(0), ctx.loc),
                          sizes);
  return success();
}

LogicalResult convertSize(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  KnownInts known{type.hasStaticShape() ? std::optional(type.getNumElements())
                                        : std::nullopt};
  return ctx.setKnownOutput(0, known, {}, ctx.b.getI64Type(), [&]() -> Value {
    Value count = indexConstant(ctx.b, ctx.loc, 1);
    for (int64_t i = 0; i < type.getRank(); ++i)
      count = arith::MulIOp::create(ctx.b, ctx.loc, count,
                                    dimSize(ctx.b, ctx.loc, x, i));
    Value n = fromIndex(ctx.b, ctx.loc, count, ctx.b.getI64Type());
    return tensor::FromElementsOp::create(
        ctx.b, ctx.loc, RankedTensorType::get({}, ctx.b.getI64Type()),
        ValueRange{n});
  });
}

//===----------------------------------------------------------------------===//
// Reshape, Flatten, Squeeze, Unsqueeze
//===----------------------------------------------------------------------===//

/// Known elements pass through a reshape of a small integer tensor.
void forwardKnown(NodeContext &ctx, Value from, Value to) {
  if (const KnownInts *k = ctx.graph.known(from)) {
    auto type = cast<RankedTensorType>(to.getType());
    if (type.getRank() <= 1 && type.hasStaticShape() &&
        type.getNumElements() == (int64_t)k->size())
      ctx.graph.setKnown(to, KnownInts(*k));
  }
  ArrayRef<Value> elements = ctx.graph.elements(from);
  auto type = cast<RankedTensorType>(to.getType());
  if (!elements.empty() && type.getRank() <= 1 && type.hasStaticShape() &&
      type.getNumElements() == (int64_t)elements.size())
    ctx.graph.setElements(to, SmallVector<Value>(elements));
}

/// Whether a run-time size is certainly >= 0: built from tensor.dim and
/// non-negative constants by the arithmetic of the exporters' shape
/// subgraphs. Such a size cannot be Reshape's -1.
bool isNonNegative(Value v, int depth = 0) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return *c >= 0;
  Operation *op = v.getDefiningOp();
  if (!op || depth > 8)
    return false;
  if (isa<tensor::DimOp>(op))
    return true;
  if (isa<arith::IndexCastOp, arith::AddIOp, arith::MulIOp, arith::DivUIOp,
          arith::DivSIOp, arith::CeilDivSIOp, arith::FloorDivSIOp,
          arith::MinSIOp, arith::MaxSIOp>(op))
    return llvm::all_of(op->getOperands(), [&](Value operand) {
      return isNonNegative(operand, depth + 1);
    });
  if (auto select = dyn_cast<arith::SelectOp>(op))
    return isNonNegative(select.getTrueValue(), depth + 1) &&
           isNonNegative(select.getFalseValue(), depth + 1);
  return false;
}

/// A reshape that only merges or splits neighbouring dims, built as
/// tensor.collapse_shape or tensor.expand_shape. Unlike a tensor.reshape with
/// run-time sizes, those fold into the generics around them: the K and V
/// that grouped-query attention repeats per head ([B, Hkv, 1, T, D] broadcast
/// to [B, Hkv, n, T, D], then reshaped to [B, Hkv * n, T, D]) were otherwise
/// copied and transposed in full for every generated token. Where a group of
/// dims has a run-time size, that its sizes multiply to the new dim's is
/// checked at run time: run-time sizes that regroup the data otherwise (a
/// batch folded into a sequence dim, say) stop the run with an error rather
/// than take the slow path. Returns null where the static dims allow no such
/// grouping, or the rank stays (that is left to tensor.reshape).
Value reshapeByRegrouping(NodeContext &ctx, Value x, ArrayRef<int64_t> shape,
                          ArrayRef<Value> sizes) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank(), newRank = shape.size();
  if (rank == newRank || rank == 0 || newRank == 0)
    return {};
  bool collapse = rank > newRank;
  ArrayRef<int64_t> wide = collapse ? type.getShape() : shape;
  ArrayRef<int64_t> narrow = collapse ? shape : type.getShape();
  std::optional<SmallVector<ReassociationIndices>> groups =
      getReassociationIndicesForCollapse(wide, narrow);
  if (!groups)
    return {};
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  SmallVector<Value> inputSizes;
  for (int64_t i = 0; i < rank; ++i)
    inputSizes.push_back(dimSize(b, loc, x, i));
  ArrayRef<Value> wideSizes = collapse ? ArrayRef<Value>(inputSizes) : sizes;
  ArrayRef<Value> narrowSizes = collapse ? sizes : ArrayRef<Value>(inputSizes);
  for (auto [j, group] : llvm::enumerate(*groups)) {
    Value product = indexConstant(b, loc, 1);
    for (int64_t i : group)
      product = b.createOrFold<arith::MulIOp>(loc, product, wideSizes[i]);
    Value holds = b.createOrFold<arith::CmpIOp>(
        loc, arith::CmpIPredicate::eq, product, narrowSizes[j]);
    if (matchPattern(holds, m_One()))
      continue;
    std::string dims;
    for (int64_t i : group)
      dims += (dims.empty() ? "" : ", ") + std::to_string(i);
    std::string narrowDim = std::to_string(j);
    std::string what =
        group.size() == 1
            ? "dimension " + (collapse ? narrowDim : dims) +
                  " of the new shape differs from dimension " +
                  (collapse ? dims : narrowDim)
        : collapse ? "dimension " + narrowDim +
                         " of the new shape is not the product of "
                         "dimensions " + dims
                   : "dimensions " + dims +
                         " of the new shape do not multiply to dimension " +
                         narrowDim;
    ctx.checkAtRunTime(holds,
                       what + " of '" + ctx.inputName(0) +
                           "' (onebit reshapes run-time sizes only by "
                           "merging or splitting neighbouring dimensions)",
                       fromIndex(b, loc, collapse ? narrowSizes[j] : product,
                                 b.getI64Type()));
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (!collapse) {
    SmallVector<OpFoldResult> outputShape;
    for (auto [d, size] : llvm::zip(shape, sizes))
      outputShape.push_back(ShapedType::isDynamic(d) ? OpFoldResult(size)
                                                     : b.getIndexAttr(d));
    return tensor::ExpandShapeOp::create(b, loc, resultType, x, *groups,
                                         outputShape);
  }
  // The collapsed type follows from the input's dims; the declared one may
  // know less (a run-time size over static dims) or more (a size the shape
  // input fixes), which the check above has made agree.
  Value collapsed = tensor::CollapseShapeOp::create(b, loc, x, *groups);
  if (collapsed.getType() == resultType)
    return collapsed;
  return tensor::CastOp::create(b, loc, resultType, collapsed);
}

LogicalResult convertReshape(NodeContext &ctx) {
  Value x = ctx.requiredInput(0), shapeInput = ctx.requiredInput(1);
  if (!x || !shapeInput)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  auto shapeType = cast<RankedTensorType>(shapeInput.getType());
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return ctx.fail("shape must be a 1-d tensor of static length");
  bool allowZero = ctx.intAttr("allowzero", 0) != 0;
  int64_t rank = shapeType.getDimSize(0);
  const KnownInts *known = ctx.known(1);
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;

  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  SmallVector<Value> sizes(rank);
  int64_t inferred = -1;
  for (int64_t i = 0; i < rank; ++i) {
    std::optional<int64_t> v = known ? (*known)[i] : std::nullopt;
    if (v && *v == -1) {
      if (inferred >= 0)
        return ctx.fail("shape has more than one -1");
      inferred = i;
      continue;
    }
    if (v && *v == 0 && !allowZero) {
      if (i >= type.getRank())
        return ctx.fail("shape copies dim " + std::to_string(i) +
                        " (0) but the input has rank " +
                        std::to_string(type.getRank()));
      shape[i] = type.getDimSize(i);
      sizes[i] = dimSize(b, loc, x, i);
      continue;
    }
    if (v) {
      if (*v < 0)
        return ctx.fail("shape has invalid dim " + std::to_string(*v));
      shape[i] = *v;
      sizes[i] = indexConstant(b, loc, *v);
      continue;
    }
    // Computed at run time; a 0 there still means "copy the input dim".
    Value size = extractIndex(ctx, 1, i);
    if (!allowZero && i < type.getRank()) {
      Value zero = indexConstant(b, loc, 0);
      Value dim = dimSize(b, loc, x, i);
      if (dim != size) {
        Value isZero = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::eq, size, zero);
        size = arith::SelectOp::create(b, loc, isZero, dim, size);
      }
    }
    sizes[i] = size;
  }
  if (inferred >= 0) {
    int64_t knownProduct = 1;
    bool staticOthers = true;
    Value product = indexConstant(b, loc, 1);
    for (int64_t i = 0; i < rank; ++i) {
      if (i == inferred)
        continue;
      if (ShapedType::isDynamic(shape[i]))
        staticOthers = false;
      else
        knownProduct *= shape[i];
      product = b.createOrFold<arith::MulIOp>(loc, product, sizes[i]);
    }
    if (type.hasStaticShape() && staticOthers) {
      if (knownProduct == 0 || type.getNumElements() % knownProduct != 0)
        return ctx.fail("cannot reshape " + std::to_string(type.getNumElements()) +
                        " elements of '" + ctx.inputName(0).str() +
                        "' with -1 and the other dims multiplying to " +
                        std::to_string(knownProduct));
      shape[inferred] = type.getNumElements() / knownProduct;
      sizes[inferred] = indexConstant(b, loc, shape[inferred]);
    } else {
      // ONNX leaves the -1 undefined when another dim is 0 ([B, S, -1] of
      // [B, S, 4, 16] with S = 0): then it is inferred from the sizes with
      // their zeros left out (4 * 16 here), which keeps the dims the model
      // declares static; the run-time reshape check rejects what this makes
      // inconsistent. Otherwise it is the element count over the other
      // sizes (0 for an empty input). A product of 0 never divides.
      Value zero = indexConstant(b, loc, 0);
      Value one = indexConstant(b, loc, 1);
      auto zeroAsOne = [&](Value size) -> Value {
        Value isZero = b.createOrFold<arith::CmpIOp>(
            loc, arith::CmpIPredicate::eq, size, zero);
        return b.createOrFold<arith::SelectOp>(loc, isZero, one, size);
      };
      Value total = one, nonZeroTotal = one, nonZeroProduct = one;
      for (int64_t i = 0; i < type.getRank(); ++i) {
        Value dim = dimSize(b, loc, x, i);
        total = b.createOrFold<arith::MulIOp>(loc, total, dim);
        nonZeroTotal =
            b.createOrFold<arith::MulIOp>(loc, nonZeroTotal, zeroAsOne(dim));
      }
      for (int64_t i = 0; i < rank; ++i)
        if (i != inferred)
          nonZeroProduct = b.createOrFold<arith::MulIOp>(
              loc, nonZeroProduct, zeroAsOne(sizes[i]));
      Value divisor = b.createOrFold<arith::MaxUIOp>(loc, product, one);
      Value fromElements =
          b.createOrFold<arith::DivUIOp>(loc, total, divisor);
      Value fromNonZero =
          b.createOrFold<arith::DivUIOp>(loc, nonZeroTotal, nonZeroProduct);
      Value ambiguous = b.createOrFold<arith::CmpIOp>(
          loc, arith::CmpIPredicate::eq, product, zero);
      sizes[inferred] = b.createOrFold<arith::SelectOp>(
          loc, ambiguous, fromNonZero, fromElements);
    }
  } else if (llvm::any_of(sizes, [](Value v) { return !isNonNegative(v); })) {
    // Without a known -1, an element computed at run time may be the -1
    // (unless it is built from dims, as the exporters' shapes are): there it
    // becomes the input's element count over the product of the other sizes
    // (a product of 0 divides by 1 instead of trapping; ONNX leaves that
    // case undefined).
    Value one = indexConstant(b, loc, 1);
    Value minusOne = indexConstant(b, loc, -1);
    Value product = one;
    SmallVector<Value> isMinusOne(rank);
    for (int64_t i = 0; i < rank; ++i) {
      Value factor = sizes[i];
      if (!isNonNegative(sizes[i])) {
        isMinusOne[i] = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::eq, sizes[i], minusOne);
        factor = arith::SelectOp::create(b, loc, isMinusOne[i], one, factor);
      }
      product = b.createOrFold<arith::MulIOp>(loc, product, factor);
    }
    Value total = one;
    for (int64_t i = 0; i < type.getRank(); ++i)
      total = b.createOrFold<arith::MulIOp>(loc, total, dimSize(b, loc, x, i));
    Value divisor = arith::MaxSIOp::create(b, loc, product, one);
    Value inferredSize = arith::DivSIOp::create(b, loc, total, divisor);
    for (int64_t i = 0; i < rank; ++i)
      if (isMinusOne[i])
        sizes[i] = arith::SelectOp::create(b, loc, isMinusOne[i], inferredSize,
                                           sizes[i]);
  }
  if (type.hasStaticShape() && llvm::none_of(shape, ShapedType::isDynamic)) {
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    if (count != type.getNumElements())
      return ctx.fail("cannot reshape '" + ctx.inputName(0).str() + "' of " +
                      std::to_string(type.getNumElements()) +
                      " elements to " + std::to_string(count));
  }
  Value result = reshapeByRegrouping(ctx, x, shape, sizes);
  if (!result)
    result = reshapeTo(b, loc, x, shape, sizes);
  forwardKnown(ctx, x, result);
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertFlatten(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t axis = ctx.intAttr("axis", 1);
  if (axis < -rank || axis > rank)
    return ctx.fail("axis " + std::to_string(axis) +
                    " is out of range for rank " + std::to_string(rank));
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t> shape(2, 1);
  SmallVector<Value> sizes(2, indexConstant(ctx.b, ctx.loc, 1));
  for (int64_t i = 0; i < rank; ++i) {
    int64_t j = i < axis ? 0 : 1;
    int64_t d = type.getDimSize(i);
    shape[j] = ShapedType::isDynamic(d) || ShapedType::isDynamic(shape[j])
                   ? ShapedType::kDynamic
                   : shape[j] * d;
    sizes[j] = ctx.b.createOrFold<arith::MulIOp>(
        ctx.loc, sizes[j], dimSize(ctx.b, ctx.loc, x, i));
  }
  ctx.setOutput(0, reshapeTo(ctx.b, ctx.loc, x, shape, sizes));
  return success();
}

/// Whether axes come as an input (opset 13 on) whose values are known only
/// at run time.
bool runtimeAxes(NodeContext &ctx) {
  return ctx.opset >= 13 && ctx.hasInput(1) && !ctx.constantInts(1);
}

/// Squeeze and Unsqueeze with run-time axes: the result's rank is known
/// from the number of axes, which dims go or come is not, so the data (whose
/// order neither op changes) is reshaped to sizes worked out at run time.
LogicalResult squeezeAtRuntime(NodeContext &ctx, Value x) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  FailureOr<SmallVector<Value>> axes = runtimeAxisValues(ctx, 1, rank);
  if (failed(axes))
    return failure();
  int64_t resultRank = rank - (int64_t)axes->size();
  if (resultRank < 0)
    return ctx.fail("has more axes than the input has dims");
  SmallVector<Value> dims, squeezed;
  for (int64_t i = 0; i < rank; ++i) {
    dims.push_back(dimSize(b, loc, x, i));
    squeezed.push_back(namesDim(b, loc, *axes, i));
  }
  SmallVector<Value> sizes = keptSizes(b, loc, dims, squeezed, resultRank);
  SmallVector<int64_t> shape(resultRank, ShapedType::kDynamic);
  ctx.setOutput(0, reshapeTo(b, loc, x, shape, sizes));
  return success();
}

LogicalResult unsqueezeAtRuntime(NodeContext &ctx, Value x) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  RankedTensorType axesType = ctx.inputType(1);
  int64_t resultRank =
      rank + (axesType.getRank() == 1 ? axesType.getDimSize(0) : 0);
  FailureOr<SmallVector<Value>> axes = runtimeAxisValues(ctx, 1, resultRank);
  if (failed(axes))
    return failure();
  // Result dim k is a new 1 or the next input dim not yet used.
  SmallVector<Value> sizes;
  Value used = indexConstant(b, loc, 0);
  Value one = indexConstant(b, loc, 1);
  for (int64_t k = 0; k < resultRank; ++k) {
    Value inserted = namesDim(b, loc, *axes, k);
    if (rank == 0) {
      sizes.push_back(one);
      continue;
    }
    // Clamped so that tensor.dim stays in range where the dim is a new 1.
    Value index = b.createOrFold<arith::MinSIOp>(
        loc, used, indexConstant(b, loc, rank - 1));
    Value dim = tensor::DimOp::create(b, loc, x, index);
    sizes.push_back(b.createOrFold<arith::SelectOp>(loc, inserted, one, dim));
    used = b.createOrFold<arith::AddIOp>(
        loc, used,
        b.createOrFold<arith::SelectOp>(loc, inserted,
                                        indexConstant(b, loc, 0), one));
  }
  SmallVector<int64_t> shape(resultRank, ShapedType::kDynamic);
  ctx.setOutput(0, reshapeTo(b, loc, x, shape, sizes));
  return success();
}

LogicalResult convertSqueeze(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  if (runtimeAxes(ctx))
    return squeezeAtRuntime(ctx, x);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  bool error;
  std::optional<SmallVector<int64_t>> axes = axesOperand(ctx, 13, error);
  if (error)
    return failure();
  SmallVector<bool> squeezed(rank, false);
  if (axes) {
    for (int64_t axis : *axes) {
      FailureOr<int64_t> a = ctx.normalizeAxis(axis, rank, "axes entry");
      if (failed(a))
        return failure();
      if (!type.isDynamicDim(*a) && type.getDimSize(*a) != 1)
        return ctx.fail("cannot squeeze dim " + std::to_string(*a) +
                        " of size " + std::to_string(type.getDimSize(*a)));
      squeezed[*a] = true;
    }
  } else {
    // Without axes every size-1 dim goes; only static ones are known to be.
    for (int64_t i = 0; i < rank; ++i)
      squeezed[i] = type.getDimSize(i) == 1;
  }
  // A squeezed dynamic dim is 1 at run time; say so in the type first.
  SmallVector<int64_t> castShape(type.getShape());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (squeezed[i])
      castShape[i] = 1;
    else
      shape.push_back(type.getDimSize(i));
  }
  Value source = x;
  if (castShape != type.getShape())
    source = tensor::CastOp::create(
        ctx.b, ctx.loc, RankedTensorType::get(castShape, type.getElementType()),
        x);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value result = source;
  if (resultType != type)
    result = tensor::CollapseShapeOp::create(ctx.b, ctx.loc, resultType,
                                             source,
                                             unitDimGroups(rank, squeezed));
  forwardKnown(ctx, x, result);
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertUnsqueeze(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  if (runtimeAxes(ctx))
    return unsqueezeAtRuntime(ctx, x);
  auto type = cast<RankedTensorType>(x.getType());
  bool error;
  std::optional<SmallVector<int64_t>> axes = axesOperand(ctx, 13, error);
  if (error)
    return failure();
  if (!axes)
    return ctx.fail("missing axes");
  int64_t rank = type.getRank() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : *axes) {
    FailureOr<int64_t> a = ctx.normalizeAxis(axis, rank, "axes entry");
    if (failed(a))
      return failure();
    if (inserted[*a])
      return ctx.fail("axes has " + std::to_string(axis) + " twice");
    inserted[*a] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0, j = 0; i < rank; ++i)
    shape.push_back(inserted[i] ? 1 : type.getDimSize(j++));
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value result = tensor::ExpandShapeOp::create(ctx.b, ctx.loc, resultType, x,
                                               unitDimGroups(rank, inserted));
  forwardKnown(ctx, x, result);
  ctx.setOutput(0, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Expand, Transpose, Concat
//===----------------------------------------------------------------------===//

LogicalResult convertExpand(NodeContext &ctx) {
  Value x = ctx.requiredInput(0), shapeInput = ctx.requiredInput(1);
  if (!x || !shapeInput)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  auto shapeType = cast<RankedTensorType>(shapeInput.getType());
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return ctx.fail("shape must be a 1-d tensor of static length");
  int64_t shapeRank = shapeType.getDimSize(0);
  int64_t rank = std::max<int64_t>(type.getRank(), shapeRank);
  const KnownInts *known = ctx.known(1);
  MLIRContext *context = ctx.context();

  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t xi = i - (rank - type.getRank());
    int64_t si = i - (rank - shapeRank);
    int64_t d = xi >= 0 ? type.getDimSize(xi) : 1;
    std::optional<int64_t> s;
    bool hasS = si >= 0;
    if (hasS && known)
      s = (*known)[si];
    int64_t out;
    Value dynSize;
    if (!hasS || (s && *s == 1)) {
      out = d;
      if (ShapedType::isDynamic(d))
        dynSize = tensor::DimOp::create(ctx.b, ctx.loc, x, xi);
    } else if (s) {
      if (d != 1 && !ShapedType::isDynamic(d) && d != *s)
        return ctx.fail("cannot expand dim " + std::to_string(xi) +
                        " of size " + std::to_string(d) + " to " +
                        std::to_string(*s));
      out = *s;
    } else if (d == 1) {
      out = ShapedType::kDynamic;
      dynSize = extractIndex(ctx, 1, si);
    } else {
      // Unknown target against a non-1 dim: the dim wins (the target must
      // be 1 or equal to it).
      out = d;
      if (ShapedType::isDynamic(d))
        dynSize = tensor::DimOp::create(ctx.b, ctx.loc, x, xi);
    }
    shape.push_back(out);
    if (ShapedType::isDynamic(out))
      dynSizes.push_back(dynSize);
    if (xi >= 0)
      exprs.push_back(d == 1 && out != 1 ? getAffineConstantExpr(0, context)
                                         : getAffineDimExpr(i, context));
  }
  if (ArrayRef<int64_t>(shape) == type.getShape() &&
      llvm::none_of(shape, ShapedType::isDynamic)) {
    ctx.setOutput(0, x);
    return success();
  }
  auto runtime = [&]() -> Value {
    Value init = emptyTensor(ctx.b, ctx.loc, shape, type.getElementType(),
                             dynSizes);
    SmallVector<AffineMap> maps{
        AffineMap::get(rank, 0, exprs, context),
        AffineMap::getMultiDimIdentityMap(rank, context)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               ctx.b, ctx.loc, TypeRange{init.getType()}, ValueRange{x},
               ValueRange{init}, maps, iterators,
               [&](OpBuilder &b, Location loc, ValueRange args) {
                 linalg::YieldOp::create(b, loc, args[0]);
               })
        .getResult(0);
  };
  const KnownInts *xKnown = ctx.known(0);
  if (xKnown && rank <= 1 && llvm::none_of(shape, ShapedType::isDynamic)) {
    KnownInts result;
    int64_t n = rank == 0 ? 1 : shape[0];
    for (int64_t i = 0; i < n; ++i)
      result.push_back((*xKnown)[xKnown->size() == 1 ? 0 : i]);
    return ctx.setKnownOutput(0, result, shape, type.getElementType(),
                              runtime);
  }
  ctx.setOutput(0, runtime());
  return success();
}

/// Tile: out[i] = x[i mod dim(x)] along every axis, with
/// dim(out) = dim(x) * repeats. Built as a generic over the output that
/// gathers from the input, so dynamic dims and run-time repeats both work.
LogicalResult convertTile(NodeContext &ctx) {
  Value x = ctx.requiredInput(0), repeatsInput = ctx.requiredInput(1);
  if (!x || !repeatsInput)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  auto repeatsType = cast<RankedTensorType>(repeatsInput.getType());
  if (repeatsType.getRank() != 1 || repeatsType.getDimSize(0) != rank)
    return ctx.fail("repeats must be a 1-d tensor of length " +
                    std::to_string(rank) + " (the input's rank)");
  const KnownInts *known = ctx.known(1);
  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes, inDims;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t d = type.getDimSize(i);
    std::optional<int64_t> r = known ? (*known)[i] : std::nullopt;
    if (r && *r < 0)
      return ctx.fail("repeats[" + std::to_string(i) + "] is negative (" +
                      std::to_string(*r) + ")");
    Value dim = dimSize(ctx.b, ctx.loc, x, i);
    inDims.push_back(dim);
    if (r && !ShapedType::isDynamic(d)) {
      shape.push_back(d * *r);
      continue;
    }
    shape.push_back(ShapedType::kDynamic);
    Value rep = r ? indexConstant(ctx.b, ctx.loc, *r) : extractIndex(ctx, 1, i);
    dynSizes.push_back(arith::MulIOp::create(ctx.b, ctx.loc, dim, rep));
  }
  if (ArrayRef<int64_t>(shape) == type.getShape() &&
      llvm::none_of(shape, ShapedType::isDynamic)) {
    ctx.setOutput(0, x);
    return success();
  }
  Value result = generateTensor(
      ctx.b, ctx.loc, shape, type.getElementType(), dynSizes,
      [&](OpBuilder &b, Location loc) -> Value {
        SmallVector<Value> indices;
        for (int64_t i = 0; i < rank; ++i) {
          Value idx = linalg::IndexOp::create(b, loc, i);
          indices.push_back(arith::RemUIOp::create(b, loc, idx, inDims[i]));
        }
        return tensor::ExtractOp::create(b, loc, x, indices);
      });
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertTranspose(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm;
  if (std::optional<SmallVector<int64_t>> attr = ctx.intsAttr("perm")) {
    perm = *attr;
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  }
  SmallVector<bool> seen(rank, false);
  if ((int64_t)perm.size() != rank)
    return ctx.fail("perm has " + std::to_string(perm.size()) +
                    " entries for rank " + std::to_string(rank));
  for (int64_t &p : perm) {
    FailureOr<int64_t> a = ctx.normalizeAxis(p, rank, "perm entry");
    if (failed(a))
      return failure();
    if (seen[*a])
      return ctx.fail("perm is not a permutation");
    seen[*a] = true;
    p = *a;
  }
  SmallVector<int64_t> shape;
  SmallVector<Value> dynSizes;
  for (int64_t p : perm) {
    shape.push_back(type.getDimSize(p));
    if (type.isDynamicDim(p))
      dynSizes.push_back(tensor::DimOp::create(ctx.b, ctx.loc, x, p));
  }
  Value init =
      emptyTensor(ctx.b, ctx.loc, shape, type.getElementType(), dynSizes);
  Value result =
      linalg::TransposeOp::create(ctx.b, ctx.loc, x, init, perm).getResult()[0];
  forwardKnown(ctx, x, result);
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertConcat(NodeContext &ctx) {
  if (ctx.numInputs() < 1)
    return ctx.fail("needs at least one input");
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i) {
    Value v = ctx.requiredInput(i);
    if (!v)
      return failure();
    inputs.push_back(v);
  }
  auto first = cast<RankedTensorType>(inputs[0].getType());
  int64_t rank = first.getRank();
  const onnx::AttributeProto *axisAttr = ctx.attr("axis");
  if (!axisAttr)
    return ctx.fail("missing required attribute 'axis'");
  FailureOr<int64_t> axis = ctx.normalizeAxis(axisAttr->i(), rank);
  if (failed(axis))
    return failure();
  int64_t total = 0;
  for (auto [i, v] : llvm::enumerate(inputs)) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != rank || t.getElementType() != first.getElementType())
      return ctx.fail("input '" + ctx.inputName(i).str() + "' has type " +
                      printed(t) + ", incompatible with " +
                      printed(first));
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && !t.isDynamicDim(d) && !first.isDynamicDim(d) &&
          t.getDimSize(d) != first.getDimSize(d))
        return ctx.fail("input '" + ctx.inputName(i).str() +
                        "' differs from the first input in dim " +
                        std::to_string(d));
    total = ShapedType::isDynamic(total) || t.isDynamicDim(*axis)
                ? ShapedType::kDynamic
                : total + t.getDimSize(*axis);
  }
  auto runtime = [&]() -> Value {
    if (inputs.size() == 1)
      return inputs[0];
    return tensor::ConcatOp::create(ctx.b, ctx.loc, *axis, inputs);
  };
  // Shape vectors: concatenate what is known about each piece.
  if (rank == 1 && !ShapedType::isDynamic(total) &&
      first.getElementType().isSignlessInteger()) {
    KnownInts known;
    bool any = false;
    for (unsigned i = 0; i < inputs.size(); ++i) {
      int64_t n = cast<RankedTensorType>(inputs[i].getType()).getDimSize(0);
      if (const KnownInts *k = ctx.known(i)) {
        any = true;
        known.append(k->begin(), k->end());
      } else {
        known.append(n, std::nullopt);
      }
    }
    bool anyTracked = llvm::any_of(
        inputs, [&](Value v) { return !ctx.graph.elements(v).empty(); });
    if ((any || anyTracked) && total <= kMaxKnownElements) {
      SmallVector<Value> elements;
      if (anyTracked)
        for (unsigned i = 0; i < inputs.size(); ++i)
          llvm::append_range(elements, ctx.elementIndices(i));
      if (failed(ctx.setKnownOutput(0, known, {total}, first.getElementType(),
                                    [&]() -> Value {
                                      if (!anyTracked)
                                        return runtime();
                                      return shapeVector(ctx.b, ctx.loc,
                                                         elements);
                                    })))
        return failure();
      if (anyTracked)
        ctx.graph.setElements(ctx.graph.lookup(ctx.outputName(0), ctx.loc),
                              elements);
      return success();
    }
  }
  ctx.setOutput(0, runtime());
  return success();
}

//===----------------------------------------------------------------------===//
// Slice and Split
//===----------------------------------------------------------------------===//

/// Clamps a start or end index of a positive-step slice into [0, dim], with
/// negative values counting from the end.
/// tensor.extract_slice, except of a tensor with a static 0 dim: every
/// slice of it is empty, and extract_slice's verifier rejects even offset 0
/// into a 0 dim, so that is a tensor.empty of the slice's sizes.
Value sliceOrEmpty(OpBuilder &b, Location loc, Value x,
                   ArrayRef<OpFoldResult> offsets,
                   ArrayRef<OpFoldResult> sizes,
                   ArrayRef<OpFoldResult> strides) {
  auto type = cast<RankedTensorType>(x.getType());
  if (!llvm::is_contained(type.getShape(), 0))
    return tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides);
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes;
  for (auto [d, size] : llvm::enumerate(sizes)) {
    std::optional<int64_t> constant = getConstantIntValue(size);
    if (type.getDimSize(d) == 0)
      constant = 0;
    shape.push_back(constant ? *constant : ShapedType::kDynamic);
    if (!constant)
      dynamicSizes.push_back(getValueOrCreateConstantIndexOp(b, loc, size));
  }
  return emptyTensor(b, loc, shape, type.getElementType(), dynamicSizes);
}

int64_t clampIndex(int64_t v, int64_t dim) {
  if (v < 0)
    v = v < -dim ? 0 : v + dim;
  return std::min(v, dim);
}

Value clampIndexValue(OpBuilder &b, Location loc, Value v, Value dim) {
  Value zero = indexConstant(b, loc, 0);
  Value negative =
      b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, v, zero);
  Value wrapped = b.createOrFold<arith::AddIOp>(loc, v, dim);
  Value r = b.createOrFold<arith::SelectOp>(loc, negative, wrapped, v);
  r = b.createOrFold<arith::MaxSIOp>(loc, r, zero);
  return b.createOrFold<arith::MinSIOp>(loc, r, dim);
}

/// Slice with axes or steps known only at run time, or a step below 0 (which
/// tensor.extract_slice cannot express): every output element gathers
/// x[start_d + i_d * step_d], with each dim's start, size and step worked out
/// at run time by ONNX's clamping rules (a dim no axis names keeps start 0,
/// step 1).
LogicalResult convertSliceByGather(NodeContext &ctx, int64_t count) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  auto c = [&](int64_t v) { return indexConstant(b, loc, v); };
  auto cmp = [&](arith::CmpIPredicate p, Value l, Value r) {
    return b.createOrFold<arith::CmpIOp>(loc, p, l, r);
  };
  auto select = [&](Value cond, Value t, Value f) {
    return b.createOrFold<arith::SelectOp>(loc, cond, t, f);
  };
  SmallVector<Value> axes, starts, ends, steps;
  for (int64_t j = 0; j < count; ++j) {
    Value axis = ctx.hasInput(3) ? extractIndex(ctx, 3, j) : c(j);
    Value wrapped = b.createOrFold<arith::AddIOp>(loc, axis, c(rank));
    axes.push_back(
        select(cmp(arith::CmpIPredicate::slt, axis, c(0)), wrapped, axis));
    starts.push_back(extractIndex(ctx, 1, j));
    ends.push_back(extractIndex(ctx, 2, j));
    steps.push_back(ctx.hasInput(4) ? extractIndex(ctx, 4, j) : c(1));
  }
  SmallVector<Value> first(rank), stride(rank), sizes(rank);
  for (int64_t d = 0; d < rank; ++d) {
    Value dim = dimSize(b, loc, x, d);
    Value start = c(0), end = dim, step = c(1);
    for (int64_t j = 0; j < count; ++j) {
      Value named = cmp(arith::CmpIPredicate::eq, axes[j], c(d));
      start = select(named, starts[j], start);
      end = select(named, ends[j], end);
      step = select(named, steps[j], step);
    }
    // A 0 step is invalid ONNX; stepping by 1 keeps it from trapping.
    step = select(cmp(arith::CmpIPredicate::eq, step, c(0)), c(1), step);
    Value backwards = cmp(arith::CmpIPredicate::slt, step, c(0));
    auto wrap = [&](Value v) {
      Value plusDim = b.createOrFold<arith::AddIOp>(loc, v, dim);
      return select(cmp(arith::CmpIPredicate::slt, v, c(0)), plusDim, v);
    };
    // Forwards: start and end clamp to [0, dim]; backwards: start to
    // [0, dim - 1] and end to [-1, dim - 1].
    Value dimMinusOne = b.createOrFold<arith::SubIOp>(loc, dim, c(1));
    Value high = select(backwards, dimMinusOne, dim);
    Value endLow = select(backwards, c(-1), c(0));
    Value s = b.createOrFold<arith::MinSIOp>(
        loc, b.createOrFold<arith::MaxSIOp>(loc, wrap(start), c(0)), high);
    Value e = b.createOrFold<arith::MinSIOp>(
        loc, b.createOrFold<arith::MaxSIOp>(loc, wrap(end), endLow), high);
    Value distance = select(backwards, b.createOrFold<arith::SubIOp>(loc, s, e),
                            b.createOrFold<arith::SubIOp>(loc, e, s));
    Value magnitude =
        select(backwards, b.createOrFold<arith::SubIOp>(loc, c(0), step), step);
    Value size = b.createOrFold<arith::CeilDivSIOp>(loc, distance, magnitude);
    sizes[d] = b.createOrFold<arith::MaxSIOp>(loc, size, c(0));
    first[d] = s;
    stride[d] = step;
  }
  // Sizes that folded (constant bounds, axes and steps) give static dims.
  SmallVector<Value> dynamicSizes;
  SmallVector<int64_t> shape = staticShapeOf(sizes, dynamicSizes);
  Value result = generateTensor(
      b, loc, shape, type.getElementType(), dynamicSizes,
      [&](OpBuilder &nb, Location nloc) -> Value {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = linalg::IndexOp::create(nb, nloc, d);
          Value offset = arith::MulIOp::create(nb, nloc, i, stride[d]);
          indices.push_back(arith::AddIOp::create(nb, nloc, first[d], offset));
        }
        return tensor::ExtractOp::create(nb, nloc, x, indices);
      });
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertSlice(NodeContext &ctx) {
  if (ctx.opset < 10)
    return ctx.fail("Slice before opset 10 (bounds as attributes) is not "
                    "supported");
  Value x = ctx.requiredInput(0);
  if (!x || !ctx.hasInput(1) || !ctx.hasInput(2))
    return x ? ctx.fail("missing starts or ends") : failure();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  auto startsType = ctx.inputType(1);
  if (startsType.getRank() != 1 || startsType.isDynamicDim(0))
    return ctx.fail("starts must be a 1-d tensor of static length");
  int64_t count = startsType.getDimSize(0);
  for (unsigned operand : {2u, 3u, 4u}) {
    RankedTensorType t = ctx.hasInput(operand) ? ctx.inputType(operand)
                                               : RankedTensorType();
    if (t && (t.getRank() != 1 || t.getDimSize(0) != count))
      return ctx.fail("starts, ends, axes and steps differ in length");
  }
  SmallVector<int64_t> axes, steps(count, 1);
  std::optional<SmallVector<int64_t>> knownAxes =
      ctx.hasInput(3) ? ctx.constantInts(3) : std::nullopt;
  std::optional<SmallVector<int64_t>> knownSteps =
      ctx.hasInput(4) ? ctx.constantInts(4) : std::nullopt;
  if ((ctx.hasInput(3) && !knownAxes) || (ctx.hasInput(4) && !knownSteps) ||
      (knownSteps && llvm::any_of(*knownSteps, [](int64_t s) { return s < 0; })))
    return convertSliceByGather(ctx, count);
  if (knownAxes) {
    axes = *knownAxes;
  } else {
    for (int64_t i = 0; i < count; ++i)
      axes.push_back(i);
  }
  if (knownSteps)
    steps = *knownSteps;

  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
  for (int64_t i = 0; i < rank; ++i)
    sizes.push_back(type.isDynamicDim(i)
                        ? OpFoldResult(dimSize(b, loc, x, i))
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(i))));
  SmallVector<bool> seen(rank, false);
  for (int64_t j = 0; j < count; ++j) {
    FailureOr<int64_t> axis = ctx.normalizeAxis(axes[j], rank, "axes entry");
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return ctx.fail("axes repeats " + std::to_string(*axis));
    seen[*axis] = true;
    int64_t step = steps[j];
    if (step == 0)
      return ctx.fail("steps must not be 0");
    const KnownInts *starts = ctx.known(1), *ends = ctx.known(2);
    std::optional<int64_t> start = starts ? (*starts)[j] : std::nullopt;
    std::optional<int64_t> end = ends ? (*ends)[j] : std::nullopt;
    int64_t dim = type.getDimSize(*axis);
    strides[*axis] = b.getIndexAttr(step);
    if (start && end && !ShapedType::isDynamic(dim)) {
      int64_t s = clampIndex(*start, dim), e = clampIndex(*end, dim);
      int64_t size = e > s ? (e - s + step - 1) / step : 0;
      offsets[*axis] = b.getIndexAttr(s);
      sizes[*axis] = b.getIndexAttr(size);
      continue;
    }
    // Run-time bounds (INT64_MAX ends stay exact: they clamp to dim).
    Value dimValue = dimSize(b, loc, x, *axis);
    auto bound = [&](unsigned operand, std::optional<int64_t> v) -> Value {
      if (v)
        return indexConstant(b, loc,
                             std::clamp<int64_t>(*v, INT32_MIN, INT32_MAX));
      return extractIndex(ctx, operand, j);
    };
    Value s = clampIndexValue(b, loc, bound(1, start), dimValue);
    Value e = clampIndexValue(b, loc, bound(2, end), dimValue);
    Value diff = b.createOrFold<arith::SubIOp>(loc, e, s);
    diff = b.createOrFold<arith::MaxSIOp>(loc, diff, indexConstant(b, loc, 0));
    Value size = b.createOrFold<arith::CeilDivSIOp>(
        loc, diff, indexConstant(b, loc, step));
    offsets[*axis] = getAsOpFoldResult(s);
    sizes[*axis] = getAsOpFoldResult(size);
  }
  auto runtime = [&]() -> Value {
    return sliceOrEmpty(b, loc, x, offsets, sizes, strides);
  };
  const KnownInts *xKnown = ctx.known(0);
  if (xKnown && rank == 1) {
    std::optional<int64_t> off = getConstantIntValue(offsets[0]);
    std::optional<int64_t> size = getConstantIntValue(sizes[0]);
    std::optional<int64_t> stride = getConstantIntValue(strides[0]);
    if (off && size && stride) {
      KnownInts known;
      for (int64_t i = 0; i < *size; ++i)
        known.push_back((*xKnown)[*off + i * *stride]);
      return ctx.setKnownOutput(0, known, {*size}, type.getElementType(),
                                runtime);
    }
  }
  ctx.setOutput(0, runtime());
  return success();
}

LogicalResult convertSplit(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = ctx.normalizeAxis(ctx.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t outputs = ctx.numOutputs();
  std::optional<SmallVector<int64_t>> split;
  // Sizes given as a tensor known only at run time are read there.
  bool runtimeSplit = false;
  if (ctx.opset >= 13) {
    if (ctx.hasInput(1)) {
      split = ctx.constantInts(1);
      RankedTensorType splitType = ctx.inputType(1);
      runtimeSplit = !split;
      if (runtimeSplit && (splitType.getRank() != 1 ||
                           splitType.getDimSize(0) != outputs))
        return ctx.fail("split must be a 1-d tensor of " +
                        std::to_string(outputs) + " sizes (one per output)");
    }
  } else {
    split = ctx.intsAttr("split");
  }
  if (ctx.opset >= 18 && !split && !runtimeSplit) {
    const onnx::AttributeProto *n = ctx.attr("num_outputs");
    if (!n)
      return ctx.fail("needs 'split' or 'num_outputs'");
    if (n->i() != outputs)
      return ctx.fail("num_outputs is " + std::to_string(n->i()) +
                      " but the node has " + std::to_string(outputs) +
                      " outputs");
  }
  if (split && (int64_t)split->size() != outputs)
    return ctx.fail("split has " + std::to_string(split->size()) +
                    " sizes for " + std::to_string(outputs) + " outputs");

  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t dim = type.getDimSize(*axis);
  SmallVector<OpFoldResult> pieceSizes;
  if (runtimeSplit) {
    for (int64_t i = 0; i < outputs; ++i)
      pieceSizes.push_back(getAsOpFoldResult(extractIndex(ctx, 1, i)));
  } else if (split) {
    int64_t sum = 0;
    for (int64_t s : *split) {
      if (s < 0)
        return ctx.fail("split has negative size " + std::to_string(s));
      sum += s;
      pieceSizes.push_back(b.getIndexAttr(s));
    }
    if (!ShapedType::isDynamic(dim) && sum != dim)
      return ctx.fail("split sizes add up to " + std::to_string(sum) +
                      " but dim " + std::to_string(*axis) + " is " +
                      std::to_string(dim));
  } else if (!ShapedType::isDynamic(dim)) {
    // Opset 18: ceil(dim / n) each, the last one smaller.
    int64_t chunk = (dim + outputs - 1) / outputs;
    for (int64_t i = 0; i < outputs; ++i)
      pieceSizes.push_back(b.getIndexAttr(
          std::max<int64_t>(0, std::min(chunk, dim - i * chunk))));
  } else {
    Value chunk = arith::CeilDivSIOp::create(
        b, loc, dimSize(b, loc, x, *axis), indexConstant(b, loc, outputs));
    for (int64_t i = 0; i < outputs; ++i)
      pieceSizes.push_back(chunk);
  }
  OpFoldResult offset = b.getIndexAttr(0);
  for (int64_t i = 0; i < outputs; ++i) {
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(type.isDynamicDim(d)
                          ? OpFoldResult(dimSize(b, loc, x, d))
                          : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
    offsets[*axis] = offset;
    sizes[*axis] = pieceSizes[i];
    Value piece =
        sliceOrEmpty(b, loc, x, offsets, sizes, strides);
    ctx.setOutput(i, piece);
    offset = getAsOpFoldResult(b.createOrFold<arith::AddIOp>(
        loc, getValueOrCreateConstantIndexOp(b, loc, offset),
        getValueOrCreateConstantIndexOp(b, loc, pieceSizes[i])));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Range and Trilu
//===----------------------------------------------------------------------===//

Value scalarOf(NodeContext &ctx, unsigned operand) {
  Value v = ctx.input(operand);
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<Value> indices(type.getRank(), indexConstant(ctx.b, ctx.loc, 0));
  return tensor::ExtractOp::create(ctx.b, ctx.loc, v, indices);
}

LogicalResult convertRange(NodeContext &ctx) {
  for (unsigned i = 0; i < 3; ++i)
    if (!ctx.requiredInput(i))
      return failure();
  for (unsigned i = 0; i < 3; ++i)
    if (ctx.inputType(i).getNumElements() != 1)
      return ctx.fail("start, limit and delta must be scalars");
  Type t = ctx.inputType(0).getElementType();
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  bool isFloat = isa<FloatType>(t);

  // Known integer bounds: a constant vector.
  std::optional<SmallVector<int64_t>> start = ctx.constantInts(0),
                                      limit = ctx.constantInts(1),
                                      delta = ctx.constantInts(2);
  if (!isFloat && start && limit && delta) {
    if ((*delta)[0] == 0)
      return ctx.fail("delta must not be 0");
    int64_t n = std::max<int64_t>(
        0, ((*limit)[0] - (*start)[0] + (*delta)[0] - ((*delta)[0] > 0 ? 1 : -1)) /
               (*delta)[0]);
    if (n > (int64_t(1) << 24))
      return ctx.fail("range of " + std::to_string(n) + " elements");
    SmallVector<APInt> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(APInt(t.getIntOrFloatBitWidth(),
                             (*start)[0] + i * (*delta)[0], true, true));
    auto type = RankedTensorType::get({n}, t);
    Value c = arith::ConstantOp::create(b, loc,
                                        DenseElementsAttr::get(type, values));
    if (n <= kMaxKnownElements) {
      KnownInts known;
      for (int64_t i = 0; i < n; ++i)
        known.push_back((*start)[0] + i * (*delta)[0]);
      ctx.graph.setKnown(c, known);
    }
    ctx.setOutput(0, c);
    return success();
  }
  Value s = scalarOf(ctx, 0), l = scalarOf(ctx, 1), d = scalarOf(ctx, 2);
  Value count;
  if (isFloat) {
    Value diff = arith::SubFOp::create(b, loc, l, s);
    Value steps = math::CeilOp::create(
        b, loc, arith::DivFOp::create(b, loc, diff, d));
    count = toIndex(b, loc,
                    arith::FPToSIOp::create(b, loc, b.getI64Type(), steps));
  } else {
    Value diff = arith::SubIOp::create(b, loc, l, s);
    count = toIndex(b, loc, arith::CeilDivSIOp::create(b, loc, diff, d));
  }
  count = arith::MaxSIOp::create(b, loc, count, indexConstant(b, loc, 0));
  Value init = emptyTensor(b, loc, {ShapedType::kDynamic}, t, {count});
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(1, b.getContext())};
  Value result =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
          maps, {utils::IteratorType::parallel},
          [&](OpBuilder &nb, Location nl, ValueRange) {
            Value i = linalg::IndexOp::create(nb, nl, 0);
            Value iv = castScalar(nb, nl, fromIndex(nb, nl, i, nb.getI64Type()),
                                  t);
            Value v = isFloat ? (Value)arith::AddFOp::create(
                                    nb, nl, s, arith::MulFOp::create(nb, nl, iv, d))
                              : (Value)arith::AddIOp::create(
                                    nb, nl, s, arith::MulIOp::create(nb, nl, iv, d));
            linalg::YieldOp::create(nb, nl, v);
          })
          .getResult(0);
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertTrilu(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  if (rank < 2)
    return ctx.fail("input must have rank >= 2");
  bool upper = ctx.intAttr("upper", 1) != 0;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value k = ctx.hasInput(1) ? extractIndex(ctx, 1, 0) : indexConstant(b, loc, 0);
  Type t = type.getElementType();
  Value result = buildElementwise(
      ctx, {x}, t, [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value row = linalg::IndexOp::create(nb, nl, rank - 2);
        Value col = linalg::IndexOp::create(nb, nl, rank - 1);
        // Keep element (i, j) when j - i >= k (upper) or j - i <= k (lower).
        Value diff = arith::SubIOp::create(nb, nl, col, row);
        Value keep = arith::CmpIOp::create(
            nb, nl, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
            diff, k);
        Value zero = scalarConstant(nb, nl, t, 0.0);
        return arith::SelectOp::create(nb, nl, keep, args[0], zero);
      });
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

} // namespace

void onebit::importer::registerShapeOps(OpRegistry &r) {
  r.add("Constant", convertConstant);
  r.add("ConstantOfShape", convertConstantOfShape);
  r.add("Shape", convertShape);
  r.add("Size", convertSize);
  r.add("Reshape", convertReshape);
  r.add("Flatten", convertFlatten);
  r.add("Squeeze", convertSqueeze);
  r.add("Unsqueeze", convertUnsqueeze);
  r.add("Expand", convertExpand);
  r.add("Tile", convertTile);
  r.add("Transpose", convertTranspose);
  r.add("Concat", convertConcat);
  r.add("Slice", convertSlice);
  r.add("Split", convertSplit);
  r.add("Range", convertRange);
  r.add("Trilu", convertTrilu);
}
