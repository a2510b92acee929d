//===- Helpers.cpp - Building blocks shared by the op importers -----------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace onebit::importer;

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text += ShapedType::isDynamic(d) ? "?" : std::to_string(d);
  }
  return text + "]";
}

FailureOr<SmallVector<int64_t>>
onebit::importer::broadcastShapes(NodeContext &ctx, ArrayRef<Value> operands) {
  int64_t rank = 0;
  for (Value v : operands)
    rank = std::max(rank, cast<RankedTensorType>(v.getType()).getRank());
  SmallVector<int64_t> shape(rank, 1);
  SmallVector<bool> dynamic(rank, false);
  for (auto [index, v] : llvm::enumerate(operands)) {
    ArrayRef<int64_t> s = cast<RankedTensorType>(v.getType()).getShape();
    for (size_t j = 0; j < s.size(); ++j) {
      int64_t i = rank - s.size() + j;
      int64_t d = s[j];
      if (ShapedType::isDynamic(d)) {
        dynamic[i] = true;
        continue;
      }
      if (d == 1)
        continue;
      if (shape[i] != 1 && shape[i] != d) {
        ctx.emitError() << "cannot broadcast input '" << ctx.inputName(index)
                        << "' of shape " << formatShape(s) << " (dim " << j
                        << " is " << d << ", others have " << shape[i] << ")";
        return failure();
      }
      shape[i] = d;
    }
  }
  // A dynamic dim broadcasts against a static size-1 one; against a static
  // size > 1 it must equal that size at run time.
  for (int64_t i = 0; i < rank; ++i)
    if (dynamic[i] && shape[i] == 1)
      shape[i] = ShapedType::kDynamic;
  return shape;
}

Value onebit::importer::emptyTensor(OpBuilder &b, Location loc,
                                    ArrayRef<int64_t> shape, Type elementType,
                                    ValueRange dynamicSizes) {
  return tensor::EmptyOp::create(b, loc, shape, elementType, dynamicSizes);
}

Value onebit::importer::generateTensor(
    OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elementType,
    ValueRange dynamicSizes,
    llvm::function_ref<Value(OpBuilder &, Location)> element) {
  Value init = emptyTensor(b, loc, shape, elementType, dynamicSizes);
  int64_t rank = shape.size();
  SmallVector<AffineMap> maps{
      AffineMap::getMultiDimIdentityMap(rank, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
             maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               linalg::YieldOp::create(nb, nl, element(nb, nl));
             })
      .getResult(0);
}

Value onebit::importer::indexConstant(OpBuilder &b, Location loc,
                                      int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value onebit::importer::dimSize(OpBuilder &b, Location loc, Value tensor,
                                int64_t dim) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(dim))
    return indexConstant(b, loc, type.getDimSize(dim));
  return tensor::DimOp::create(b, loc, tensor, dim);
}

SmallVector<Value> onebit::importer::dynamicSizes(OpBuilder &b, Location loc,
                                                  Value tensor) {
  SmallVector<Value> sizes;
  auto type = cast<RankedTensorType>(tensor.getType());
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(tensor::DimOp::create(b, loc, tensor, i));
  return sizes;
}

