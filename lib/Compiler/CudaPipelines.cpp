//===- CudaPipelines.cpp - The pass pipelines of --target=cuda ------------===//

#include "onebit/Compiler/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace mlir;

std::string onebit::cudaLowerLayersPipeline() {
  // Low-bit layers get their warp kernels; the rest (float layers, and
  // low-bit ones with K not a multiple of 32) takes the reference lowering
  // to linalg, which becomes generic GPU loops.
  // Reshapes drop their shape tensors, which the host would otherwise
  // write and read between kernels. The shapes the model only declares are
  // checked at run time, on the host, as on the CPU: first, then once the
  // reshapes are expand_shape ops with canonicalized sizes (and again once
  // the tensors are buffers). Unsigned integer types become signless first,
  // as on the CPU.
  return "onebit-signless-integers, onebit-insert-shape-checks, "
         "onebit-lower-to-gpu-kernels, onebit-lower-to-linalg, "
         "onebit-reshape-to-expand-shape, canonicalize, cse, "
         "func.func(linalg-fuse-elementwise-ops), canonicalize, "
         "onebit-insert-shape-checks";
}

std::string onebit::cudaBufferizePipeline() {
  return cpuBufferizePipeline() +
         ", convert-bufferization-to-memref, onebit-insert-shape-checks, "
         "onebit-define-gpu-layer-kernels, "
         "onebit-buffers-to-gpu";
}

std::string onebit::cudaKernelsPipeline(const CudaPipelineOptions &options) {
  // Each linalg op becomes one kernel. math ops without a device
  // counterpart (integer powers) become functions first, so that outlining
  // copies them into the kernels' module. gpu-async-region puts the
  // launches, copies, allocations and frees of a run on one stream, waiting
  // only where host code reads a buffer.
  return llvm::formatv(
             "convert-linalg-to-parallel-loops, "
             "func.func(onebit-parallel-loops-to-gpu{{block-size={0}}), "
             "convert-math-to-funcs, gpu-launch-sink-index-computations, "
             "gpu-kernel-outlining, func.func(gpu-async-region), "
             "func.func(onebit-synchronous-shared-allocs), "
             "lower-affine, convert-scf-to-cf, canonicalize, "
             "nvvm-attach-target{{chip={1} O={2}}, "
             "gpu.module(convert-gpu-to-nvvm, reconcile-unrealized-casts)",
             options.blockSize, options.chip, options.optLevel)
      .str();
}

std::string onebit::cudaToLLVMPipeline(const CudaPipelineOptions &options) {
  // The host half of cpuToLLVMPipeline (no parallel loops are left on the
  // host), then the kernels are compiled by ptxas into a fatbin holding the
  // cubin for the chip and its PTX, which the LLVM translation embeds with
  // a constructor that loads it. finalize-memref-to-llvm runs before
  // gpu-to-llvm, which would otherwise lower the host's memref.alloc itself
  // to plain malloc (it takes no use-generic-functions option), where the
  // runtime frees outputs and refused runs' buffers as its own blocks
  // (lib/Runtime/RunMemory.h).
  return llvm::formatv(
             "onebit-expand-shape-to-reinterpret-cast, "
             "expand-strided-metadata, lower-affine, onebit-expand-bfloat16, "
             "finalize-memref-to-llvm{{use-generic-functions=true}, gpu-to-llvm, "
             "convert-math-to-llvm, convert-math-to-libm, convert-arith-to-llvm, "
             "convert-index-to-llvm, convert-cf-to-llvm, "
             "convert-func-to-llvm, convert-ub-to-llvm, "
             "reconcile-unrealized-casts, "
             "gpu-module-to-binary{{format=fatbin toolkit={0}}, "
             "onebit-globals-to-device",
             options.toolkitPath)
      .str();
}

llvm::Expected<std::string> onebit::findCudaToolkit() {
  auto hasPtxas = [](llvm::StringRef root) {
    llvm::SmallString<256> ptxas(root);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    return llvm::sys::fs::can_execute(ptxas);
  };
  for (const char *variable : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *root = std::getenv(variable)) {
      if (hasPtxas(root))
        return std::string(root);
      return llvm::createStringError(
          llvm::Twine("$") + variable + " is '" + root +
          "', which has no bin/ptxas: point it at a CUDA toolkit");
    }
  if (llvm::ErrorOr<std::string> ptxas = llvm::sys::findProgramByName("ptxas")) {
    std::string root(
        llvm::sys::path::parent_path(llvm::sys::path::parent_path(*ptxas)));
    if (hasPtxas(root))
      return root;
  }
  if (hasPtxas("/usr/local/cuda"))
    return std::string("/usr/local/cuda");
  return llvm::createStringError(
      "--target=cuda needs the CUDA toolkit's ptxas, which is not on PATH "
      "nor in /usr/local/cuda: install the toolkit or set CUDA_HOME");
}

void onebit::registerCudaPipelines() {
  static PassPipelineRegistration<> lowerLayers(
      "onebit-cuda-lower-layers",
      "onebit-compile's first CUDA stage: every layer to linalg, elementwise "
      "fusion",
      [](OpPassManager &pm) {
        (void)addPipeline(pm, cudaLowerLayersPipeline(), llvm::errs());
      });
  static PassPipelineRegistration<> bufferize(
      "onebit-cuda-bufferize",
      "onebit-compile's CUDA bufferization: buffers in GPU memory, inputs "
      "and results copied at the entry",
      [](OpPassManager &pm) {
        (void)addPipeline(pm, cudaBufferizePipeline(), llvm::errs());
      });
  static PassPipelineRegistration<> kernels(
      "onebit-cuda-kernels",
      "onebit-compile's CUDA kernels: linalg ops to outlined NVVM kernels "
      "for sm_90",
      [](OpPassManager &pm) {
        (void)addPipeline(pm, cudaKernelsPipeline({}), llvm::errs());
      });
  static PassPipelineRegistration<> toLLVM(
      "onebit-cuda-to-llvm",
      "onebit-compile's CUDA host lowering to LLVM, with the kernels built "
      "into an embedded fatbin by the toolkit in /usr/local/cuda",
      [](OpPassManager &pm) {
        (void)addPipeline(pm, cudaToLLVMPipeline({}), llvm::errs());
      });
}
