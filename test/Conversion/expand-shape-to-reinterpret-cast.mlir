// RUN: onebit-opt %s --onebit-expand-shape-to-reinterpret-cast --split-input-file | FileCheck %s
// The rewritten form must also survive the upstream pass that crashed on
// the original.
// RUN: onebit-opt %s --onebit-expand-shape-to-reinterpret-cast --expand-strided-metadata --split-input-file | FileCheck %s --check-prefix=META

// [B*S, 64] back to [B, S, 64]: two dynamic sizes in one group.
// CHECK-LABEL: func.func @two_dynamic
// CHECK-SAME: (%[[M:.*]]: memref<?x64xf32>, %[[B:.*]]: index, %[[S:.*]]: index)
// CHECK: %[[BASE:.*]], %{{.*}}, %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[M]]
// CHECK: %[[ROW:.*]] = arith.muli %[[S]], %c64 : index
// CHECK: %[[R:.*]] = memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [%[[B]], %[[S]], 64], strides: [%[[ROW]], 64, 1] : memref<f32> to memref<?x?x64xf32>
// CHECK: return %[[R]]
// META-LABEL: func.func @two_dynamic
// META: memref.reinterpret_cast
func.func @two_dynamic(%m: memref<?x64xf32>, %b: index, %s: index) -> memref<?x?x64xf32> {
  %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%b, %s, 64] : memref<?x64xf32> into memref<?x?x64xf32>
  return %e : memref<?x?x64xf32>
}

// -----

// Static sizes between dynamic ones fold into the strides.
// CHECK-LABEL: func.func @mixed
// CHECK-SAME: (%[[M:.*]]: memref<?xf32>, %[[A:.*]]: index, %[[C:.*]]: index)
// CHECK: %[[BASE:.*]], %{{.*}}, %{{.*}}, %{{.*}} = memref.extract_strided_metadata %[[M]]
// CHECK: %[[S1:.*]] = arith.muli %[[C]], %c4 : index
// CHECK: memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [%[[A]], 4, %[[C]]], strides: [%[[S1]], %[[C]], 1]
func.func @mixed(%m: memref<?xf32>, %a: index, %c: index) -> memref<?x4x?xf32> {
  %e = memref.expand_shape %m [[0, 1, 2]] output_shape [%a, 4, %c] : memref<?xf32> into memref<?x4x?xf32>
  return %e : memref<?x4x?xf32>
}

// -----

// One dynamic size per group is left to upstream.
// CHECK-LABEL: func.func @one_dynamic
// CHECK: memref.expand_shape
// CHECK-NOT: memref.reinterpret_cast
func.func @one_dynamic(%m: memref<?xi64>, %d: index) -> memref<?x1x1xi64> {
  %e = memref.expand_shape %m [[0, 1, 2]] output_shape [%d, 1, 1] : memref<?xi64> into memref<?x1x1xi64>
  return %e : memref<?x1x1xi64>
}

// -----

// A strided source: the inner dim keeps its stride 2, the outer one strides
// over it.
// CHECK-LABEL: func.func @strided_source
// CHECK-SAME: (%[[M:.*]]: memref<?xf32, strided<[2]>>, %[[A:.*]]: index, %[[B:.*]]: index)
// CHECK: %[[BASE:.*]], %{{.*}}, %{{.*}}, %{{.*}} = memref.extract_strided_metadata %[[M]]
// CHECK: %[[S0:.*]] = arith.muli %[[B]], %c2 : index
// CHECK: memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [%[[A]], %[[B]]], strides: [%[[S0]], 2]
func.func @strided_source(%m: memref<?xf32, strided<[2]>>, %a: index, %b: index) -> memref<?x?xf32, strided<[?, 2]>> {
  %e = memref.expand_shape %m [[0, 1]] output_shape [%a, %b] : memref<?xf32, strided<[2]>> into memref<?x?xf32, strided<[?, 2]>>
  return %e : memref<?x?xf32, strided<[?, 2]>>
}
