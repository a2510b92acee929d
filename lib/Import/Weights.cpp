//===- Weights.cpp - Initializers to elements attributes ------------------===//
//
// Weights are the bulk of a model, so they are copied as little as possible:
// raw_data is moved out of the protobuf into the resource blob that the IR
// keeps, external data files are memory-mapped once and blobs point into the
// mapping. Only a layout change (a MatMul weight transposed to out x in) or a
// scale (Gemm's alpha) makes a new buffer.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace onebit::importer;

Type onebit::importer::elementTypeFor(MLIRContext *context, int32_t onnxType) {
  Builder b(context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT16:
    return b.getI16Type();
  case onnx::TensorProto::INT8:
    return b.getI8Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  // Unsigned tensors keep their signedness in the type through the import,
  // so that each op picks unsigned arithmetic and the schema checks tell
  // uint8 from int8; the lowering makes them signless (SignlessIntegers.cpp).
  case onnx::TensorProto::UINT8:
    return IntegerType::get(context, 8, IntegerType::Unsigned);
  case onnx::TensorProto::UINT16:
    return IntegerType::get(context, 16, IntegerType::Unsigned);
  case onnx::TensorProto::UINT32:
    return IntegerType::get(context, 32, IntegerType::Unsigned);
  case onnx::TensorProto::UINT64:
    return IntegerType::get(context, 64, IntegerType::Unsigned);
  default:
    // Strings and complex numbers have no place in these graphs.
    return {};
  }
}

std::string onebit::importer::onnxTypeName(int32_t onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(onnxType));
  return "<data type " + std::to_string(onnxType) + ">";
}

/// Bytes per element as stored in raw_data (bool: one byte).
static size_t storageBytes(Type type) {
  return type.isInteger(1) ? 1 : type.getIntOrFloatBitWidth() / 8;
}

/// Resource keys print bare, so keep them to identifier characters.
static std::string blobName(StringRef name) {
  std::string result = name.empty() ? "weight" : name.str();
  for (char &c : result)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  return result;
}

/// The typed-field payload of `tensor` in raw little-endian layout.
static FailureOr<std::vector<char>>
decodeTypedFields(const onnx::TensorProto &tensor, Type type,
                  int64_t numElements) {
  std::vector<char> bytes;
  auto expect = [&](int64_t count) { return count == numElements; };
  if (type.isF32()) {
    if (!expect(tensor.float_data_size()))
      return failure();
    bytes.resize(numElements * 4);
    std::memcpy(bytes.data(), tensor.float_data().data(), bytes.size());
  } else if (type.isF64()) {
    if (!expect(tensor.double_data_size()))
      return failure();
    bytes.resize(numElements * 8);
    std::memcpy(bytes.data(), tensor.double_data().data(), bytes.size());
  } else if (type.isUnsignedInteger(64) || type.isUnsignedInteger(32)) {
    // uint32 and uint64 live in uint64_data.
    if (!expect(tensor.uint64_data_size()))
      return failure();
    size_t width = storageBytes(type);
    bytes.resize(numElements * width);
    for (int64_t i = 0; i < numElements; ++i) {
      uint64_t v = tensor.uint64_data(i);
      std::memcpy(bytes.data() + i * width, &v, width);
    }
  } else if (type.isInteger(64)) {
    if (!expect(tensor.int64_data_size()))
      return failure();
    bytes.resize(numElements * 8);
    std::memcpy(bytes.data(), tensor.int64_data().data(), bytes.size());
  } else {
    // int32, (u)int16, (u)int8, bool, float16 and bfloat16 (as bit patterns)
    // all live in int32_data.
    if (!expect(tensor.int32_data_size()))
      return failure();
    size_t width = storageBytes(type);
    bytes.resize(numElements * width);
    for (int64_t i = 0; i < numElements; ++i) {
      int32_t v = tensor.int32_data(i);
      std::memcpy(bytes.data() + i * width, &v, width);
    }
  }
  return bytes;
}

