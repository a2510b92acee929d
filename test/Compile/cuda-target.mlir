// --target=cuda: the example MLP, ternarized, becomes a model.so with its
// kernels built by ptxas into a fatbin (a cubin for sm_90 and the PTX beside
// it), loaded by a constructor; weights are read through the runtime's
// device copies, and the .so still exports only the C API and needs no CUDA
// library to load (it opens libcuda.so.1 itself, at run time).
// RUN: onebit-compile %S/../../examples/mlp.mlir --target=cuda --quantize=absmean -o %t.so
// RUN: python3 %S/../../scripts/fatbin_contents.py %t.so | FileCheck %s --check-prefix=FATBIN
// RUN: nm -D --defined-only %t.so | FileCheck %s --check-prefix=EXPORTS
// RUN: ldd %t.so | FileCheck %s --check-prefix=DEPS
// RUN: onebit-compile %S/../../examples/mlp.mlir --target=cuda --quantize=absmean --emit=llvm -o %t.ll
// RUN: FileCheck %s --check-prefix=LLVM < %t.ll
// RUN: FileCheck %s --check-prefix=HOST-ALLOC < %t.ll
// RUN: onebit-compile %S/../../examples/mlp.mlir --target=cuda --cuda-arch=sm_80 --quantize=none -o %t80.so
// RUN: python3 %S/../../scripts/fatbin_contents.py %t80.so | FileCheck %s --check-prefix=SM80

// The three low-bit layers get the warp kernel (named after the entry);
// the other ops are generic kernels.
// FATBIN: elf sm_90
// FATBIN-NEXT: kernel mlp_kernel
// FATBIN-NEXT: ptx sm_90
// FATBIN: elf sm_90
// FATBIN: ptx sm_90

// EXPORTS-DAG: T onebit_run
// EXPORTS-DAG: T onebit_check_signature
// EXPORTS-NOT: mgpu
// EXPORTS-NOT: onebit_cuda_constant

// DEPS-NOT: libcuda
// DEPS-NOT: libMLIR

// LLVM-DAG: @llvm.global_ctors = {{.*}} @mlp_kernel_load
// LLVM-DAG: call ptr @mgpuModuleLoad(
// LLVM-DAG: call ptr @onebit_cuda_constant(ptr nonnull @__constant_128x2x16xi8__device, ptr nonnull @__constant_128x2x16xi8, i64 4096)
// LLVM-DAG: call void @mgpuLaunchKernel(
// LLVM-DAG: call void @mgpuStreamSynchronize(
// LLVM-DAG: define void @onebit_model_entry(
// The host's buffers (the output the runtime copies and frees) come from the
// runtime's allocator, which a refused run frees and onebit_run's output copy
// frees: a plain malloc there would be freed as a tracked block.
// HOST-ALLOC-NOT: call {{.*}}@malloc(
// HOST-ALLOC-NOT: call {{.*}}@aligned_alloc(
// HOST-ALLOC: call ptr @_mlir_memref_to_llvm_alloc(
// HOST-ALLOC-NOT: call {{.*}}@malloc(
// HOST-ALLOC-NOT: call {{.*}}@aligned_alloc(

// SM80: elf sm_80
// SM80: ptx sm_80
