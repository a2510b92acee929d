//===- Elementwise.cpp - Arithmetic, math, logic, Where, Cast, Clip -------===//
//
// Every elementwise op becomes one linalg.generic over the broadcast shape
// whose indexing maps do the broadcasting, with the scalar computation as its
// body (one op where ONNX's op is one arith/math op, which the passes that
// pattern-match per-channel scales rely on). Small integer results (shape
// arithmetic) are also evaluated at import time where their operands are
// known, which is how shape subgraphs fold under --input-shape.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace onebit::importer;

namespace {

using ScalarFn = Value (*)(OpBuilder &, Location, ValueRange);
using EvalFn = std::optional<int64_t> (*)(ArrayRef<int64_t>);

/// How one elementwise op computes an element: a float body, an integer
/// body (null when ONNX does not allow integers), an import-time evaluator
/// for known integers, and the body for unsigned integers (null when the op
/// does not take them), which is handed its operands as signless integers.
struct ElementwiseSpec {
  ScalarFn floatBody;
  ScalarFn intBody;
  EvalFn eval;
  bool boolResult = false;
  ScalarFn uintBody = nullptr;
};

/// The operands' known elements broadcast together, when every operand is a
/// known small integer tensor.
std::optional<KnownInts> foldKnown(NodeContext &ctx, ArrayRef<unsigned> inputs,
                                   EvalFn eval, int64_t resultSize) {
  if (!eval)
    return std::nullopt;
  SmallVector<const KnownInts *> operands;
  for (unsigned i : inputs) {
    const KnownInts *k = ctx.known(i);
    if (!k)
      return std::nullopt;
    operands.push_back(k);
  }
  KnownInts result;
  for (int64_t e = 0; e < resultSize; ++e) {
    SmallVector<int64_t> args;
    for (const KnownInts *k : operands) {
      std::optional<int64_t> v = (*k)[k->size() == 1 ? 0 : e];
      if (!v)
        break;
      args.push_back(*v);
    }
    result.push_back(args.size() == operands.size() ? eval(args)
                                                    : std::nullopt);
  }
  return result;
}

LogicalResult convertElementwise(NodeContext &ctx, const ElementwiseSpec &spec,
                                 ArrayRef<unsigned> inputs,
                                 unsigned typeOperand = 0) {
  SmallVector<Value> operands;
  for (unsigned i : inputs) {
    Value v = ctx.requiredInput(i);
    if (!v)
      return failure();
    operands.push_back(v);
  }
  Type elementType =
      cast<RankedTensorType>(operands[typeOperand].getType()).getElementType();
  bool isFloat = isa<FloatType>(elementType);
  bool isUnsigned = isUnsignedInteger(elementType);
  ScalarFn body = isFloat      ? spec.floatBody
                  : isUnsigned ? spec.uintBody
                               : spec.intBody;
  if (!body)
    return ctx.fail("element type " + printed(elementType) +
                    " is not supported for this op");
  Type resultType = spec.boolResult ? ctx.b.getI1Type() : elementType;

  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(ctx, operands);
  if (failed(shape))
    return failure();
  auto runtime = [&]() -> Value {
    return buildElementwise(ctx, operands, resultType,
                            [&](OpBuilder &b, Location loc, ValueRange args) {
                              if (!isUnsigned)
                                return body(b, loc, args);
                              SmallVector<Value> signless;
                              for (Value arg : args)
                                signless.push_back(toSignless(b, loc, arg));
                              return fromSignless(
                                  b, loc, body(b, loc, signless), resultType);
                            });
  };
  // (Unsigned integers are never known: they are not shape arithmetic.)
  if (!isFloat && !isUnsigned && shape->size() <= 1 &&
      llvm::none_of(*shape, ShapedType::isDynamic)) {
    int64_t size = shape->empty() ? 1 : (*shape)[0];
    if (std::optional<KnownInts> known =
            foldKnown(ctx, inputs, spec.eval, size))
      return ctx.setKnownOutput(0, *known, *shape, resultType, runtime);
  }
  Value result = runtime();
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Scalar bodies
//===----------------------------------------------------------------------===//

template <typename OpTy>
Value binaryBody(OpBuilder &b, Location loc, ValueRange args) {
  return OpTy::create(b, loc, args[0], args[1]);
}

template <typename OpTy>
Value unaryBody(OpBuilder &b, Location loc, ValueRange args) {
  return OpTy::create(b, loc, args[0]);
}

template <arith::CmpFPredicate P>
Value cmpfBody(OpBuilder &b, Location loc, ValueRange args) {
  return arith::CmpFOp::create(b, loc, P, args[0], args[1]);
}

template <arith::CmpIPredicate P>
Value cmpiBody(OpBuilder &b, Location loc, ValueRange args) {
  return arith::CmpIOp::create(b, loc, P, args[0], args[1]);
}

Value selectBody(OpBuilder &b, Location loc, ValueRange args) {
  return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
}

Value identityBody(OpBuilder &, Location, ValueRange args) { return args[0]; }

Value notBody(OpBuilder &b, Location loc, ValueRange args) {
  Value one = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  return arith::XOrIOp::create(b, loc, args[0], one);
}

Value negIntBody(OpBuilder &b, Location loc, ValueRange args) {
  Value zero = scalarConstant(b, loc, args[0].getType(), 0);
  return arith::SubIOp::create(b, loc, zero, args[0]);
}

Value reciprocalBody(OpBuilder &b, Location loc, ValueRange args) {
  Value one = scalarConstant(b, loc, args[0].getType(), 1.0);
  return arith::DivFOp::create(b, loc, one, args[0]);
}

Value sigmoidBody(OpBuilder &b, Location loc, ValueRange args) {
  Value one = scalarConstant(b, loc, args[0].getType(), 1.0);
  Value neg = arith::NegFOp::create(b, loc, args[0]);
  Value exp = math::ExpOp::create(b, loc, neg);
  Value den = arith::AddFOp::create(b, loc, one, exp);
  return arith::DivFOp::create(b, loc, one, den);
}

Value reluFloatBody(OpBuilder &b, Location loc, ValueRange args) {
  Value zero = scalarConstant(b, loc, args[0].getType(), 0.0);
  return arith::MaximumFOp::create(b, loc, args[0], zero);
}

Value reluIntBody(OpBuilder &b, Location loc, ValueRange args) {
  Value zero = scalarConstant(b, loc, args[0].getType(), 0);
  return arith::MaxSIOp::create(b, loc, args[0], zero);
}

Value isNaNBody(OpBuilder &b, Location loc, ValueRange args) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, args[0],
                               args[0]);
}

