// RUN: onebit-opt %s --onebit-buffers-to-gpu --split-input-file | FileCheck %s

// The entry copies its input to the GPU once, works on GPU buffers only, and
// copies its result out to a fresh host buffer; every GPU buffer is freed.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[ARG:.*]]: memref<?x4xf32>) -> memref<?x4xf32>
// CHECK: %[[N:.*]] = memref.dim %[[ARG]], %c0
// CHECK: %[[IN:.*]] = gpu.alloc  host_shared (%[[N]]) : memref<?x4xf32>
// CHECK: gpu.memcpy  %[[IN]], %[[ARG]]
// CHECK: %[[A:.*]] = gpu.alloc  host_shared (%{{.*}}) : memref<?x4xf32>
// CHECK: linalg.copy ins(%[[IN]] : memref<?x4xf32>) outs(%[[A]] : memref<?x4xf32>)
// CHECK: %[[B:.*]] = gpu.alloc  host_shared (%{{.*}}) : memref<?x4xf32>
// CHECK: linalg.copy ins(%[[A]] : {{.*}}) outs(%[[B]] : {{.*}})
// CHECK: gpu.dealloc  %[[A]]
// CHECK: %[[HOST:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK: gpu.memcpy  %[[HOST]], %[[B]]
// CHECK-DAG: gpu.dealloc  %[[IN]]
// CHECK-DAG: gpu.dealloc  %[[B]]
// CHECK: return %[[HOST]]
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc
func.func @main(%arg0: memref<?x4xf32>) -> memref<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %arg0, %c0 : memref<?x4xf32>
  %a = memref.alloc(%n) : memref<?x4xf32>
  memref.copy %arg0, %a : memref<?x4xf32> to memref<?x4xf32>
  %b = memref.alloc(%n) : memref<?x4xf32>
  memref.copy %a, %b : memref<?x4xf32> to memref<?x4xf32>
  memref.dealloc %a : memref<?x4xf32>
  return %b : memref<?x4xf32>
}

// -----

// A result that is a constant is copied out but not freed; a result that is
// a view of a GPU buffer frees the buffer it looks into.
// CHECK-LABEL: func.func @views
// CHECK: %[[G:.*]] = memref.get_global @weights
// CHECK: %[[A:.*]] = gpu.alloc  host_shared () : memref<2x3xf32>
// CHECK: %[[V:.*]] = memref.collapse_shape %[[A]]
// CHECK: %[[H0:.*]] = memref.alloc() : memref<4xf32>
// CHECK: gpu.memcpy  %[[H0]], %[[G]]
// CHECK: %[[H1:.*]] = memref.alloc() : memref<6xf32>
// CHECK: gpu.memcpy  %[[H1]], %[[V]]
// CHECK-NOT: gpu.dealloc  %[[G]]
// CHECK: gpu.dealloc  %[[A]]
// CHECK-NEXT: return %[[H0]], %[[H1]]
memref.global "private" constant @weights : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func @views() -> (memref<4xf32>, memref<6xf32>) {
  %g = memref.get_global @weights : memref<4xf32>
  %a = memref.alloc() : memref<2x3xf32>
  %v = memref.collapse_shape %a [[0, 1]] : memref<2x3xf32> into memref<6xf32>
  return %g, %v : memref<4xf32>, memref<6xf32>
}

// -----

// Private functions (helpers) get GPU buffers but no boundary copies.
// CHECK-LABEL: func.func private @helper
// CHECK-SAME: (%[[X:.*]]: memref<8xf32>)
// CHECK: %[[A:.*]] = gpu.alloc  host_shared () : memref<8xf32>
// CHECK: linalg.copy ins(%[[X]] : memref<8xf32>) outs(%[[A]] : memref<8xf32>)
// CHECK: return %[[A]]
func.func private @helper(%x: memref<8xf32>) -> memref<8xf32> {
  %a = memref.alloc() : memref<8xf32>
  memref.copy %x, %a : memref<8xf32> to memref<8xf32>
  return %a : memref<8xf32>
}
