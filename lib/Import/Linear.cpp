//===- Linear.cpp - MatMul and Gemm ---------------------------------------===//
//
// A MatMul or Gemm whose weight is an initializer is a linear layer:
// onebit.linear with the weight stored out x in and named after the
// initializer. The exporters spell the weight in three ways, all handled
// without an extra copy where the layout already fits:
//   - MatMul(x, W) with W [in, out] (TorchScript pre-transposes): one
//     transposed copy at import time;
//   - MatMul(x, Transpose(W)) with W [out, in] (dynamo): W as it is;
//   - Gemm(x, W, b, transB=1) with W [out, in]: W as it is.
// A following Add of a per-channel constant becomes the layer's bias. A
// product of two activations (attention) is one linalg.generic with
// broadcasting batch dims.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "onebit/Dialect/OnebitOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace onebit::importer;

namespace {

/// The weight of a linear layer, out x in, and its name.
struct LinearWeight {
  Value weight;
  std::string name;
};

/// Finds the weight operand `operand` of a MatMul/Gemm as an out x in
/// constant, or nullopt when it is an activation. `storedOutByIn` says the
/// ONNX operand is already [out, in] (Gemm transB=1).
std::optional<LinearWeight> linearWeight(NodeContext &ctx, unsigned operand,
                                         bool storedOutByIn, double scale,
                                         FailureOr<bool> &error) {
  error = false;
  StringRef name = ctx.inputName(operand);
  Type activationType = ctx.inputType(0).getElementType();
  if (!isa<FloatType>(activationType))
    return std::nullopt;
  if (onnx::TensorProto *tensor = ctx.graph.initializer(name)) {
    if (tensor->dims_size() != 2 ||
        elementTypeFor(ctx.context(), tensor->data_type()) != activationType)
      return std::nullopt;
    if (scale != 1.0 && !activationType.isF32())
      return std::nullopt;
    // A weight shared by several layers (tied projections, a Gemm and a
    // MatMul over one initializer) is stored once per layout and scale.
    std::string key = (name + (storedOutByIn ? "|NxK|" : "|KxN|") +
                       std::to_string(scale))
                          .str();
    if (Value cached = ctx.graph.linearWeights.lookup(key))
      return LinearWeight{cached, name.str()};
    // Already out x in: the initializer's own constant, shared with any
    // other use of it (the Transpose(W) form below, a tied embedding).
    if (storedOutByIn && scale == 1.0) {
      Value weight = ctx.input(operand);
      if (!weight) {
        error = failure();
        return std::nullopt;
      }
      return LinearWeight{weight, name.str()};
    }
    ElementsAttr attr =
        ctx.graph.weights.read(*tensor, NameLoc::get(ctx.b.getStringAttr(name)),
                               /*transpose2d=*/!storedOutByIn, scale);
    if (!attr) {
      error = failure();
      return std::nullopt;
    }
    OpBuilder::InsertionGuard guard(ctx.b);
    ctx.b.setInsertionPointToStart(ctx.b.getInsertionBlock());
    Value weight = arith::ConstantOp::create(
        ctx.b, NameLoc::get(ctx.b.getStringAttr(name)), cast<TypedAttr>(attr));
    ctx.graph.linearWeights[key] = weight;
    return LinearWeight{weight, name.str()};
  }
  // Transpose(W) of an initializer W [out, in], as the dynamo exporter
  // writes nn.Linear: the constant under the transpose is the weight.
  Value v = ctx.input(operand);
  if (storedOutByIn || scale != 1.0 || !v)
    return std::nullopt;
  auto transpose = v.getDefiningOp<linalg::TransposeOp>();
  if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return std::nullopt;
  Value source = transpose.getInput();
  StringRef sourceName = ctx.graph.initializerNameOf(source);
  if (sourceName.empty() || !source.getDefiningOp<arith::ConstantOp>())
    return std::nullopt;
  return LinearWeight{source, sourceName.str()};
}

Value createLinear(NodeContext &ctx, Value input, const LinearWeight &weight,
                   Value bias) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.weight.getType());
  if (inputType.getRank() == 0) {
    ctx.emitError() << "input '" << ctx.inputName(0)
                    << "' is a scalar; a matrix product needs rank >= 1";
    return {};
  }
  int64_t k = inputType.getShape().back();
  if (!ShapedType::isDynamic(k) && k != weightType.getDimSize(1)) {
    ctx.emitError() << "input '" << ctx.inputName(0) << "' has " << k
                    << " features but weight '" << weight.name << "' has "
                    << weightType.getDimSize(1);
    return {};
  }
  SmallVector<int64_t> shape(inputType.getShape());
  shape.back() = weightType.getDimSize(0);
  auto resultType = RankedTensorType::get(shape, inputType.getElementType());
  return onebit::LinearOp::create(
      ctx.b, ctx.loc, resultType, input, weight.weight, bias,
      ctx.b.getStringAttr(layerNameFor(ctx.node, weight.name)));
}

