//===- Pipelines.h - The pass pipelines onebit-compile runs -----*- C++ -*-===//
//
// Each stage of a compile is a textual pass pipeline, registered by name in
// onebit-opt too, so any stage can be reproduced by hand:
//
//   onebit-opt --onebit-cpu-lower-layers model.mlir     (low-bit -> vector loops)
//   onebit-opt --onebit-cpu-bufferize ...               (tensors -> buffers)
//   onebit-opt --onebit-cpu-to-llvm ...                 (buffers -> LLVM dialect)
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_COMPILER_PIPELINES_H
#define ONEBIT_COMPILER_PIPELINES_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace onebit {

struct CpuPipelineOptions {
  /// Lanes of the low-bit kernels (16 with AVX-512, 8 otherwise).
  int64_t vectorWidth = 16;
};

/// The low-bit layers to add-only vector loops, float layers to linalg, and
/// elementwise fusion; still on tensors.
std::string cpuLowerLayersPipeline(const CpuPipelineOptions &options);
/// One-shot bufferization with row-major function boundaries, then buffer
/// deallocation.
std::string cpuBufferizePipeline();
/// Buffers, loops and vectors to the LLVM dialect.
std::string cpuToLLVMPipeline();

/// Parses `pipeline` into `pm`, reporting a malformed pipeline to `errors`.
mlir::LogicalResult addPipeline(mlir::OpPassManager &pm,
                                llvm::StringRef pipeline,
                                llvm::raw_ostream &errors);

/// Registers the stages above as onebit-opt pipelines.
void registerCpuPipelines();

} // namespace onebit

#endif // ONEBIT_COMPILER_PIPELINES_H
