// Weights that are already ternary or binary are packed without loss, with
// the exact magnitudes as scales, whatever the method.
// RUN: onebit-opt %s --ternarize | FileCheck %s
// RUN: onebit-opt %s --ternarize="method=svid" | FileCheck %s
// RUN: onebit-opt %s --ternarize="exact-only" | FileCheck %s --check-prefixes=CHECK,EXACT

// {-0.25, 0, 0.25}: absmean would give gamma = 5/8 * 0.25, not 0.25.
// T = [[1, 0, -1, 1], [0, 0, 1, -1]]: plus 0b1001, minus 0b0100; plus 0b0100, minus 0b1000.
// The per-channel case below: T = [[1, -1, 0, 1], [1, 0, 0, -1]]: plus 0b1001,
// minus 0b0010; plus 0b0001, minus 0b1000.
// CHECK-LABEL: func @ternary_per_tensor
// CHECK: onebit.ternary_linear %arg0 {layer_name = "t", packed_weights = dense_resource<t> : tensor<2x2x1xi8>, scale = dense<2.500000e-01> : tensor<1xf32>}
func.func @ternary_per_tensor(%x: tensor<4xf32>) -> tensor<2xf32> {
  %w = arith.constant dense<[[0.25, 0.0, -0.25, 0.25], [0.0, -0.0, 0.25, -0.25]]> : tensor<2x4xf32>
  %y = onebit.linear %x, %w {layer_name = "t"} : tensor<4xf32>, tensor<2x4xf32> -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// An input whose feature count is dynamic is cast to the weight's column
// count, which the packed layers need statically.
// CHECK-LABEL: func @dynamic_features
// CHECK: %[[X:.*]] = tensor.cast %arg0 : tensor<?x?xf32> to tensor<?x4xf32>
// CHECK: onebit.ternary_linear %[[X]] {layer_name = "dyn"
// CHECK-SAME: tensor<?x4xf32> -> tensor<?x2xf32>
func.func @dynamic_features(%x: tensor<?x?xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[0.25, 0.0, -0.25, 0.25], [0.0, -0.0, 0.25, -0.25]]> : tensor<2x4xf32>
  %y = onebit.linear %x, %w {layer_name = "dyn"} : tensor<?x?xf32>, tensor<2x4xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// One magnitude per row: a per-channel scale.
// CHECK-LABEL: func @ternary_per_channel
// CHECK: onebit.ternary_linear %arg0 {layer_name = "tc", packed_weights = dense_resource<tc> : tensor<2x2x1xi8>, scale = dense<[5.000000e-01, 1.250000e-01]> : tensor<2xf32>}
func.func @ternary_per_channel(%x: tensor<4xf32>) -> tensor<2xf32> {
  %w = arith.constant dense<[[0.5, -0.5, 0.0, 0.5], [0.125, 0.0, 0.0, -0.125]]> : tensor<2x4xf32>
  %y = onebit.linear %x, %w {layer_name = "tc"} : tensor<4xf32>, tensor<2x4xf32> -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// {-c_n, +c_n} per row: sign_linear with h = c and no g, 1 bit per weight.
// Signs: row 0 = [+, -, +, +] -> 0b1101, row 1 = [-, +, +, -] -> 0b0110.
// CHECK-LABEL: func @binary
// CHECK: onebit.sign_linear %arg0 {h = dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>, layer_name = "b", packed_signs = dense_resource<b> : tensor<2x1xi8>}
func.func @binary(%x: tensor<4xf32>) -> tensor<2xf32> {
  %w = arith.constant dense<[[0.5, -0.5, 0.5, 0.5], [-2.0, 2.0, 2.0, -2.0]]> : tensor<2x4xf32>
  %y = onebit.linear %x, %w {layer_name = "b"} : tensor<4xf32>, tensor<2x4xf32> -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// Anything else is left in float under exact-only.
// CHECK-LABEL: func @not_exact
// EXACT: onebit.linear
func.func @not_exact(%x: tensor<4xf32>) -> tensor<2xf32> {
  %w = arith.constant dense<[[0.5, -0.25, 0.5, 0.5], [-2.0, 2.0, 2.0, -2.0]]> : tensor<2x4xf32>
  %y = onebit.linear %x, %w {layer_name = "n"} : tensor<4xf32>, tensor<2x4xf32> -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// CHECK-DAG: t: "0x0100000009040408"
// CHECK-DAG: tc: "0x0100000009020108"
// CHECK-DAG: b: "0x010000000D06"

