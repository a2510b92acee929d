//===- PackedWeights.cpp - Read and create packed weight attrs ------------===//

#include "onebit/Dialect/PackedWeights.h"

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

ElementsAttr onebit::createPackedAttr(MLIRContext *context,
                                      ArrayRef<int64_t> shape,
                                      ArrayRef<uint8_t> bytes,
                                      StringRef nameHint) {
  auto type = RankedTensorType::get(shape, IntegerType::get(context, 8));
  ArrayRef<int8_t> signedBytes(reinterpret_cast<const int8_t *>(bytes.data()),
                               bytes.size());
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyInferAlign(signedBytes);
  return DenseResourceElementsAttr::get(type, nameHint, std::move(blob));
}