Value signFloatBody(OpBuilder &b, Location loc, ValueRange args) {
  Type t = args[0].getType();
  Value zero = scalarConstant(b, loc, t, 0.0);
  Value one = scalarConstant(b, loc, t, 1.0);
  Value minusOne = scalarConstant(b, loc, t, -1.0);
  Value pos =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, args[0], zero);
  Value neg =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, args[0], zero);
  Value r = arith::SelectOp::create(b, loc, neg, minusOne, zero);
  return arith::SelectOp::create(b, loc, pos, one, r);
}

Value powFloatBody(OpBuilder &b, Location loc, ValueRange args) {
  Value exponent = castScalar(b, loc, args[1], args[0].getType());
  return math::PowFOp::create(b, loc, args[0], exponent);
}

Value powIntBody(OpBuilder &b, Location loc, ValueRange args) {
  Value exponent = castScalar(b, loc, args[1], args[0].getType());
  return math::IPowIOp::create(b, loc, args[0], exponent);
}

/// Python-style remainder (the sign of the divisor), ONNX Mod with fmod=0.
Value modIntBody(OpBuilder &b, Location loc, ValueRange args) {
  Value rem = arith::RemSIOp::create(b, loc, args[0], args[1]);
  Value zero = scalarConstant(b, loc, rem.getType(), 0);
  Value remNeg =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, rem, zero);
  Value divNeg =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, args[1], zero);
  Value remNonZero =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rem, zero);
  Value signsDiffer = arith::XOrIOp::create(b, loc, remNeg, divNeg);
  Value fix = arith::AndIOp::create(b, loc, signsDiffer, remNonZero);
  Value fixed = arith::AddIOp::create(b, loc, rem, args[1]);
  return arith::SelectOp::create(b, loc, fix, fixed, rem);
}