Value onebit::importer::buildElementwise(NodeContext &ctx,
                                         ArrayRef<Value> operands,
                                         Type resultElementType, BodyFn body) {
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(ctx, operands);
  if (failed(shape))
    return {};
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t rank = shape->size();
  MLIRContext *context = b.getContext();

  SmallVector<AffineMap> maps;
  SmallVector<Value> dynSizes;
  for (Value v : operands) {
    ArrayRef<int64_t> s = cast<RankedTensorType>(v.getType()).getShape();
    SmallVector<AffineExpr> exprs;
    for (size_t j = 0; j < s.size(); ++j) {
      int64_t i = rank - s.size() + j;
      exprs.push_back(s[j] == 1 && (*shape)[i] != 1
                          ? getAffineConstantExpr(0, context)
                          : getAffineDimExpr(i, context));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, context));
  }
  // The maps read a dynamic dim as if it had the result's size: where that
  // size is static (> 1), or another operand's dynamic dim, the run-time
  // sizes must agree, which the model's shapes do not promise.
  for (int64_t i = 0; i < rank; ++i) {
    Value reference;
    if (!ShapedType::isDynamic((*shape)[i]))
      reference = indexConstant(b, loc, (*shape)[i]);
    for (auto [index, v] : llvm::enumerate(operands)) {
      ArrayRef<int64_t> s = cast<RankedTensorType>(v.getType()).getShape();
      int64_t j = i - (rank - (int64_t)s.size());
      if (j < 0 || !ShapedType::isDynamic(s[j]))
        continue;
      Value size = tensor::DimOp::create(b, loc, v, j);
      if (!reference) {
        reference = size;
        dynSizes.push_back(size);
        continue;
      }
      // Converters also broadcast values of their own making: name the
      // node's input only where the operand is one.
      bool isInput = index < ctx.numInputs() &&
                     ctx.graph.lookup(ctx.inputName(index), loc) == v;
      std::string operand =
          isInput ? "input '" + ctx.inputName(index).str() + "'"
                  : "operand " + std::to_string(index) + " of the broadcast";
      ctx.checkAtRunTime(
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size,
                                reference),
          "dimension " + Twine(j) + " of " + operand +
              " does not match the other inputs' at run time (onebit "
              "broadcasts dynamic dimensions only where they are equal)");
    }
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  Value init = emptyTensor(b, loc, *shape, resultElementType, dynSizes);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value result = body(nb, nl, args.drop_back());
        linalg::YieldOp::create(nb, nl, result);
      });
  return generic.getResult(0);
}

bool onebit::importer::isUnsignedInteger(Type type) {
  auto integer = dyn_cast<IntegerType>(type);
  return integer && integer.isUnsigned();
}

Value onebit::importer::toSignless(OpBuilder &b, Location loc, Value value) {
  auto integer = dyn_cast<IntegerType>(value.getType());
  if (!integer || integer.isSignless())
    return value;
  return UnrealizedConversionCastOp::create(
             b, loc, b.getIntegerType(integer.getWidth()), value)
      .getResult(0);
}

Value onebit::importer::fromSignless(OpBuilder &b, Location loc, Value value,
                                     Type to) {
  if (!isUnsignedInteger(to) || value.getType() == to)
    return value;
  return UnrealizedConversionCastOp::create(b, loc, to, value).getResult(0);
}

Value onebit::importer::scalarConstant(OpBuilder &b, Location loc, Type type,
                                       double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  if (type.isIndex())
    return indexConstant(b, loc, static_cast<int64_t>(value));
  if (isUnsignedInteger(type)) {
    // arith.constant is signless: the same bits, cast.
    Type signless = b.getIntegerType(type.getIntOrFloatBitWidth());
    return fromSignless(b, loc, scalarConstant(b, loc, signless, value), type);
  }
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value onebit::importer::i64TensorConstant(OpBuilder &b, Location loc,
                                          ArrayRef<int64_t> values,
                                          bool scalar) {
  auto type = RankedTensorType::get(
      scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
      b.getI64Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseIntElementsAttr::get(type, values));
}

Value onebit::importer::castScalar(OpBuilder &b, Location loc, Value value,
                                   Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  if (isUnsignedInteger(from) || isUnsignedInteger(to)) {
    // The signless cast with unsigned conversions where a side is unsigned
    // (zero extension, uitofp, fptoui); the bits then take `to`'s type.
    bool fromUnsigned = isUnsignedInteger(from);
    Value x = toSignless(b, loc, value);
    Type signlessTo = isUnsignedInteger(to)
                          ? b.getIntegerType(to.getIntOrFloatBitWidth())
                          : to;
    Value result;
    if (isa<FloatType>(signlessTo))
      result = fromUnsigned
                   ? (Value)arith::UIToFPOp::create(b, loc, signlessTo, x)
                   : castScalar(b, loc, x, signlessTo);
    else if (isa<FloatType>(x.getType()))
      result = arith::FPToUIOp::create(b, loc, signlessTo, x);
    else if (signlessTo.isInteger(1) || !fromUnsigned ||
             x.getType().getIntOrFloatBitWidth() >=
                 signlessTo.getIntOrFloatBitWidth())
      result = castScalar(b, loc, x, signlessTo);
    else
      result = arith::ExtUIOp::create(b, loc, signlessTo, x);
    return fromSignless(b, loc, result, to);
  }
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, value);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return arith::TruncFOp::create(b, loc, to, value);
    // f16 <-> bf16: through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fromFloat) {
    if (to.isInteger(1)) {
      Value zero = scalarConstant(b, loc, from, 0.0);
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   zero);
    }
    return arith::FPToSIOp::create(b, loc, to, value);
  }
  if (toFloat) {
    if (from.isInteger(1))
      return arith::UIToFPOp::create(b, loc, to, value);
    return arith::SIToFPOp::create(b, loc, to, value);
  }
  // Integer to integer.
  if (to.isInteger(1)) {
    Value zero = scalarConstant(b, loc, from, 0);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value, zero);
  }
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return from.isInteger(1) ? (Value)arith::ExtUIOp::create(b, loc, to, value)
                             : (Value)arith::ExtSIOp::create(b, loc, to, value);
  return arith::TruncIOp::create(b, loc, to, value);
}

