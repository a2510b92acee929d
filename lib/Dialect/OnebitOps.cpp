//===- OnebitOps.cpp - onebit operation verifiers and folds ---------------===//
//
// The verifiers check everything the op docs promise: shapes of input, result,
// bias, scales and value vectors, the packed sizes, and the packed bits
// themselves (no weight with both plane bits, no stray padding bits). A
// check that always holds canonicalizes away.
//
//===----------------------------------------------------------------------===//

#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Dialect/PackedWeights.h"
#include "onebit/Quant/Packing.h"
#include "onebit/Quant/RowScaled.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace onebit;

namespace {

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleave(
      shape, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << "?";
        else
          os << dim;
      },
      ", ");
  os << "]";
  return text;
}

bool dimsConflict(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

/// Input rank >= 1, result of the same rank and batch dimensions, input's last
/// dimension K and result's last dimension N.
LogicalResult verifyLinearShapes(Operation *op, RankedTensorType input,
                                 RankedTensorType result, int64_t inFeatures,
                                 int64_t outFeatures) {
  if (input.getRank() < 1)
    return op->emitOpError("input must have rank >= 1, got a 0-d tensor");
  if (result.getRank() != input.getRank())
    return op->emitOpError("result rank ")
           << result.getRank() << " must equal input rank " << input.getRank();
  for (int64_t i = 0, last = input.getRank() - 1; i < last; ++i)
    if (dimsConflict(input.getDimSize(i), result.getDimSize(i)))
      return op->emitOpError("result batch dimension ")
             << i << " (" << result.getDimSize(i)
             << ") must equal input dimension " << i << " ("
             << input.getDimSize(i) << ")";
  if (dimsConflict(input.getShape().back(), inFeatures))
    return op->emitOpError("input has ")
           << input.getShape().back()
           << " features (last dimension) but the weights have " << inFeatures;
  if (dimsConflict(result.getShape().back(), outFeatures))
    return op->emitOpError("result has ")
           << result.getShape().back()
           << " features (last dimension) but the weights have "
           << outFeatures << " output channels";
  return success();
}

LogicalResult verifyBias(Operation *op, Value bias, int64_t outFeatures,
                         Type elementType) {
  if (!bias)
    return success();
  auto type = cast<RankedTensorType>(bias.getType());
  if (type.getRank() != 1 || dimsConflict(type.getDimSize(0), outFeatures))
    return op->emitOpError("bias must have shape [")
           << outFeatures << "], got " << formatShape(type.getShape());
  if (type.getElementType() != elementType)
    return op->emitOpError("bias element type ")
           << type.getElementType() << " must match the input's "
           << elementType;
  return success();
}

/// A 1-d f32 vector attribute of one of the allowed lengths.
LogicalResult verifyVectorLength(Operation *op, StringRef what,
                                 DenseElementsAttr attr,
                                 ArrayRef<int64_t> allowedLengths,
                                 StringRef expectation) {
  auto type = cast<ShapedType>(attr.getType());
  if (type.getRank() == 1 && llvm::is_contained(allowedLengths, type.getDimSize(0)))
    return success();
  return op->emitOpError() << what << " must have " << expectation << ", got "
                           << formatShape(type.getShape());
}

/// The packed attribute is i8 of exactly `expectedShape` and its blob holds
/// the data. Returns the bytes for content checks.
FailureOr<ArrayRef<uint8_t>>
verifyPackedAttr(Operation *op, StringRef what, ElementsAttr attr,
                 ArrayRef<int64_t> expectedShape, StringRef layout,
                 SmallVectorImpl<uint8_t> &storage) {
  auto type = dyn_cast<RankedTensorType>(attr.getShapedType());
  if (!type || !type.getElementType().isInteger(8))
    return op->emitOpError() << what << " must be an i8 tensor, got "
                             << attr.getShapedType();
  if (type.getShape() != expectedShape)
    return op->emitOpError()
           << what << " must have shape " << formatShape(expectedShape) << " ("
           << layout << "), got " << formatShape(type.getShape());
  std::optional<ArrayRef<uint8_t>> bytes = getPackedBytes(attr, storage);
  if (!bytes)
    return op->emitOpError() << what << " has no data (a dense_resource "
                                        "whose blob is missing)";
  if (static_cast<int64_t>(bytes->size()) != type.getNumElements())
    return op->emitOpError()
           << what << " holds " << bytes->size() << " bytes but its type has "
           << type.getNumElements();
  return *bytes;
}

/// K of a low-bit op is the input's last dimension, which the packing depends
/// on and so must be static.
FailureOr<int64_t> staticInFeatures(Operation *op, RankedTensorType input) {
  if (input.getRank() < 1)
    return op->emitOpError("input must have rank >= 1, got a 0-d tensor");
  int64_t k = input.getShape().back();
  if (ShapedType::isDynamic(k))
    return op->emitOpError(
        "input feature dimension (the last) must be static for packed weights");
  return k;
}

} // namespace

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  RankedTensorType result = getResult().getType();
  if (weight.getRank() != 2)
    return emitOpError("weight must be 2-d (out x in), got ")
           << formatShape(weight.getShape());
  Type elementType = input.getElementType();
  if (weight.getElementType() != elementType ||
      result.getElementType() != elementType)
    return emitOpError("input, weight and result must have one element type, "
                       "got ")
           << elementType << ", " << weight.getElementType() << " and "
           << result.getElementType();
  if (failed(verifyLinearShapes(*this, input, result, weight.getDimSize(1),
                                weight.getDimSize(0))))
    return failure();
  return verifyBias(*this, getBias(), weight.getDimSize(0), elementType);
}