//===----------------------------------------------------------------------===//
// Import-time evaluators
//===----------------------------------------------------------------------===//

std::optional<int64_t> evalAdd(ArrayRef<int64_t> a) { return a[0] + a[1]; }
std::optional<int64_t> evalSub(ArrayRef<int64_t> a) { return a[0] - a[1]; }
std::optional<int64_t> evalMul(ArrayRef<int64_t> a) { return a[0] * a[1]; }
std::optional<int64_t> evalDiv(ArrayRef<int64_t> a) {
  if (a[1] == 0)
    return std::nullopt;
  return a[0] / a[1];
}
std::optional<int64_t> evalMod(ArrayRef<int64_t> a) {
  if (a[1] == 0)
    return std::nullopt;
  int64_t r = a[0] % a[1];
  if (r != 0 && ((r < 0) != (a[1] < 0)))
    r += a[1];
  return r;
}
std::optional<int64_t> evalMax(ArrayRef<int64_t> a) {
  return *std::max_element(a.begin(), a.end());
}
std::optional<int64_t> evalMin(ArrayRef<int64_t> a) {
  return *std::min_element(a.begin(), a.end());
}
std::optional<int64_t> evalEq(ArrayRef<int64_t> a) { return a[0] == a[1]; }
std::optional<int64_t> evalLt(ArrayRef<int64_t> a) { return a[0] < a[1]; }
std::optional<int64_t> evalLe(ArrayRef<int64_t> a) { return a[0] <= a[1]; }
std::optional<int64_t> evalGt(ArrayRef<int64_t> a) { return a[0] > a[1]; }
std::optional<int64_t> evalGe(ArrayRef<int64_t> a) { return a[0] >= a[1]; }
std::optional<int64_t> evalAnd(ArrayRef<int64_t> a) { return a[0] && a[1]; }
std::optional<int64_t> evalOr(ArrayRef<int64_t> a) { return a[0] || a[1]; }
std::optional<int64_t> evalXor(ArrayRef<int64_t> a) {
  return (a[0] != 0) != (a[1] != 0);
}
std::optional<int64_t> evalNot(ArrayRef<int64_t> a) { return !a[0]; }
std::optional<int64_t> evalNeg(ArrayRef<int64_t> a) { return -a[0]; }
std::optional<int64_t> evalAbs(ArrayRef<int64_t> a) { return std::abs(a[0]); }
std::optional<int64_t> evalWhere(ArrayRef<int64_t> a) {
  return a[0] ? a[1] : a[2];
}

const ElementwiseSpec kAdd{binaryBody<arith::AddFOp>, binaryBody<arith::AddIOp>,
                           evalAdd, false, binaryBody<arith::AddIOp>};
const ElementwiseSpec kSub{binaryBody<arith::SubFOp>, binaryBody<arith::SubIOp>,
                           evalSub, false, binaryBody<arith::SubIOp>};
const ElementwiseSpec kMul{binaryBody<arith::MulFOp>, binaryBody<arith::MulIOp>,
                           evalMul, false, binaryBody<arith::MulIOp>};
const ElementwiseSpec kDiv{binaryBody<arith::DivFOp>,
                           binaryBody<arith::DivSIOp>, evalDiv, false,
                           binaryBody<arith::DivUIOp>};
const ElementwiseSpec kPow{powFloatBody, powIntBody, nullptr};
// Unsigned: the remainder has no sign to fix, fmod or not.
const ElementwiseSpec kMod{binaryBody<arith::RemFOp>, modIntBody, evalMod,
                           false, binaryBody<arith::RemUIOp>};
const ElementwiseSpec kFMod{binaryBody<arith::RemFOp>,
                            binaryBody<arith::RemSIOp>, nullptr, false,
                            binaryBody<arith::RemUIOp>};
const ElementwiseSpec kEqual{cmpfBody<arith::CmpFPredicate::OEQ>,
                             cmpiBody<arith::CmpIPredicate::eq>, evalEq, true,
                             cmpiBody<arith::CmpIPredicate::eq>};
