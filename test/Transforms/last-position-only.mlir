// RUN: onebit-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(func.func(onebit-last-position-only{outputs=logits}, cse))" | FileCheck %s

// The LM head runs on the last position of its input only: the position
// dimension (S of [B, S, H]) must not be empty, and the output's dimension
// there becomes 1. The other outputs are left alone.
// CHECK-LABEL: func.func @decoder
// CHECK-SAME: -> (tensor<?x1x16xf32> {onnx.name = "logits"}, tensor<?x?x8xf32> {onnx.name = "hidden"})
// CHECK: %[[S:.*]] = tensor.dim %arg0, %c1 : tensor<?x?x8xf32>
// CHECK: %[[NONEMPTY:.*]] = arith.cmpi sge, %[[S]], %c1 : index
// CHECK: onebit.check %[[NONEMPTY]], "output 'logits' is computed at the last position only (--last-position-only), but dimension 1 of its layer's input is 0"
// CHECK: %[[B:.*]] = tensor.dim %arg0, %c0 : tensor<?x?x8xf32>
// CHECK: %[[AT:.*]] = arith.subi %[[S]], %c1 : index
// CHECK: %[[LAST:.*]] = tensor.extract_slice %arg0[0, %[[AT]], 0] [%[[B]], 1, 8] [1, 1, 1] : tensor<?x?x8xf32> to tensor<?x1x8xf32>
// CHECK: %[[Y:.*]] = onebit.quantized_linear %[[LAST]], %arg1, %arg2 {bits = 8 : i64} : tensor<?x1x8xf32>, tensor<16x8xi8>, tensor<16xf32> -> tensor<?x1x16xf32>
// CHECK: return %[[Y]], %arg0
func.func @decoder(%x: tensor<?x?x8xf32>, %q: tensor<16x8xi8>, %scale: tensor<16xf32>)
    -> (tensor<?x?x16xf32> {onnx.name = "logits"}, tensor<?x?x8xf32> {onnx.name = "hidden"}) {
  %y = onebit.quantized_linear %x, %q, %scale {bits = 8 : i64} : tensor<?x?x8xf32>, tensor<16x8xi8>, tensor<16xf32> -> tensor<?x?x16xf32>
  return %y, %x : tensor<?x?x16xf32>, tensor<?x?x8xf32>
}

// -----

// Rank 2: the rows are the positions.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: -> (tensor<1x4xf32> {onnx.name = "logits"})
// CHECK: tensor.extract_slice %arg0[%{{.*}}, 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32>
// CHECK: onebit.linear %{{.*}}, %arg1 : tensor<1x8xf32>, tensor<4x8xf32> -> tensor<1x4xf32>
func.func @rows(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>) -> (tensor<?x4xf32> {onnx.name = "logits"}) {
  %y = onebit.linear %x, %w : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// expected-error @+1 {{--last-position-only: output 'logits' is not the result of a linear layer over positions}}
func.func @not_a_layer(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32> {onnx.name = "logits"}) {
  return %x : tensor<?x?x8xf32>
}

// -----

// expected-error @+1 {{--last-position-only: the model has no output named 'logits'}}
func.func @no_such_output(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32> {onnx.name = "hidden"}) {
  return %x : tensor<?x?x8xf32>
}