/// A batched product of two activations with ONNX MatMul semantics (numpy
/// matmul: 1-d operands promoted, batch dims broadcast).
Value buildMatMul(NodeContext &ctx, Value a, Value b) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(b.getType());
  Type elementType = aType.getElementType();
  if (bType.getElementType() != elementType) {
    ctx.emitError() << "operand element types differ: " << elementType
                    << " and " << bType.getElementType();
    return {};
  }
  int64_t aRank = aType.getRank(), bRank = bType.getRank();
  if (aRank < 1 || bRank < 1) {
    ctx.emitError() << "operands must have rank >= 1";
    return {};
  }
  bool hasM = aRank >= 2, hasN = bRank >= 2;
  ArrayRef<int64_t> aShape = aType.getShape(), bShape = bType.getShape();
  ArrayRef<int64_t> aBatch = aShape.drop_back(hasM ? 2 : 1);
  ArrayRef<int64_t> bBatch = bShape.drop_back(hasN ? 2 : 1);
  int64_t kA = aShape.back(), kB = bShape[bRank - (hasN ? 2 : 1)];
  if (!ShapedType::isDynamic(kA) && !ShapedType::isDynamic(kB) && kA != kB) {
    ctx.emitError() << "inner dimensions differ: '" << ctx.inputName(0)
                    << "' has " << kA << ", '" << ctx.inputName(1) << "' has "
                    << kB;
    return {};
  }
  int64_t batchRank = std::max(aBatch.size(), bBatch.size());
  MLIRContext *context = ctx.context();
  OpBuilder &builder = ctx.b;
  Location loc = ctx.loc;

  // Loops: batch..., m?, n?, k.
  int64_t mDim = batchRank, nDim = batchRank + (hasM ? 1 : 0);
  int64_t kDim = nDim + (hasN ? 1 : 0);
  int64_t numLoops = kDim + 1;
  SmallVector<int64_t> outShape;
  SmallVector<Value> dynSizes;
  SmallVector<AffineExpr> aExprs, bExprs, outExprs;
  for (int64_t i = 0; i < batchRank; ++i) {
    int64_t ia = i - (batchRank - (int64_t)aBatch.size());
    int64_t ib = i - (batchRank - (int64_t)bBatch.size());
    int64_t da = ia >= 0 ? aBatch[ia] : 1, db = ib >= 0 ? bBatch[ib] : 1;
    int64_t d;
    if (da == 1)
      d = db;
    else if (db == 1)
      d = da;
    else if (ShapedType::isDynamic(da))
      d = db;
    else if (ShapedType::isDynamic(db) || da == db)
      d = da;
    else {
      ctx.emitError() << "cannot broadcast batch dims " << da << " and " << db;
      return {};
    }
    outShape.push_back(d);
    if (ShapedType::isDynamic(d))
      dynSizes.push_back(ShapedType::isDynamic(da)
                             ? tensor::DimOp::create(builder, loc, a, ia)
                             : tensor::DimOp::create(builder, loc, b, ib));
    AffineExpr dim = getAffineDimExpr(i, context);
    AffineExpr zero = getAffineConstantExpr(0, context);
    if (ia >= 0)
      aExprs.push_back(da == 1 && d != 1 ? zero : dim);
    if (ib >= 0)
      bExprs.push_back(db == 1 && d != 1 ? zero : dim);
    outExprs.push_back(dim);
  }
  AffineExpr k = getAffineDimExpr(kDim, context);
  if (hasM) {
    AffineExpr m = getAffineDimExpr(mDim, context);
    aExprs.push_back(m);
    outExprs.push_back(m);
    outShape.push_back(aShape[aRank - 2]);
    if (aType.isDynamicDim(aRank - 2))
      dynSizes.push_back(tensor::DimOp::create(builder, loc, a, aRank - 2));
  }
  aExprs.push_back(k);
  bExprs.push_back(k);
  if (hasN) {
    AffineExpr n = getAffineDimExpr(nDim, context);
    bExprs.push_back(n);
    outExprs.push_back(n);
    outShape.push_back(bShape.back());
    if (bType.isDynamicDim(bRank - 1))
      dynSizes.push_back(tensor::DimOp::create(builder, loc, b, bRank - 1));
  }
  SmallVector<AffineMap> maps{AffineMap::get(numLoops, 0, aExprs, context),
                              AffineMap::get(numLoops, 0, bExprs, context),
                              AffineMap::get(numLoops, 0, outExprs, context)};
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  Value init = filledTensor(builder, loc, outShape, elementType, dynSizes,
                            identityValue(builder, loc, elementType, "zero"));
  bool isFloat = isa<FloatType>(elementType);
  auto generic = linalg::GenericOp::create(
      builder, loc, TypeRange{init.getType()}, ValueRange{a, b},
      ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value product =
            isFloat ? (Value)arith::MulFOp::create(nb, nl, args[0], args[1])
                    : (Value)arith::MulIOp::create(nb, nl, args[0], args[1]);
        Value sum =
            isFloat ? (Value)arith::AddFOp::create(nb, nl, args[2], product)
                    : (Value)arith::AddIOp::create(nb, nl, args[2], product);
        linalg::YieldOp::create(nb, nl, sum);
      });
  return generic.getResult(0);
}