const ElementwiseSpec kLess{cmpfBody<arith::CmpFPredicate::OLT>,
                            cmpiBody<arith::CmpIPredicate::slt>, evalLt, true,
                            cmpiBody<arith::CmpIPredicate::ult>};
const ElementwiseSpec kLessOrEqual{cmpfBody<arith::CmpFPredicate::OLE>,
                                   cmpiBody<arith::CmpIPredicate::sle>, evalLe,
                                   true, cmpiBody<arith::CmpIPredicate::ule>};
const ElementwiseSpec kGreater{cmpfBody<arith::CmpFPredicate::OGT>,
                               cmpiBody<arith::CmpIPredicate::sgt>, evalGt,
                               true, cmpiBody<arith::CmpIPredicate::ugt>};
const ElementwiseSpec kGreaterOrEqual{
    cmpfBody<arith::CmpFPredicate::OGE>, cmpiBody<arith::CmpIPredicate::sge>,
    evalGe, true, cmpiBody<arith::CmpIPredicate::uge>};
const ElementwiseSpec kAnd{nullptr, binaryBody<arith::AndIOp>, evalAnd};
const ElementwiseSpec kOr{nullptr, binaryBody<arith::OrIOp>, evalOr};
const ElementwiseSpec kXor{nullptr, binaryBody<arith::XOrIOp>, evalXor};
const ElementwiseSpec kNot{nullptr, notBody, evalNot};
const ElementwiseSpec kNeg{unaryBody<arith::NegFOp>, negIntBody, evalNeg};
const ElementwiseSpec kAbs{unaryBody<math::AbsFOp>, unaryBody<math::AbsIOp>,
                           evalAbs, false, identityBody};
const ElementwiseSpec kSqrt{unaryBody<math::SqrtOp>, nullptr, nullptr};
const ElementwiseSpec kReciprocal{reciprocalBody, nullptr, nullptr};
const ElementwiseSpec kExp{unaryBody<math::ExpOp>, nullptr, nullptr};
const ElementwiseSpec kLog{unaryBody<math::LogOp>, nullptr, nullptr};
const ElementwiseSpec kErf{unaryBody<math::ErfOp>, nullptr, nullptr};
const ElementwiseSpec kTanh{unaryBody<math::TanhOp>, nullptr, nullptr};
const ElementwiseSpec kSigmoid{sigmoidBody, nullptr, nullptr};
const ElementwiseSpec kRelu{reluFloatBody, reluIntBody, nullptr};
const ElementwiseSpec kCos{unaryBody<math::CosOp>, nullptr, nullptr};
const ElementwiseSpec kSin{unaryBody<math::SinOp>, nullptr, nullptr};
// ONNX Round rounds half to even.
const ElementwiseSpec kRound{unaryBody<math::RoundEvenOp>, nullptr, nullptr};
const ElementwiseSpec kFloor{unaryBody<math::FloorOp>, nullptr, nullptr};
const ElementwiseSpec kCeil{unaryBody<math::CeilOp>, nullptr, nullptr};
const ElementwiseSpec kIsNaN{isNaNBody, nullptr, nullptr, true};
const ElementwiseSpec kSign{signFloatBody, nullptr, nullptr};
const ElementwiseSpec kWhere{selectBody, selectBody, evalWhere, false,
                             selectBody};

template <const ElementwiseSpec &Spec>
LogicalResult convertUnary(NodeContext &ctx) {
  return convertElementwise(ctx, Spec, {0});
}

template <const ElementwiseSpec &Spec>
LogicalResult convertBinary(NodeContext &ctx) {
  return convertElementwise(ctx, Spec, {0, 1});
}

//===----------------------------------------------------------------------===//
// Ops with attributes or special cases
//===----------------------------------------------------------------------===//