Value onebit::importer::toIndex(OpBuilder &b, Location loc, Value value) {
  if (value.getType().isIndex())
    return value;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), value);
}

Value onebit::importer::fromIndex(OpBuilder &b, Location loc, Value index,
                                  Type to) {
  if (to.isIndex())
    return index;
  return arith::IndexCastOp::create(b, loc, to, index);
}

Value onebit::importer::extractIndex(NodeContext &ctx, unsigned operand,
                                     int64_t i) {
  if (const KnownInts *ints = ctx.known(operand))
    if (i < (int64_t)ints->size() && (*ints)[i])
      return indexConstant(ctx.b, ctx.loc, *(*ints)[i]);
  Value tensor = ctx.input(operand);
  auto type = cast<RankedTensorType>(tensor.getType());
  ArrayRef<Value> tracked = ctx.graph.elements(tensor);
  if (i < (int64_t)tracked.size() && tracked[i])
    return tracked[i];
  // Shape vectors built at run time: take the element where it was made.
  if (auto elements = tensor.getDefiningOp<tensor::FromElementsOp>()) {
    Value element = elements.getElements()[i];
    if (auto cast = element.getDefiningOp<arith::IndexCastOp>())
      if (cast.getIn().getType().isIndex())
        return cast.getIn();
    return toIndex(ctx.b, ctx.loc, element);
  }
  SmallVector<Value> indices;
  if (type.getRank() == 1)
    indices.push_back(indexConstant(ctx.b, ctx.loc, i));
  Value element = tensor::ExtractOp::create(ctx.b, ctx.loc, tensor, indices);
  return toIndex(ctx.b, ctx.loc, element);
}

Value onebit::importer::filledTensor(OpBuilder &b, Location loc,
                                     ArrayRef<int64_t> shape, Type elementType,
                                     ValueRange dynSizes, Value fill) {
  Value empty = emptyTensor(b, loc, shape, elementType, dynSizes);
  return linalg::FillOp::create(b, loc, fill, empty).getResult(0);
}

Value onebit::importer::identityValue(OpBuilder &b, Location loc, Type type,
                                      StringRef kind) {
  if (kind == "zero")
    return scalarConstant(b, loc, type, 0.0);
  if (kind == "one")
    return scalarConstant(b, loc, type, 1.0);
  bool lowest = kind == "lowest";
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(floatType,
                       APFloat::getInf(floatType.getFloatSemantics(), lowest)));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt v = lowest ? APInt::getSignedMinValue(width)
                   : APInt::getSignedMaxValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

