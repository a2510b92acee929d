//===- Pipelines.cpp - The pass pipelines onebit-compile runs -------------===//

#include "onebit/Compiler/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

std::string onebit::cpuLowerLayersPipeline(const CpuPipelineOptions &options) {
  // The shapes the model only declares are checked at run time before
  // canonicalization can fold their casts away (again after bufferization).
  // Float linear layers take the same threaded vector loop nest as the
  // low-bit ones (FMAs instead of masked adds); what is left of onebit (none
  // in practice) goes the reference way. Unsigned integer types, which told
  // the importer which arithmetic to build, become signless first.
  // Ternary layers with int8 activations take the table-lookup kernel where
  // the target has byte shuffles.
  return llvm::formatv("onebit-signless-integers, onebit-insert-shape-checks, "
                       "onebit-lower-to-vector{{vector-width={0} "
                       "float-layers=true lookup-tables={1}}, "
                       "onebit-lower-to-linalg, canonicalize, cse, "
                       "func.func(onebit-fuse-elementwise), canonicalize",
                       options.vectorWidth, options.lookupTables)
      .str();
}

std::string onebit::cpuBufferizePipeline() {
  // Identity layouts at the function boundary give the runtime plain
  // row-major descriptors to fill in.
  return "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map}, "
         "buffer-deallocation-pipeline";
}

std::string onebit::cpuToLLVMPipeline(const CpuPipelineOptions &options) {
  // math ops with an LLVM intrinsic become intrinsics; the rest (erf, tanh,
  // ...) calls into libm, which every model.so may rely on (on vectors, one
  // call per lane, put together by vector ops lowered right after). The scf.parallel
  // loops (the low-bit kernels' output channels) are outlined just before
  // scf lowers to branches, and their dispatch functions, which call the
  // runtime's onebit_parallel_for, are filled in once all is LLVM.
  // Bufferization leaves clones (a result that is an input or a constant)
  // and deallocs, and math.ipowi (integer Pow) has no LLVM counterpart: both
  // become plain memref/func code first. expand-strided-metadata computes
  // the offsets of subviews (Slice) with affine.apply, lowered right after.
  // Shapes the model only declares are checked at run time first. The
  // generics that can be are vectorized along their output's last
  // dimension; convert-linalg-to-loops takes the rest. Buffers are
  // allocated through the runtime's _mlir_memref_to_llvm_* functions, which
  // free a run's buffers when a check ends it early (RunMemory.h), bf16
  // conversions become integer code that needs no libgcc helper, and the
  // table-lookup kernel's byte ops become x86 intrinsics. Vector transfers
  // are lowered before memrefs: a masked one past a dynamic row end becomes
  // a memref.dim, which finalize-memref-to-llvm must still see
  // (test/Compile/dynamic-row-length.mlir).
  return llvm::formatv(
             "convert-bufferization-to-memref, onebit-insert-shape-checks, "
             "func.func(onebit-vectorize-generics{{vector-width={0}}), "
             "convert-math-to-funcs, convert-linalg-to-loops, "
             "convert-vector-to-scf, lower-affine, "
             "onebit-outline-parallel-loops, "
             "convert-scf-to-cf, onebit-expand-shape-to-reinterpret-cast, "
             "expand-strided-metadata, lower-affine, onebit-expand-bfloat16, "
             "onebit-lower-byte-shuffles, convert-vector-to-llvm, "
             "finalize-memref-to-llvm{{use-generic-functions=true}, "
             "convert-math-to-llvm, convert-math-to-libm, "
             "convert-vector-to-llvm, "
             "convert-arith-to-llvm, convert-index-to-llvm, "
             "convert-cf-to-llvm, convert-func-to-llvm, convert-ub-to-llvm, "
             "reconcile-unrealized-casts, onebit-emit-parallel-dispatch",
             options.vectorWidth)
      .str();
}

LogicalResult onebit::addPipeline(OpPassManager &pm, StringRef pipeline,
                                  llvm::raw_ostream &errors) {
  return parsePassPipeline(pipeline, pm, errors);
}

void onebit::registerCpuPipelines() {
  static PassPipelineRegistration<> lowerLayers(
      "onebit-cpu-lower-layers",
      "onebit-compile's first CPU stage: low-bit layers to add-only vector "
      "loops, float layers to linalg, elementwise fusion",
      [](OpPassManager &pm) {
        (void)addPipeline(pm, cpuLowerLayersPipeline({}), llvm::errs());
      });
  static PassPipelineRegistration<> bufferize(
      "onebit-cpu-bufferize",
      "onebit-compile's bufferization with row-major function boundaries",
      [](OpPassManager &pm) {
        (void)addPipeline(pm, cpuBufferizePipeline(), llvm::errs());
      });
  static PassPipelineRegistration<> toLLVM(
      "onebit-cpu-to-llvm", "onebit-compile's lowering to the LLVM dialect",
      [](OpPassManager &pm) {
        (void)addPipeline(pm, cpuToLLVMPipeline({}), llvm::errs());
      });
}