/// Pow with a constant scalar exponent of 2 or 0.5 (every RMSNorm and
/// LayerNorm export has one) is a multiply or a square root.
LogicalResult convertPow(NodeContext &ctx) {
  Value base = ctx.requiredInput(0);
  if (!base)
    return failure();
  Type elementType = cast<RankedTensorType>(base.getType()).getElementType();
  if (ElementsAttr exponent = ctx.constantAttr(1);
      exponent && isa<FloatType>(elementType) &&
      exponent.getNumElements() == 1) {
    double e;
    if (isa<FloatType>(exponent.getElementType()))
      e = (*exponent.value_begin<APFloat>()).convertToDouble();
    else
      e = (double)(*exponent.value_begin<APInt>()).getSExtValue();
    auto shape = cast<ShapedType>(exponent.getType()).getShape();
    bool resultShapeUnchanged =
        (int64_t)shape.size() <=
        cast<RankedTensorType>(base.getType()).getRank();
    if ((e == 2.0 || e == 0.5 || e == 1.0) && resultShapeUnchanged) {
      Value result = buildElementwise(
          ctx, {base}, elementType,
          [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
            if (e == 2.0)
              return arith::MulFOp::create(b, loc, args[0], args[0]);
            if (e == 0.5)
              return math::SqrtOp::create(b, loc, args[0]);
            return args[0];
          });
      if (!result)
        return failure();
      ctx.setOutput(0, result);
      return success();
    }
  }
  return convertElementwise(ctx, kPow, {0, 1});
}

/// Max and Min are variadic.
template <bool IsMax> LogicalResult convertMinMax(NodeContext &ctx) {
  if (ctx.numInputs() < 1)
    return ctx.fail("needs at least one input");
  SmallVector<unsigned> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    inputs.push_back(i);
  static const ElementwiseSpec spec{
      [](OpBuilder &b, Location loc, ValueRange args) {
        Value r = args[0];
        for (Value v : args.drop_front())
          r = IsMax ? (Value)arith::MaximumFOp::create(b, loc, r, v)
                    : (Value)arith::MinimumFOp::create(b, loc, r, v);
        return r;
      },
      [](OpBuilder &b, Location loc, ValueRange args) {
        Value r = args[0];
        for (Value v : args.drop_front())
          r = IsMax ? (Value)arith::MaxSIOp::create(b, loc, r, v)
                    : (Value)arith::MinSIOp::create(b, loc, r, v);
        return r;
      },
      IsMax ? evalMax : evalMin, false,
      [](OpBuilder &b, Location loc, ValueRange args) {
        Value r = args[0];
        for (Value v : args.drop_front())
          r = IsMax ? (Value)arith::MaxUIOp::create(b, loc, r, v)
                    : (Value)arith::MinUIOp::create(b, loc, r, v);
        return r;
      }};
  return convertElementwise(ctx, spec, inputs);
}

LogicalResult convertMod(NodeContext &ctx) {
  int64_t fmod = ctx.intAttr("fmod", 0);
  Value a = ctx.requiredInput(0);
  if (!a)
    return failure();
  if (isa<FloatType>(cast<RankedTensorType>(a.getType()).getElementType()) &&
      fmod != 1)
    return ctx.fail("float Mod requires fmod=1");
  return convertElementwise(ctx, fmod ? kFMod : kMod, {0, 1});
}

LogicalResult convertWhere(NodeContext &ctx) {
  return convertElementwise(ctx, kWhere, {0, 1, 2}, /*typeOperand=*/1);
}

LogicalResult convertLeakyRelu(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  double alpha = ctx.floatAttr("alpha", 0.01f);
  Type t = cast<RankedTensorType>(x.getType()).getElementType();
  Value result = buildElementwise(
      ctx, {x}, t, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value zero = scalarConstant(b, loc, t, 0.0);
        Value scaled = arith::MulFOp::create(b, loc, args[0],
                                             scalarConstant(b, loc, t, alpha));
        Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                          args[0], zero);
        return arith::SelectOp::create(b, loc, pos, args[0], scaled);
      });
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