//===----------------------------------------------------------------------===//
// TernaryLinearOp
//===----------------------------------------------------------------------===//

int64_t TernaryLinearOp::getInFeatures() {
  return getInput().getType().getShape().back();
}

int64_t TernaryLinearOp::getOutFeatures() {
  return getPackedWeights().getShapedType().getDimSize(0);
}

LogicalResult TernaryLinearOp::verify() {
  FailureOr<int64_t> k = staticInFeatures(*this, getInput().getType());
  if (failed(k))
    return failure();
  auto packedType = dyn_cast<RankedTensorType>(getPackedWeights().getShapedType());
  if (!packedType || packedType.getRank() != 3)
    return emitOpError("packed_weights must be 3-d (out x 2 x ceil(in/8)), got ")
           << getPackedWeights().getShapedType();
  int64_t n = packedType.getDimSize(0);
  if (failed(verifyLinearShapes(*this, getInput().getType(),
                                getResult().getType(), *k, n)))
    return failure();

  SmallVector<uint8_t> storage;
  int64_t expected[] = {n, 2, quant::bitPlaneBytes(*k)};
  FailureOr<ArrayRef<uint8_t>> bytes = verifyPackedAttr(
      *this, "packed_weights", getPackedWeights(), expected,
      "out x 2 bit planes x ceil(in/8) bytes", storage);
  if (failed(bytes))
    return failure();
  std::string why;
  if (!quant::verifyTernaryBitplanes(bytes->data(), n, *k, &why))
    return emitOpError("packed_weights are not valid ternary bit planes: ")
           << why;

  if (failed(verifyVectorLength(*this, "scale", getScale(), {1, n},
                                "1 element (per tensor) or " +
                                    std::to_string(n) +
                                    " (per output channel)")))
    return failure();
  return verifyBias(*this, getBias(), n, getInput().getType().getElementType());
}

//===----------------------------------------------------------------------===//
// SignLinearOp
//===----------------------------------------------------------------------===//

int64_t SignLinearOp::getInFeatures() {
  return getInput().getType().getShape().back();
}

int64_t SignLinearOp::getOutFeatures() {
  return getPackedSigns().getShapedType().getDimSize(0);
}

