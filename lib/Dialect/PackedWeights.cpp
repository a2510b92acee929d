//===- PackedWeights.cpp - Read and create packed weight attrs ------------===//

#include "onebit/Dialect/PackedWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

std::optional<ArrayRef<uint8_t>>
onebit::getPackedBytes(ElementsAttr attr, SmallVectorImpl<uint8_t> &storage) {
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    if (dense.isSplat()) {
      uint8_t value = dense.getSplatValue<APInt>().getZExtValue();
      storage.assign(dense.getNumElements(), value);
      return ArrayRef<uint8_t>(storage);
    }
    ArrayRef<char> raw = dense.getRawData();
    return ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(raw.data()),
                             raw.size());
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> raw = blob->getData();
    return ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(raw.data()),
                             raw.size());
  }
  return std::nullopt;
}

std::optional<ArrayRef<float>>
onebit::getF32Values(ElementsAttr attr, SmallVectorImpl<float> &storage) {
  if (!attr.getElementType().isF32())
    return std::nullopt;
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    if (dense.isSplat()) {
      storage.assign(dense.getNumElements(), dense.getSplatValue<float>());
      return ArrayRef<float>(storage);
    }
    ArrayRef<char> raw = dense.getRawData();
    return ArrayRef<float>(reinterpret_cast<const float *>(raw.data()),
                           raw.size() / sizeof(float));
  }
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(attr))
    return resource.tryGetAsArrayRef();
  return std::nullopt;
}

ElementsAttr onebit::createPackedAttr(MLIRContext *context,
                                      ArrayRef<int64_t> shape,
                                      ArrayRef<uint8_t> bytes,
                                      StringRef nameHint) {
  auto type = RankedTensorType::get(shape, IntegerType::get(context, 8));
  ArrayRef<int8_t> signedBytes(reinterpret_cast<const int8_t *>(bytes.data()),
                               bytes.size());
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyInferAlign(signedBytes);
  // Resource keys print bare, so keep them to identifier characters.
  std::string name = nameHint.str();
  for (char &c : name)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

Value onebit::emitQuantizedValue(OpBuilder &b, Location loc, Value packed,
                                 Value row, Value col, int64_t bits) {
  if (bits == 8)
    return tensor::ExtractOp::create(b, loc, packed, ValueRange{row, col});
  // Shift the nibble into the byte's high half, then arithmetically back
  // down: by 4 for the low nibble (even col), by 0 for the high one.
  Type i8 = b.getI8Type();
  Value two = arith::ConstantIndexOp::create(b, loc, 2);
  Value byte = tensor::ExtractOp::create(
      b, loc, packed, ValueRange{row, arith::DivUIOp::create(b, loc, col, two)});
  Value odd = arith::IndexCastOp::create(
      b, loc, i8, arith::RemUIOp::create(b, loc, col, two));
  Value four = arith::ConstantIntOp::create(b, loc, i8, 4);
  Value up = arith::SubIOp::create(b, loc, four,
                                   arith::MulIOp::create(b, loc, odd, four));
  return arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, byte, up),
                                four);
}

void onebit::releaseDroppedBlobs(Operation *root, ArrayRef<Attribute> dropped) {
  if (dropped.empty())
    return;
  llvm::DenseSet<Attribute> held;
  root->walk([&](arith::ConstantOp constant) { held.insert(constant.getValue()); });
  for (Attribute attr : dropped) {
    auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
    if (!resource || held.contains(attr))
      continue;
    if (auto *entry = resource.getRawHandle().getResource())
      entry->setBlob(AsmResourceBlob());
  }
}