/// Gelu (opset 20): exact (erf) or tanh approximation.
LogicalResult convertGelu(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  std::string approximate = ctx.stringAttr("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return ctx.fail("approximate='" + approximate +
                    "' must be 'none' or 'tanh'");
  Type t = cast<RankedTensorType>(x.getType()).getElementType();
  Value result = buildElementwise(
      ctx, {x}, t, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value v = args[0];
        auto c = [&](double d) { return scalarConstant(b, loc, t, d); };
        Value inner;
        if (approximate == "none") {
          Value scaled = arith::MulFOp::create(b, loc, v, c(M_SQRT1_2));
          inner = math::ErfOp::create(b, loc, scaled);
        } else {
          Value cube = arith::MulFOp::create(
              b, loc, v, arith::MulFOp::create(b, loc, v, v));
          Value poly = arith::AddFOp::create(
              b, loc, v, arith::MulFOp::create(b, loc, cube, c(0.044715)));
          Value scaled =
              arith::MulFOp::create(b, loc, poly, c(std::sqrt(2.0 / M_PI)));
          inner = math::TanhOp::create(b, loc, scaled);
        }
        Value onePlus = arith::AddFOp::create(b, loc, inner, c(1.0));
        Value half = arith::MulFOp::create(b, loc, v, c(0.5));
        return arith::MulFOp::create(b, loc, half, onePlus);
      });
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

/// Clip: bounds as optional scalar inputs (opset >= 11).
LogicalResult convertClip(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  Type t = cast<RankedTensorType>(x.getType()).getElementType();
  bool isFloat = isa<FloatType>(t);
  SmallVector<Value> operands{x};
  if (ctx.opset < 11) {
    // Clip-6: bounds as float attributes.
    if (!isFloat)
      return ctx.fail("Clip before opset 11 takes float inputs only");
    float lo = ctx.floatAttr("min", -std::numeric_limits<float>::max());
    float hi = ctx.floatAttr("max", std::numeric_limits<float>::max());
    Value result = buildElementwise(
        ctx, {x}, t, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value v = arith::MaximumFOp::create(b, loc, args[0],
                                              scalarConstant(b, loc, t, lo));
          return arith::MinimumFOp::create(b, loc, v,
                                           scalarConstant(b, loc, t, hi));
        });
    if (!result)
      return failure();
    ctx.setOutput(0, result);
    return success();
  }
  bool hasMin = ctx.hasInput(1), hasMax = ctx.hasInput(2);
  for (unsigned i : {1u, 2u}) {
    if (!ctx.hasInput(i))
      continue;
    Value bound = ctx.input(i);
    auto type = cast<RankedTensorType>(bound.getType());
    if (type.getRank() != 0 && type.getNumElements() != 1)
      return ctx.fail(Twine(i == 1 ? "min" : "max") + " must be a scalar");
    if (type.getElementType() != t)
      return ctx.fail("bounds must have the input's element type");
    operands.push_back(bound);
  }
  bool isUnsigned = isUnsignedInteger(t);
  Value result = buildElementwise(
      ctx, operands, t, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value v = toSignless(b, loc, args[0]);
        unsigned next = 1;
        if (hasMin) {
          Value lo = toSignless(b, loc, args[next++]);
          v = isFloat      ? (Value)arith::MaximumFOp::create(b, loc, v, lo)
              : isUnsigned ? (Value)arith::MaxUIOp::create(b, loc, v, lo)
                           : (Value)arith::MaxSIOp::create(b, loc, v, lo);
        }
        if (hasMax) {
          Value hi = toSignless(b, loc, args[next++]);
          v = isFloat      ? (Value)arith::MinimumFOp::create(b, loc, v, hi)
              : isUnsigned ? (Value)arith::MinUIOp::create(b, loc, v, hi)
                           : (Value)arith::MinSIOp::create(b, loc, v, hi);
        }
        return fromSignless(b, loc, v, t);
      });
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

LogicalResult castTo(NodeContext &ctx, Type to) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getElementType() == to) {
    ctx.setOutput(0, x);
    return success();
  }
  auto runtime = [&]() -> Value {
    return buildElementwise(ctx, {x}, to,
                            [&](OpBuilder &b, Location loc, ValueRange args) {
                              return castScalar(b, loc, args[0], to);
                            });
  };
  if (const KnownInts *known = ctx.known(0); known && to.isSignlessInteger()) {
    KnownInts converted;
    for (std::optional<int64_t> v : *known)
      converted.push_back(
          v ? std::optional<int64_t>(to.isInteger(1) ? *v != 0 : *v)
            : std::nullopt);
    return ctx.setKnownOutput(0, converted, type.getShape(), to, runtime);
  }
  Value result = runtime();
  if (!result)
    return failure();
  ctx.setOutput(0, result);
  return success();
}