Value transpose2d(NodeContext &ctx, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape{type.getDimSize(1), type.getDimSize(0)};
  SmallVector<Value> dyn;
  for (int64_t i : {1, 0})
    if (type.isDynamicDim(i))
      dyn.push_back(tensor::DimOp::create(ctx.b, ctx.loc, v, i));
  Value init = emptyTensor(ctx.b, ctx.loc, shape, type.getElementType(), dyn);
  return linalg::TransposeOp::create(ctx.b, ctx.loc, v, init,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

Value scaleBy(NodeContext &ctx, Value v, double factor) {
  if (factor == 1.0)
    return v;
  Type t = cast<RankedTensorType>(v.getType()).getElementType();
  return buildElementwise(ctx, {v}, t,
                          [&](OpBuilder &b, Location loc, ValueRange args) {
                            Value c = scalarConstant(b, loc, t, factor);
                            return arith::MulFOp::create(b, loc, args[0], c);
                          });
}

Value addTensors(NodeContext &ctx, Value a, Value c) {
  Type t = cast<RankedTensorType>(a.getType()).getElementType();
  return buildElementwise(ctx, {a, c}, t,
                          [&](OpBuilder &b, Location loc, ValueRange args) {
                            return arith::AddFOp::create(b, loc, args[0],
                                                         args[1]);
                          });
}

LogicalResult convertMatMul(NodeContext &ctx) {
  // The weight operand is not materialized as it stands: linearWeight reads
  // it straight into the layout onebit.linear wants.
  Value a = ctx.requiredInput(0);
  if (!a || !ctx.hasInput(1))
    return a ? ctx.fail("missing required input #1") : failure();
  FailureOr<bool> error = false;
  std::optional<LinearWeight> weight =
      linearWeight(ctx, 1, /*storedOutByIn=*/false, 1.0, error);
  if (failed(error))
    return failure();
  Value result;
  if (weight) {
    result = createLinear(ctx, a, *weight, Value());
  } else {
    Value b = ctx.requiredInput(1);
    if (!b)
      return failure();
    result = buildMatMul(ctx, a, b);
  }
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertGemm(NodeContext &ctx) {
  Value a = ctx.requiredInput(0);
  if (!a || !ctx.hasInput(1))
    return a ? ctx.fail("missing required input #1") : failure();
  onnx::TensorProto *bInit = ctx.graph.initializer(ctx.inputName(1));
  if (ctx.inputType(0).getRank() != 2 ||
      (bInit ? bInit->dims_size() != 2 : ctx.inputType(1).getRank() != 2))
    return ctx.fail("A and B must be 2-d");
  double alpha = ctx.floatAttr("alpha", 1.0f);
  double beta = ctx.floatAttr("beta", 1.0f);
  bool transA = ctx.intAttr("transA", 0) != 0;
  bool transB = ctx.intAttr("transB", 0) != 0;
  Value c = ctx.input(2);
  if (transA)
    a = transpose2d(ctx, a);

  FailureOr<bool> error = false;
  std::optional<LinearWeight> weight =
      linearWeight(ctx, 1, /*storedOutByIn=*/transB, alpha, error);
  if (failed(error))
    return failure();
  Value result;
  if (weight) {
    // A per-channel C ([N] or [1, N]) is the layer's bias.
    Value bias;
    int64_t n = cast<RankedTensorType>(weight->weight.getType()).getDimSize(0);
    if (ElementsAttr cAttr = ctx.constantAttr(2)) {
      auto dense = dyn_cast<DenseElementsAttr>(cAttr);
      auto cType = cast<ShapedType>(cAttr.getType());
      if (dense && isa<FloatType>(cType.getElementType()) &&
          cType.getElementType() == ctx.inputType(0).getElementType() &&
          cType.getNumElements() == n && n > 1 &&
          cType.getShape().back() == n) {
        auto vectorType = RankedTensorType::get({n}, cType.getElementType());
        DenseElementsAttr vector = dense.reshape(vectorType);
        if (beta != 1.0) {
          SmallVector<APFloat> scaled;
          for (APFloat v : vector.getValues<APFloat>()) {
            bool lost;
            APFloat s(beta);
            s.convert(v.getSemantics(), llvm::RoundingMode::NearestTiesToEven, &lost);
            v.multiply(s, llvm::RoundingMode::NearestTiesToEven);
            scaled.push_back(v);
          }
          vector = DenseElementsAttr::get(vectorType, scaled);
        }
        bias = arith::ConstantOp::create(ctx.b, ctx.loc, vector);
        c = Value();
      }
    }
    result = createLinear(ctx, a, *weight, bias);
  } else {
    Value b = ctx.requiredInput(1);
    if (!b)
      return failure();
    if (transB)
      b = transpose2d(ctx, b);
    result = buildMatMul(ctx, a, b);
    if (result)
      result = scaleBy(ctx, result, alpha);
  }
  if (result && c && beta != 0.0) {
    Value scaledC = scaleBy(ctx, c, beta);
    result = scaledC ? addTensors(ctx, result, scaledC) : Value();
  }
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

} // namespace

bool onebit::importer::foldBiasIntoLinear(NodeContext &ctx) {
  if (ctx.numInputs() != 2 || !ctx.hasInput(0) || !ctx.hasInput(1))
    return false;
  for (unsigned i : {0u, 1u}) {
    Value layerResult = ctx.input(i), other = ctx.input(1 - i);
    auto layer = layerResult.getDefiningOp<onebit::LinearOp>();
    if (!layer || layer.getBias() ||
        ctx.graph.useCount(ctx.inputName(i)) != 1)
      continue;
    auto constant = other.getDefiningOp<arith::ConstantOp>();
    auto attr = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                         : DenseElementsAttr();
    auto weightType = cast<RankedTensorType>(layer.getWeight().getType());
    if (!attr || attr.getType().getRank() != 1 ||
        attr.getType().getDimSize(0) != weightType.getDimSize(0) ||
        attr.getElementType() != layer.getType().getElementType())
      continue;
    layer.getBiasMutable().assign(other);
    ctx.setOutput(0, layerResult);
    return true;
  }
  return false;
}

void onebit::importer::registerLinearOps(OpRegistry &r) {
  r.add("MatMul", convertMatMul);
  r.add("Gemm", convertGemm);
}
