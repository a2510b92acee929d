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
  /// Lanes of the layer kernels and of the vectorized generics (16 with
  /// AVX-512, 8 otherwise).
  int64_t vectorWidth = 16;
  /// The byte-shuffle ISA of the table-lookup kernel ("avx2", "avx512"), or
  /// empty where the target has none (the masked-add kernel instead).
  std::string lookupTables;
};

/// The low-bit layers to add-only vector loops, float layers to linalg, and
/// elementwise fusion; still on tensors.
std::string cpuLowerLayersPipeline(const CpuPipelineOptions &options);
/// One-shot bufferization with row-major function boundaries, then buffer
/// deallocation.
std::string cpuBufferizePipeline();
/// Buffers, loops and vectors to the LLVM dialect.
std::string cpuToLLVMPipeline(const CpuPipelineOptions &options);

/// Parses `pipeline` into `pm`, reporting a malformed pipeline to `errors`.
mlir::LogicalResult addPipeline(mlir::OpPassManager &pm,
                                llvm::StringRef pipeline,
                                llvm::raw_ostream &errors);

/// Registers the stages above as onebit-opt pipelines.
void registerCpuPipelines();

struct CudaPipelineOptions {
  /// The GPU architecture the cubin is built for (the PTX beside it runs on
  /// newer ones).
  std::string chip = "sm_90";
  /// The CUDA toolkit whose ptxas and fatbinary build the binary.
  std::string toolkitPath = "/usr/local/cuda";
  /// Optimization level of the device code.
  unsigned optLevel = 3;
  /// Threads per block of the generic kernels.
  int64_t blockSize = 256;
};

/// The CUDA target's stages. Bufferization is the CPU one followed by
/// onebit-buffers-to-gpu; the kernels stage turns linalg into outlined GPU
/// kernels in NVVM; the last one lowers the host code to LLVM and builds the
/// kernels into a fatbin (cubin and PTX) embedded in the module.
std::string cudaLowerLayersPipeline();
std::string cudaBufferizePipeline();
std::string cudaKernelsPipeline(const CudaPipelineOptions &options);
std::string cudaToLLVMPipeline(const CudaPipelineOptions &options);

/// Where the CUDA toolkit is: $CUDA_HOME, $CUDA_PATH, the folder above the
/// ptxas on PATH, or /usr/local/cuda; an error if none holds bin/ptxas.
llvm::Expected<std::string> findCudaToolkit();

void registerCudaPipelines();

} // namespace onebit

#endif // ONEBIT_COMPILER_PIPELINES_H
