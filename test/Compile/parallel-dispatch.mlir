// The ternary kernel's loop over blocks of output channels runs on the runtime's
// thread pool: the scf.parallel that onebit-lower-to-vector makes survives
// bufferization, is outlined, and its dispatch calls onebit_parallel_for.
// Stage by stage with onebit-opt's named pipelines, then whole with
// onebit-compile (with the masked-add kernel, which the named pipelines
// choose by default).
// RUN: onebit-compile %s --quantize=auto --emit=onebit -o %t.onebit.mlir
// RUN: FileCheck %s --check-prefix=ONEBIT < %t.onebit.mlir
// RUN: onebit-opt %t.onebit.mlir --onebit-cpu-lower-layers --onebit-cpu-bufferize \
// RUN:   | FileCheck %s --check-prefix=BUFFERS
// RUN: onebit-opt %t.onebit.mlir --onebit-cpu-lower-layers --onebit-cpu-bufferize \
// RUN:   --onebit-cpu-to-llvm | FileCheck %s --check-prefix=LLVMDIALECT
// RUN: onebit-compile %s --quantize=auto --lookup-tables=none --emit=llvm -o - | FileCheck %s --check-prefix=LLVMIR

// The exactly ternary weight is packed without loss.
// ONEBIT: onebit.ternary_linear %{{.*}} {layer_name = "proj"

// BUFFERS: func.func @main(%{{.*}}: memref<?x16xf32>
// The 8 output channels are two blocks of the kernel's loop.
// BUFFERS: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c2{{.*}}) step (%c1{{.*}})

// The loop is now a dispatch call over [0, 2); its body is the outlined
// function, reached through the trampoline the runtime calls.
// LLVMDIALECT: llvm.func @main(
// LLVMDIALECT: llvm.call @__onebit_parallel_dispatch_0(
// LLVMDIALECT: llvm.func internal @__onebit_parallel_body_0(
// LLVMDIALECT: llvm.func internal @__onebit_parallel_dispatch_0(
// LLVMDIALECT:   %[[FN:.*]] = llvm.mlir.addressof @__onebit_parallel_trampoline_0
// LLVMDIALECT:   llvm.call @onebit_parallel_for(%[[FN]], %{{.*}}, %{{.*}}, %{{.*}})
// LLVMDIALECT: llvm.func internal @__onebit_parallel_trampoline_0(
// LLVMDIALECT:   llvm.call @__onebit_parallel_body_0(
// LLVMDIALECT: llvm.func @onebit_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64)
// LLVMDIALECT-NOT: scf.parallel

// After LLVM's optimizations the call remains, with the loop's bounds.
// LLVMIR: call void @onebit_parallel_for(ptr nonnull @__onebit_parallel_trampoline_0, ptr nonnull %{{.*}}, i64 0, i64 2)
// LLVMIR: define internal void @__onebit_parallel_trampoline_0(ptr
// LLVMIR: declare void @onebit_parallel_for(ptr, ptr, i64, i64)

func.func @main(%x: tensor<?x16xf32> {onnx.name = "x"}) -> tensor<?x8xf32> {
  %w = arith.constant dense<[[0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5],
                             [0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0],
                             [-0.5, 0.0, 0.5, 0.0, -0.5, 0.0, 0.5, 0.0, -0.5, 0.0, 0.5, 0.0, -0.5, 0.0, 0.5, 0.0],
                             [0.5, 0.5, 0.5, 0.5, -0.5, -0.5, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, -0.5, 0.0],
                             [0.0, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.0],
                             [0.5, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, -0.5],
                             [-0.5, 0.0, 0.5, 0.0, -0.5, 0.5, 0.5, 0.0, -0.5, 0.0, 0.5, 0.0, -0.5, 0.0, 0.5, 0.0],
                             [0.5, 0.5, 0.0, 0.5, -0.5, -0.5, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, -0.5, 0.5]]> : tensor<8x16xf32>
  %y = onebit.linear %x, %w {layer_name = "proj"} : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