Value onebit::importer::reshapeTo(OpBuilder &b, Location loc, Value source,
                                  ArrayRef<int64_t> shape,
                                  ArrayRef<Value> sizes) {
  auto sourceType = cast<RankedTensorType>(source.getType());
  auto resultType = RankedTensorType::get(shape, sourceType.getElementType());
  if (sourceType == resultType)
    return source;
  Value shapeTensor;
  if (llvm::none_of(shape, ShapedType::isDynamic)) {
    auto type = RankedTensorType::get({(int64_t)shape.size()}, b.getI64Type());
    shapeTensor = arith::ConstantOp::create(
        b, loc, DenseIntElementsAttr::get(type, shape));
  } else {
    SmallVector<Value> elements;
    for (Value size : sizes)
      elements.push_back(fromIndex(b, loc, size, b.getI64Type()));
    shapeTensor = tensor::FromElementsOp::create(b, loc, elements);
  }
  return tensor::ReshapeOp::create(b, loc, resultType, source, shapeTensor);
}

FailureOr<SmallVector<Value>>
onebit::importer::runtimeAxisValues(NodeContext &ctx, unsigned operand,
                                    int64_t rank) {
  RankedTensorType axesType = ctx.inputType(operand);
  if (axesType.getRank() != 1 || axesType.isDynamicDim(0))
    return ctx.fail("axes must be a 1-d tensor of static length");
  SmallVector<Value> axes;
  for (int64_t j = 0; j < axesType.getDimSize(0); ++j) {
    Value axis = extractIndex(ctx, operand, j);
    Value negative =
        arith::CmpIOp::create(ctx.b, ctx.loc, arith::CmpIPredicate::slt, axis,
                              indexConstant(ctx.b, ctx.loc, 0));
    Value wrapped = arith::AddIOp::create(ctx.b, ctx.loc, axis,
                                          indexConstant(ctx.b, ctx.loc, rank));
    axes.push_back(
        arith::SelectOp::create(ctx.b, ctx.loc, negative, wrapped, axis));
  }
  return axes;
}

SmallVector<int64_t>
onebit::importer::staticShapeOf(ArrayRef<Value> sizes,
                                SmallVectorImpl<Value> &dynamicSizes) {
  SmallVector<int64_t> shape;
  for (Value size : sizes) {
    std::optional<int64_t> constant = getConstantIntValue(size);
    shape.push_back(constant ? *constant : ShapedType::kDynamic);
    if (!constant)
      dynamicSizes.push_back(size);
  }
  return shape;
}

Value onebit::importer::namesDim(OpBuilder &b, Location loc,
                                 ArrayRef<Value> axes, int64_t d) {
  Value named = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
  for (Value axis : axes)
    named = b.createOrFold<arith::OrIOp>(
        loc, named,
        b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, axis,
                                      indexConstant(b, loc, d)));
  return named;
}

SmallVector<Value> onebit::importer::keptSizes(OpBuilder &b, Location loc,
                                               ArrayRef<Value> sizes,
                                               ArrayRef<Value> dropped,
                                               int64_t resultRank) {
  // Kept size i lands at `position`: i minus the dropped ones before it.
  SmallVector<Value> result(resultRank, indexConstant(b, loc, 0));
  Value position = indexConstant(b, loc, 0);
  Value isTrue = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  for (auto [size, drop] : llvm::zip_equal(sizes, dropped)) {
    Value kept = b.createOrFold<arith::XOrIOp>(loc, drop, isTrue);
    for (int64_t k = 0; k < resultRank; ++k) {
      Value here = b.createOrFold<arith::AndIOp>(
          loc, kept,
          b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, position,
                                        indexConstant(b, loc, k)));
      result[k] = b.createOrFold<arith::SelectOp>(loc, here, size, result[k]);
    }
    position = b.createOrFold<arith::AddIOp>(
        loc, position,
        b.createOrFold<arith::IndexCastUIOp>(loc, b.getIndexType(), kept));
  }
  return result;
}
