//===- LayerKernels.cpp - What both kinds of layer block use -------------===//

#include "LayerKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace onebit::gpu_kernels {

Value index(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value packedWords(OpBuilder &b, Location loc, const GpuLayer &layer) {
  auto type = cast<MemRefType>(layer.packed.getType());
  SmallVector<ReassociationIndices> all = {
      llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()))};
  Value bytes = memref::CollapseShapeOp::create(b, loc, layer.packed, all);
  int64_t planes = layer.ternary ? 2 : 1;
  auto wordsType =
      MemRefType::get({layer.outFeatures, planes * layer.inFeatures / 32},
                      b.getI32Type());
  return memref::ViewOp::create(b, loc, wordsType, bytes, index(b, loc, 0),
                                ValueRange{});
}

Value warpSum(OpBuilder &b, Location loc, Value value) {
  Value width = arith::ConstantIntOp::create(b, loc, kWarpSize, 32);
  for (int64_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    Value other =
        gpu::ShuffleOp::create(b, loc, value,
                               arith::ConstantIntOp::create(b, loc, offset, 32),
                               width, gpu::ShuffleMode::XOR)
            .getShuffleResult();
    value = arith::AddFOp::create(b, loc, value, other);
  }
  return value;
}

Value applyEpilogue(OpBuilder &b, Location loc, const GpuLayer &layer, Value y,
                    Value m, Value n) {
  if (layer.rowDivisor)
    y = arith::DivFOp::create(
        b, loc, y, memref::LoadOp::create(b, loc, layer.rowDivisor, m));
  if (layer.scale) {
    bool perTensor = cast<MemRefType>(layer.scale.getType()).getDimSize(0) == 1;
    Value at = perTensor ? index(b, loc, 0) : n;
    y = arith::MulFOp::create(
        b, loc, y, memref::LoadOp::create(b, loc, layer.scale, at));
  }
  if (layer.bias)
    y = arith::AddFOp::create(b, loc, y,
                              memref::LoadOp::create(b, loc, layer.bias, n));
  return y;
}

} // namespace onebit::gpu_kernels