FailureOr<std::pair<ArrayRef<char>, std::shared_ptr<void>>>
WeightReader::readExternal(const onnx::TensorProto &tensor, size_t byteSize,
                           Location loc) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    StringRef key = entry.key();
    if (key == "location") {
      location = entry.value();
    } else if (key == "offset" || key == "length") {
      int64_t v;
      if (StringRef(entry.value()).getAsInteger(10, v) || v < 0) {
        emitError(loc) << "initializer '" << tensor.name()
                       << "': bad external data " << key << " '"
                       << entry.value() << "'";
        return failure();
      }
      (key == "offset" ? offset : length) = v;
    }
  }
  if (location.empty()) {
    emitError(loc) << "initializer '" << tensor.name()
                   << "' has external data without a location";
    return failure();
  }
  // The ONNX spec keeps external files next to the model.
  if (llvm::sys::path::is_absolute(location) ||
      StringRef(location).contains("..")) {
    emitError(loc) << "initializer '" << tensor.name()
                   << "': external data location '" << location
                   << "' must be a path relative to the model's directory";
    return failure();
  }
  SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);

  std::shared_ptr<void> &owner = mappedFiles[path];
  if (!owner) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
        llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!file) {
      emitError(loc) << "initializer '" << tensor.name()
                     << "': cannot read external data '" << path
                     << "': " << file.getError().message();
      mappedFiles.erase(path);
      return failure();
    }
    owner = std::shared_ptr<llvm::MemoryBuffer>(std::move(*file));
  }
  auto *buffer = static_cast<llvm::MemoryBuffer *>(owner.get());
  if (length < 0)
    length = byteSize;
  if ((size_t)length != byteSize ||
      (size_t)offset + (size_t)length > buffer->getBufferSize()) {
    emitError(loc) << "initializer '" << tensor.name() << "': external data '"
                   << location << "' (offset " << offset << ", length "
                   << length << ", file size " << buffer->getBufferSize()
                   << ") does not hold the " << byteSize
                   << " bytes the tensor needs";
    return failure();
  }
  return std::make_pair(
      ArrayRef<char>(buffer->getBufferStart() + offset, length), owner);
}

LogicalResult WeightReader::check(const onnx::TensorProto &tensor,
                                  Location loc) {
  MLIRContext *context = loc.getContext();
  Type elementType = elementTypeFor(context, tensor.data_type());
  if (!elementType) {
    emitError(loc) << "initializer '" << tensor.name()
                   << "' has unsupported element type "
                   << onnxTypeName(tensor.data_type());
    return failure();
  }
  int64_t numElements = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      emitError(loc) << "initializer '" << tensor.name()
                     << "' has negative dim " << d;
      return failure();
    }
    if (d != 0 && numElements > (int64_t(1) << 50) / d) {
      emitError(loc) << "initializer '" << tensor.name() << "' is too large";
      return failure();
    }
    numElements *= d;
  }
  // External files are opened and checked where the tensor is read.
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL ||
      releasedRawData.count(&tensor))
    return success();
  size_t byteSize = numElements * storageBytes(elementType);
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() == byteSize)
      return success();
    emitError(loc) << "initializer '" << tensor.name() << "' has "
                   << tensor.raw_data().size()
                   << " bytes of raw_data but its shape and type need "
                   << byteSize;
    return failure();
  }
  bool inUint64Data =
      elementType.isUnsignedInteger(32) || elementType.isUnsignedInteger(64);
  int64_t values = elementType.isF32()         ? tensor.float_data_size()
                   : elementType.isF64()       ? tensor.double_data_size()
                   : inUint64Data              ? tensor.uint64_data_size()
                   : elementType.isInteger(64) ? tensor.int64_data_size()
                                               : tensor.int32_data_size();
  if (values == numElements)
    return success();
  emitError(loc) << "initializer '" << tensor.name()
                 << "': the number of values does not match its shape";
  return failure();
}