LogicalResult convertCast(NodeContext &ctx) {
  const onnx::AttributeProto *to = ctx.attr("to");
  if (!to)
    return ctx.fail("missing required attribute 'to'");
  Type type = elementTypeFor(ctx.context(), to->i());
  if (!type)
    return ctx.fail("cannot cast to unsupported type " + onnxTypeName(to->i()));
  return castTo(ctx, type);
}

LogicalResult convertCastLike(NodeContext &ctx) {
  RankedTensorType target = ctx.inputType(1);
  if (!target)
    return ctx.fail("missing required input #1");
  return castTo(ctx, target.getElementType());
}

LogicalResult convertIdentity(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  ctx.setOutput(0, x);
  return success();
}

/// Dropout at inference is the identity; the optional mask is all true.
LogicalResult convertDropout(NodeContext &ctx) {
  Value x = ctx.requiredInput(0);
  if (!x)
    return failure();
  if (std::optional<SmallVector<int64_t>> training = ctx.constantInts(2);
      training && !training->empty() && (*training)[0] != 0)
    return ctx.fail("training_mode=true is not supported");
  if (ctx.hasInput(2) && !ctx.constantInts(2))
    return ctx.fail("training_mode must be a constant");
  ctx.setOutput(0, x);
  if (ctx.hasOutput(1)) {
    auto type = cast<RankedTensorType>(x.getType());
    Value t =
        arith::ConstantOp::create(ctx.b, ctx.loc, ctx.b.getBoolAttr(true));
    ctx.setOutput(1, filledTensor(ctx.b, ctx.loc, type.getShape(),
                                  ctx.b.getI1Type(),
                                  dynamicSizes(ctx.b, ctx.loc, x), t));
  }
  return success();
}

} // namespace

void onebit::importer::registerElementwiseOps(OpRegistry &r) {
  r.add("Add", [](NodeContext &ctx) {
    if (foldBiasIntoLinear(ctx))
      return success();
    return convertBinary<kAdd>(ctx);
  });
  r.add("Sub", convertBinary<kSub>);
  r.add("Mul", convertBinary<kMul>);
  r.add("Div", convertBinary<kDiv>);
  r.add("Pow", convertPow);
  r.add("Mod", convertMod);
  r.add("Max", convertMinMax<true>);
  r.add("Min", convertMinMax<false>);
  r.add("Equal", convertBinary<kEqual>);
  r.add("Less", convertBinary<kLess>);
  r.add("LessOrEqual", convertBinary<kLessOrEqual>);
  r.add("Greater", convertBinary<kGreater>);
  r.add("GreaterOrEqual", convertBinary<kGreaterOrEqual>);
  r.add("And", convertBinary<kAnd>);
  r.add("Or", convertBinary<kOr>);
  r.add("Xor", convertBinary<kXor>);
  r.add("Not", convertUnary<kNot>);
  r.add("Neg", convertUnary<kNeg>);
  r.add("Abs", convertUnary<kAbs>);
  r.add("Sqrt", convertUnary<kSqrt>);
  r.add("Reciprocal", convertUnary<kReciprocal>);
  r.add("Exp", convertUnary<kExp>);
  r.add("Log", convertUnary<kLog>);
  r.add("Erf", convertUnary<kErf>);
  r.add("Tanh", convertUnary<kTanh>);
  r.add("Sigmoid", convertUnary<kSigmoid>);
  r.add("Relu", convertUnary<kRelu>);
  r.add("Cos", convertUnary<kCos>);
  r.add("Sin", convertUnary<kSin>);
  r.add("Round", convertUnary<kRound>);
  r.add("Floor", convertUnary<kFloor>);
  r.add("Ceil", convertUnary<kCeil>);
  r.add("IsNaN", convertUnary<kIsNaN>);
  r.add("Sign", convertUnary<kSign>);
  r.add("Where", convertWhere);
  r.add("LeakyRelu", convertLeakyRelu);
  r.add("Gelu", convertGelu);
  r.add("Clip", convertClip);
  r.add("Cast", convertCast);
  r.add("CastLike", convertCastLike);
  r.add("Identity", convertIdentity);
  r.add("Dropout", convertDropout);
}
