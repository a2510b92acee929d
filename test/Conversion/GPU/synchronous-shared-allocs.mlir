// RUN: onebit-opt %s --onebit-synchronous-shared-allocs --split-input-file -verify-diagnostics | FileCheck %s

// An asynchronous managed allocation becomes synchronous; whatever waited on
// its token waits on its dependency instead. Device allocations stay async.
// CHECK-LABEL: func.func @shared
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[M:.*]] = gpu.alloc  host_shared (%{{.*}}) : memref<?xf32>
// CHECK: %[[D:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] (%{{.*}}) : memref<?xf32>
// CHECK: %[[T2:.*]] = gpu.memcpy async [%[[T1]]] %[[M]], %[[D]]
// CHECK: gpu.wait [%[[T2]]]
func.func @shared(%n: index) -> memref<?xf32> {
  %t0 = gpu.wait async
  %m, %t1 = gpu.alloc async [%t0] host_shared (%n) : memref<?xf32>
  %d, %t2 = gpu.alloc async [%t1] (%n) : memref<?xf32>
  %t3 = gpu.memcpy async [%t2] %m, %d : memref<?xf32>, memref<?xf32>
  gpu.wait [%t3]
  return %m : memref<?xf32>
}

// -----

func.func @two_dependencies(%n: index) {
  %t0 = gpu.wait async
  %t1 = gpu.wait async
  // expected-error @below {{expected exactly one async dependency}}
  %m, %t2 = gpu.alloc async [%t0, %t1] host_shared (%n) : memref<?xf32>
  gpu.wait [%t2]
  return
}