ElementsAttr WeightReader::read(onnx::TensorProto &tensor, Location loc,
                                bool transpose2d, double scale) {
  MLIRContext *context = loc.getContext();
  Type elementType = elementTypeFor(context, tensor.data_type());
  if (!elementType) {
    emitError(loc) << "initializer '" << tensor.name()
                   << "' has unsupported element type "
                   << onnxTypeName(tensor.data_type());
    return {};
  }
  SmallVector<int64_t> shape;
  int64_t numElements = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      emitError(loc) << "initializer '" << tensor.name()
                     << "' has negative dim " << d;
      return {};
    }
    shape.push_back(d);
    if (d != 0 && numElements > (int64_t(1) << 50) / d) {
      emitError(loc) << "initializer '" << tensor.name() << "' is too large";
      return {};
    }
    numElements *= d;
  }
  if (transpose2d) {
    if (shape.size() != 2) {
      emitError(loc) << "initializer '" << tensor.name()
                     << "' is not 2-d and cannot be used as a weight matrix";
      return {};
    }
    std::swap(shape[0], shape[1]);
  }
  auto type = RankedTensorType::get(shape, elementType);
  size_t width = storageBytes(elementType);
  size_t byteSize = numElements * width;

  // Locate the bytes and whoever owns them.
  ArrayRef<char> bytes;
  std::shared_ptr<void> owner;
  std::vector<char> decoded;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto external = readExternal(tensor, byteSize, loc);
    if (failed(external))
      return {};
    std::tie(bytes, owner) = *external;
  } else if (auto it = releasedRawData.find(&tensor);
             it != releasedRawData.end()) {
    bytes = it->second;
  } else if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != byteSize) {
      emitError(loc) << "initializer '" << tensor.name() << "' has "
                     << tensor.raw_data().size()
                     << " bytes of raw_data but its shape and type need "
                     << byteSize;
      return {};
    }
    bytes = ArrayRef<char>(tensor.raw_data().data(), byteSize);
  } else {
    FailureOr<std::vector<char>> typed =
        decodeTypedFields(tensor, elementType, numElements);
    if (failed(typed)) {
      emitError(loc) << "initializer '" << tensor.name()
                     << "': the number of values does not match its shape";
      return {};
    }
    decoded = std::move(*typed);
    bytes = decoded;
  }

  bool needsNewBuffer =
      (transpose2d && shape[0] > 1 && shape[1] > 1) || scale != 1.0;
  if (scale != 1.0 && !elementType.isF32()) {
    emitError(loc) << "initializer '" << tensor.name()
                   << "': scaling is only implemented for float weights";
    return {};
  }
  // Fill `out` with the transposed and scaled elements.
  auto transform = [&](char *out) {
    if (!transpose2d || shape[0] <= 1 || shape[1] <= 1) {
      std::memcpy(out, bytes.data(), byteSize);
    } else {
      // Source is rows x cols = shape[1] x shape[0].
      int64_t rows = shape[1], cols = shape[0];
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          std::memcpy(out + (c * rows + r) * width,
                      bytes.data() + (r * cols + c) * width, width);
    }
    if (scale != 1.0) {
      auto *values = reinterpret_cast<float *>(out);
      for (int64_t i = 0; i < numElements; ++i)
        values[i] = static_cast<float>(values[i] * scale);
    }
  };

  // Vectors stay dense literals: the passes that fold per-channel scales and
  // biases read them as DenseElementsAttr, and they are small.
  bool asResource = isa<FloatType>(elementType) &&
                    numElements > kMaxInlineElements && shape.size() != 1;
  if (!asResource) {
    if (elementType.isInteger(1)) {
      SmallVector<bool> values;
      for (int64_t i = 0; i < numElements; ++i)
        values.push_back(bytes[i] != 0);
      return DenseElementsAttr::get(type, ArrayRef<bool>(values));
    }
    std::vector<char> storage(byteSize);
    transform(storage.data());
    return DenseElementsAttr::getFromRawBuffer(type, storage);
  }

  size_t alignment = width;
  AsmResourceBlob blob;
  bool aligned = reinterpret_cast<uintptr_t>(bytes.data()) % alignment == 0;
  if (!needsNewBuffer && aligned && owner) {
    // Point into the mapped external file.
    blob = AsmResourceBlob(
        bytes, alignment,
        [owner](void *, size_t, size_t) mutable { owner.reset(); },
        /*dataIsMutable=*/false);
  } else if (!needsNewBuffer && aligned && decoded.empty() &&
             tensor.has_raw_data()) {
    // Take the raw_data string out of the protobuf: the blob owns it now.
    std::string *raw = tensor.release_raw_data();
    ArrayRef<char> data(raw->data(), raw->size());
    releasedRawData[&tensor] = data;
    blob = AsmResourceBlob(
        data, alignment, [raw](void *, size_t, size_t) { delete raw; },
        /*dataIsMutable=*/false);
  } else {
    blob = HeapAsmResourceBlob::allocate(byteSize, alignment);
    transform(blob.getMutableData().data());
  }
  return DenseResourceElementsAttr::get(type, blobName(tensor.name()),
                                        std::move(blob));
}
