// RUN: onebit-opt %s --onebit-reshape-to-expand-shape --split-input-file | FileCheck %s

// [B, S, 64] to [B*S, 64], and [B*S, 64] to [B, S, 64], with the sizes
// computed from dims: no shape tensor is left.
// CHECK-LABEL: func.func @flatten
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[BS:.*]]: i64)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1, 2]] : tensor<?x?x64xf32> into tensor<?xf32>
// CHECK: %[[N:.*]] = arith.index_cast %[[BS]] : i64 to index
// CHECK: %[[M:.*]] = tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [%[[N]], 64] : tensor<?xf32> into tensor<?x64xf32>
// CHECK: return %[[M]]
// CHECK-NOT: tensor.reshape
func.func @flatten(%x: tensor<?x?x64xf32>, %bs: i64) -> tensor<?x64xf32> {
  %c64 = arith.constant 64 : i64
  %shape = tensor.from_elements %bs, %c64 : tensor<2xi64>
  %m = tensor.reshape %x(%shape) : (tensor<?x?x64xf32>, tensor<2xi64>) -> tensor<?x64xf32>
  return %m : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @unflatten
// CHECK-SAME: (%[[M:.*]]: tensor<?x64xf32>, %[[B:.*]]: i64, %[[S:.*]]: i64)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[M]] {{\[\[}}0, 1]] : tensor<?x64xf32> into tensor<?xf32>
// CHECK-DAG: %[[B1:.*]] = arith.index_cast %[[B]] : i64 to index
// CHECK-DAG: %[[S1:.*]] = arith.index_cast %[[S]] : i64 to index
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1, 2]] output_shape [%[[B1]], %[[S1]], 64] : tensor<?xf32> into tensor<?x?x64xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: tensor.from_elements
func.func @unflatten(%m: tensor<?x64xf32>, %b: i64, %s: i64) -> tensor<?x?x64xf32> {
  %c64 = arith.constant 64 : i64
  %shape = tensor.from_elements %b, %s, %c64 : tensor<3xi64>
  %y = tensor.reshape %m(%shape) : (tensor<?x64xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// Static results: the 1-D view is cast to the static count; to rank 1 the
// collapse is the whole rewrite.
// CHECK-LABEL: func.func @static
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<?x4xf32> into tensor<?xf32>
// CHECK: %[[CAST:.*]] = tensor.cast %[[FLAT]] : tensor<?xf32> to tensor<8xf32>
// CHECK: tensor.expand_shape %[[CAST]] {{\[\[}}0, 1, 2]] output_shape [2, 2, 2] : tensor<8xf32> into tensor<2x2x2xf32>
// CHECK: %[[V:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<?x4xf32> into tensor<?xf32>
// CHECK: return %{{.*}}, %[[V]]
func.func @static(%x: tensor<?x4xf32>, %n: i64) -> (tensor<2x2x2xf32>, tensor<?xf32>) {
  %c2 = arith.constant 2 : i64
  %s3 = tensor.from_elements %c2, %c2, %c2 : tensor<3xi64>
  %y = tensor.reshape %x(%s3) : (tensor<?x4xf32>, tensor<3xi64>) -> tensor<2x2x2xf32>
  %s1 = tensor.from_elements %n : tensor<1xi64>
  %v = tensor.reshape %x(%s1) : (tensor<?x4xf32>, tensor<1xi64>) -> tensor<?xf32>
  return %y, %v : tensor<2x2x2xf32>, tensor<?xf32>
}

// -----

// A shape that is not listed (here an argument), or a rank-0 result, stays.
// CHECK-LABEL: func.func @left_alone
// CHECK: tensor.reshape %{{.*}}(%{{.*}}) : (tensor<?xf32>, tensor<2xi64>)
// CHECK: tensor.reshape %{{.*}}(%{{.*}}) : (tensor<1xf32>, tensor<0xi64>) -> tensor<f32>
func.func @left_alone(%x: tensor<?xf32>, %shape: tensor<2xi64>, %one: tensor<1xf32>) -> (tensor<?x?xf32>, tensor<f32>) {
  %y = tensor.reshape %x(%shape) : (tensor<?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %empty = tensor.from_elements : tensor<0xi64>
  %s = tensor.reshape %one(%empty) : (tensor<1xf32>, tensor<0xi64>) -> tensor<f32>
  return %y, %s : tensor<?x?xf32>, tensor<f32>
}
