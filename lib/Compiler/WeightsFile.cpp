//===- WeightsFile.cpp - Large constants in a file beside model.so --------===//

#include "onebit/Compiler/WeightsFile.h"
#include "onebit/Runtime/ModelABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;
using namespace onebit;

namespace {

/// The row-major bytes of a constant global's value, in place, or nullopt
/// where they are not at hand as bytes (splats, bit-packed i1, a region
/// initializer).
std::optional<ArrayRef<char>> constantBytes(LLVM::GlobalOp global) {
  if (!global.getConstant())
    return std::nullopt;
  Attribute value = global.getValueOrNull();
  if (auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return blob->getData();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(value)) {
    Type element = dense.getElementType();
    if (dense.isSplat() || !element.isIntOrFloat() ||
        element.getIntOrFloatBitWidth() % 8 != 0)
      return std::nullopt;
    return dense.getRawData();
  }
  return std::nullopt;
}

struct MovedGlobal {
  LLVM::GlobalOp global;
  ArrayRef<char> bytes;
  uint64_t offset = 0;
};

SmallVector<MovedGlobal> globalsToMove(ModuleOp module, uint64_t minBytes) {
  SmallVector<MovedGlobal> moved;
  for (auto global : module.getOps<LLVM::GlobalOp>())
    if (std::optional<ArrayRef<char>> bytes = constantBytes(global))
      if (bytes->size() >= minBytes && !bytes->empty())
        moved.push_back({global, *bytes});
  return moved;
}

void writeZeros(llvm::raw_ostream &file, uint64_t count) {
  static const char zeros[4096] = {};
  for (; count > 0; count -= std::min<uint64_t>(count, sizeof(zeros)))
    file.write(zeros, std::min<uint64_t>(count, sizeof(zeros)));
}

} // namespace

uint64_t onebit::externalizableWeightBytes(ModuleOp module, uint64_t minBytes) {
  uint64_t total = 0;
  for (const MovedGlobal &moved : globalsToMove(module, minBytes))
    total += moved.bytes.size();
  return total;
}

FailureOr<uint64_t> onebit::externalizeWeights(ModuleOp module,
                                               uint64_t minBytes,
                                               StringRef fileName,
                                               llvm::raw_ostream &file) {
  SmallVector<MovedGlobal> moved = globalsToMove(module, minBytes);
  if (moved.empty())
    return 0;

  // Offsets, and an id that changes with any byte of the contents.
  uint64_t end = abi::kWeightsHeaderBytes;
  uint64_t id = llvm::xxh3_64bits(fileName);
  for (MovedGlobal &m : moved) {
    m.offset = llvm::alignTo(end, abi::kWeightsAlignment);
    end = m.offset + m.bytes.size();
    ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>(m.bytes.data()),
                            m.bytes.size());
    id = llvm::xxh3_64bits(bytes) ^ (id * 0x9E3779B97F4A7C15ull + m.offset);
  }

  // The file: magic, id, zeros up to the header's end, the constants.
  file.write(abi::kWeightsMagic, sizeof(abi::kWeightsMagic));
  char idBytes[8];
  llvm::support::endian::write64le(idBytes, id);
  file.write(idBytes, sizeof(idBytes));
  uint64_t written = sizeof(abi::kWeightsMagic) + sizeof(idBytes);
  for (const MovedGlobal &m : moved) {
    writeZeros(file, m.offset - written);
    file.write(m.bytes.data(), m.bytes.size());
    written = m.offset + m.bytes.size();
  }

  // The symbols, and every use of a moved global read from its slot.
  MLIRContext *context = module.getContext();
  Location loc = module.getLoc();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto i64 = IntegerType::get(context, 64);
  auto ptr = LLVM::LLVMPointerType::get(context);
  SmallVector<uint64_t> table = {id, end, moved.size()};
  for (const MovedGlobal &m : moved)
    table.push_back(m.offset);
  auto tableType = RankedTensorType::get({int64_t(table.size())}, i64);
  LLVM::GlobalOp::create(
      b, loc, LLVM::LLVMArrayType::get(i64, table.size()),
      /*isConstant=*/true, LLVM::Linkage::External, abi::kWeightsTableSymbol,
      DenseElementsAttr::get(tableType, ArrayRef<uint64_t>(table)));
  auto slotsType = LLVM::LLVMArrayType::get(ptr, moved.size());
  LLVM::GlobalOp::create(b, loc, slotsType, /*isConstant=*/false,
                         LLVM::Linkage::External, abi::kWeightsSlotsSymbol,
                         LLVM::ZeroAttr::get(context));
  std::string name = fileName.str();
  name.push_back('\0');
  LLVM::GlobalOp::create(
      b, loc, LLVM::LLVMArrayType::get(IntegerType::get(context, 8), name.size()),
      /*isConstant=*/true, LLVM::Linkage::External, abi::kWeightsFileSymbol,
      b.getStringAttr(name));

  llvm::StringMap<int64_t> slotOf;
  for (auto [i, m] : llvm::enumerate(moved))
    slotOf[m.global.getSymName()] = i;
  SmallVector<LLVM::AddressOfOp> uses;
  module.walk([&](LLVM::AddressOfOp address) {
    if (slotOf.count(address.getGlobalName()))
      uses.push_back(address);
  });
  for (LLVM::AddressOfOp address : uses) {
    OpBuilder ub(address);
    Location uloc = address.getLoc();
    Value slots = LLVM::AddressOfOp::create(ub, uloc, ptr,
                                            abi::kWeightsSlotsSymbol);
    Value slot = LLVM::GEPOp::create(
        ub, uloc, ptr, slotsType, slots,
        ArrayRef<LLVM::GEPArg>{0, int32_t(slotOf[address.getGlobalName()])});
    // The slot never changes once the runtime has set it.
    auto load = LLVM::LoadOp::create(ub, uloc, ptr, slot, /*alignment=*/8,
                                     /*isVolatile=*/false,
                                     /*isNonTemporal=*/false,
                                     /*isInvariant=*/true);
    address.replaceAllUsesWith(load.getResult());
    address.erase();
  }
  for (MovedGlobal &m : moved)
    m.global.erase();
  return moved.size();
}
