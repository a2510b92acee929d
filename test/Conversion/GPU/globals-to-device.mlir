// RUN: onebit-opt %s --onebit-globals-to-device | FileCheck %s

// Host code reads constant globals through the runtime's cached device copy:
// one slot per global, however many uses. Mutable globals and code in the
// gpu.module are left alone.
// CHECK: llvm.mlir.global private constant @weights(dense<{{.*}}> : tensor<6xf32>)
// CHECK: llvm.mlir.global internal @weights__device() {{.*}} : !llvm.ptr {
// CHECK-NEXT: %[[Z:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK-NEXT: llvm.return %[[Z]] : !llvm.ptr
// CHECK-NOT: @counter__device
llvm.mlir.global private constant @weights(dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]> : tensor<6xf32>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<6 x f32>
llvm.mlir.global private @counter(0 : i64) : i64

// CHECK-LABEL: llvm.func @host
// CHECK: %[[SLOT:.*]] = llvm.mlir.addressof @weights__device : !llvm.ptr
// CHECK: %[[HOST:.*]] = llvm.mlir.addressof @weights : !llvm.ptr
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(24 : i64) : i64
// CHECK: %[[DEV:.*]] = llvm.call @onebit_cuda_constant(%[[SLOT]], %[[HOST]], %[[BYTES]])
// CHECK: %[[SLOT2:.*]] = llvm.mlir.addressof @weights__device
// CHECK: llvm.call @onebit_cuda_constant(%[[SLOT2]],
// CHECK: %[[C:.*]] = llvm.mlir.addressof @counter
// CHECK: llvm.return %[[DEV]]
llvm.func @host() -> !llvm.ptr {
  %0 = llvm.mlir.addressof @weights : !llvm.ptr
  %1 = llvm.mlir.addressof @weights : !llvm.ptr
  %2 = llvm.mlir.addressof @counter : !llvm.ptr
  llvm.return %0 : !llvm.ptr
}
// CHECK: llvm.func @onebit_cuda_constant(!llvm.ptr, !llvm.ptr, i64) -> !llvm.ptr
