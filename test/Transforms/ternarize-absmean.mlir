// RUN: onebit-opt %s --ternarize | FileCheck %s --check-prefix=TENSOR
// RUN: onebit-opt %s --ternarize="granularity=channel" | FileCheck %s --check-prefix=CHANNEL

// W = [[0.5, -1.0, 0.1, 0.0], [2.0, -0.3, 0.6, -0.2]]
// Per tensor: gamma = mean|W| = 4.7 / 8 = 0.5875;
//   W / gamma = [[0.85, -1.70, 0.17, 0], [3.40, -0.51, 1.02, -0.34]]
//   T = [[1, -1, 0, 0], [1, -1, 1, 0]]
//   row 0: plus 0b0001, minus 0b0010; row 1: plus 0b0101, minus 0b0010.
// Per channel: gamma = [1.6 / 4, 3.1 / 4] = [0.4, 0.775];
//   W / gamma = [[1.25, -2.5, 0.25, 0], [2.58, -0.39, 0.77, -0.26]]
//   T = [[1, -1, 0, 0], [1, 0, 1, 0]]
//   row 1: plus 0b0101, minus 0.

// TENSOR-LABEL: func @absmean
// TENSOR-NOT: onebit.linear
// TENSOR-NOT: arith.constant
// TENSOR: %[[Y:.*]] = onebit.ternary_linear %arg0 bias %arg1 {layer_name = "fc", packed_weights = dense_resource<fc> : tensor<2x2x1xi8>, scale = dense<5.875000e-01> : tensor<1xf32>} : tensor<3x4xf32>, tensor<2xf32> -> tensor<3x2xf32>
// TENSOR: return %[[Y]]
// TENSOR: fc: "0x0100000001020502"

// CHANNEL-LABEL: func @absmean
// CHANNEL: onebit.ternary_linear %arg0 bias %arg1 {layer_name = "fc", packed_weights = dense_resource<fc> : tensor<2x2x1xi8>, scale = dense<[4.000000e-01, 0.775000035]> : tensor<2xf32>}
// CHANNEL: fc: "0x0100000001020500"
func.func @absmean(%x: tensor<3x4xf32>, %b: tensor<2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 0.1, 0.0], [2.0, -0.3, 0.6, -0.2]]> : tensor<2x4xf32>
  %y = onebit.linear %x, %w bias %b {layer_name = "fc"} : tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
