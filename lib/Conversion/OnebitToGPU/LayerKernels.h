//===- LayerKernels.h - The pieces of the low-bit layer launch --*- C++ -*-===//
//
// One gpu.launch runs a ternary_linear or sign_linear layer (see
// OnebitToGPU.cpp for how the launch is laid out). Its blocks do one of two
// kinds of work, each in a file of its own:
//
//   MmaTileKernel.cpp    a warp's tile of 64 rows and 32 channels (prefill,
//                        M >= 16) on tensor cores, each weight decode shared
//                        by the rows
//   TableGemvKernel.cpp  a single row (decode, M < 16): lookups in a table
//                        of the activations' subset sums, built once per
//                        block
//
// This header holds what both use: the block's ids and the epilogue.
//
//===----------------------------------------------------------------------===//

#ifndef ONEBIT_LIB_CONVERSION_ONEBITTOGPU_LAYERKERNELS_H
#define ONEBIT_LIB_CONVERSION_ONEBITTOGPU_LAYERKERNELS_H

#include "onebit/Conversion/LinearLayerUtils.h"

#include "mlir/IR/Builders.h"

#include <optional>

namespace onebit::gpu_kernels {

constexpr int64_t kWarpSize = 32;

/// What the kernel reads: the layer's operands as buffers.
using GpuLayer = LowBitLayer;

/// The threads of one block, and where they are in the launch: n is
/// warps * bx + w for warp w.
struct BlockIds {
  mlir::Value tid, lane, warp, n, raw, bx;
  int64_t warps = 0; // per block
};

mlir::Value index(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// The packed planes as N x (planes * K/32) i32 words: plane p of row n
/// starts at word p * K/32. (Little-endian: bit k mod 32 of word k / 32 is
/// bit k mod 8 of byte k / 8.)
mlir::Value packedWords(mlir::OpBuilder &b, mlir::Location loc,
                        const GpuLayer &layer);

/// The sum over the warp's 32 lanes, in every lane.
mlir::Value warpSum(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value);

/// y[m, n] from the dot product: / r[m], * scale[n or 0], + bias[n].
mlir::Value applyEpilogue(mlir::OpBuilder &b, mlir::Location loc,
                          const GpuLayer &layer, mlir::Value y, mlir::Value m,
                          mlir::Value n);

/// The tile of rows and channels a warp of the tensor-core kernel takes,
/// and the fewest rows of a launch that uses it (fewer go row by row).
constexpr int64_t kMmaTileRows = 64;
constexpr int64_t kMmaTileChannels = 32;
constexpr int64_t kMmaMinRows = 16;

/// One warp's work on the rows m0 .. m0 + 64 (those below `rows`) and the
/// channels n0 .. n0 + 32 (those below N) on tensor cores.
void emitMmaTile(mlir::OpBuilder &b, mlir::Location loc, const GpuLayer &layer,
                 mlir::Value words, mlir::Value out, mlir::Value lane,
                 mlir::Value m0, mlir::Value n0, mlir::Value rows);

/// How the single-row kernel covers a layer, chosen at compile time.
struct GemvSchedule {
  int64_t wordsPerLoad = 1; // i32 words of a plane one lane loads at once
  int64_t window = 0;       // weights of K that one table covers
  int64_t windows = 1;      // K / window
  int64_t columns = 0;      // table columns: groups of 4, plus padding
  int64_t sharedBytes = 0;  // the table (and the sign layers' sums)
  int64_t blocks = 0;       // blocks that take single rows
};

/// Warps a block of the launch has, for N output channels.
int64_t warpsPerBlock(int64_t outFeatures);

/// The schedule for `layer` with `warps` warps a block, or none where no
/// table fits in shared memory (the layer then stays for the reference
/// lowering).
std::optional<GemvSchedule> planGemv(const GpuLayer &layer, int64_t warps);

/// One block's work on the single row m (below `rows`): builds the table
/// of each window of K, then each of the block's warps takes channels
/// ids.n, ids.n + blocks * warps, ... by lookups.
void emitTableGemv(mlir::OpBuilder &b, mlir::Location loc,
                   const GpuLayer &layer, const GemvSchedule &schedule,
                   mlir::Value words, mlir::Value out, const BlockIds &ids,
                   mlir::Value m);

} // namespace onebit::gpu_kernels

#endif // ONEBIT_LIB_CONVERSION_ONEBITTOGPU_LAYERKERNELS_H