LogicalResult SignLinearOp::verify() {
  FailureOr<int64_t> k = staticInFeatures(*this, getInput().getType());
  if (failed(k))
    return failure();
  auto packedType = dyn_cast<RankedTensorType>(getPackedSigns().getShapedType());
  if (!packedType || packedType.getRank() != 2)
    return emitOpError("packed_signs must be 2-d (out x ceil(in/8)), got ")
           << getPackedSigns().getShapedType();
  int64_t n = packedType.getDimSize(0);
  if (failed(verifyLinearShapes(*this, getInput().getType(),
                                getResult().getType(), *k, n)))
    return failure();

  SmallVector<uint8_t> storage;
  int64_t expected[] = {n, quant::bitPlaneBytes(*k)};
  FailureOr<ArrayRef<uint8_t>> bytes =
      verifyPackedAttr(*this, "packed_signs", getPackedSigns(), expected,
                       "out x ceil(in/8) bytes", storage);
  if (failed(bytes))
    return failure();
  std::string why;
  if (!quant::verifySignBits(bytes->data(), n, *k, &why))
    return emitOpError("packed_signs are not valid sign bits: ") << why;

  if (auto g = getGAttr())
    if (failed(verifyVectorLength(*this, "g", g, {*k},
                                  std::to_string(*k) +
                                      " elements (one per input feature)")))
      return failure();
  if (auto h = getHAttr())
    if (failed(verifyVectorLength(*this, "h", h, {n},
                                  std::to_string(n) +
                                      " elements (one per output channel)")))
      return failure();
  return verifyBias(*this, getBias(), n, getInput().getType().getElementType());
}

//===----------------------------------------------------------------------===//
// QuantizedLinearOp
//===----------------------------------------------------------------------===//

int64_t QuantizedLinearOp::getInFeatures() {
  return getInput().getType().getShape().back();
}

int64_t QuantizedLinearOp::getOutFeatures() {
  return getWeight().getType().getDimSize(0);
}

LogicalResult QuantizedLinearOp::verify() {
  FailureOr<int64_t> k = staticInFeatures(*this, getInput().getType());
  if (failed(k))
    return failure();
  RankedTensorType weight = getWeight().getType();
  int64_t bits = getBits();
  int64_t rowBytes = quant::rowScaledBytesPerRow(*k, bits);
  if (weight.getRank() != 2 || dimsConflict(weight.getDimSize(1), rowBytes))
    return emitOpError("weight must be out x ")
           << (bits == 8 ? "in" : "ceil(in/2)") << " bytes for " << bits
           << "-bit weights (" << rowBytes << " bytes per row), got "
           << formatShape(weight.getShape());
  int64_t n = weight.getDimSize(0);
  if (failed(verifyLinearShapes(*this, getInput().getType(),
                                getResult().getType(), *k, n)))
    return failure();
  RankedTensorType scale = getScale().getType();
  if (scale.getRank() != 1 || dimsConflict(scale.getDimSize(0), n))
    return emitOpError("scale must have shape [")
           << n << "] (one per output channel), got "
           << formatShape(scale.getShape());
  return verifyBias(*this, getBias(), n, getInput().getType().getElementType());
}

LogicalResult CheckOp::canonicalize(CheckOp op, PatternRewriter &rewriter) {
  if (!matchPattern(op.getCondition(), m_One()))
    return failure();
  rewriter.eraseOp(op);
  return success();
}

#define GET_OP_CLASSES
#include "onebit/OnebitOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Byte-shuffle kernel ops
//===----------------------------------------------------------------------===//

LogicalResult ByteLookupOp::verify() {
  int64_t lanes = getTable().getType().getNumElements();
  if (lanes % 16 != 0)
    return emitOpError("needs a multiple of 16 lanes (one 16-byte table per "
                       "16 lanes), got ")
           << lanes;
  return success();
}

LogicalResult PairSumOp::verify() {
  int64_t bytes = getWeights().getType().getNumElements();
  if (getResult().getType().getNumElements() * 2 != bytes)
    return emitOpError("result must have half as many lanes as its operands (")
           << bytes / 2 << "), got "
           << getResult().getType().getNumElements();
  return success();
}

LogicalResult PairLaneLookupOp::verify() {
  int64_t lanes = getLow().getType().getNumElements();
  if (getIndices().getType().getNumElements() != lanes)
    return emitOpError("table halves and indices must have one lane count, "
                       "got ")
           << lanes << " and " << getIndices().getType().getNumElements();
  if (!llvm::isPowerOf2_64(lanes))
    return emitOpError("needs a power-of-2 lane count, got ") << lanes;
  return success();
}

LogicalResult LaneLookupOp::verify() {
  int64_t lanes = getTable().getType().getNumElements();
  if (getIndices().getType().getNumElements() != lanes)
    return emitOpError("table and indices must have one lane count, got ")
           << lanes << " and " << getIndices().getType().getNumElements();
  if (!llvm::isPowerOf2_64(lanes))
    return emitOpError("needs a power-of-2 lane count, got ") << lanes;
  return success();
}
