// RUN: onebit-opt %s --ternarize="method=svid" | FileCheck %s
// RUN: onebit-opt %s --ternarize="method=svid svid-solver=svd" | FileCheck %s

// |W| = a b^T exactly, with a = [3, 4] and b = [1, 2, 2, 4] (both of norm 5,
// which is how the factors are balanced), so both solvers must find h = a and
// g = b. sign(W): row 0 = [+, -, +, -] -> 0b0101, row 1 = [-, +, +, +] -> 0b1110.

// CHECK-LABEL: func @svid
// CHECK: onebit.sign_linear %arg0 {g = dense<[1.000000e+00, 2.000000e+00, 2.000000e+00, 4.000000e+00]> : tensor<4xf32>, h = dense<[3.000000e+00, 4.000000e+00]> : tensor<2xf32>, layer_name = "up", packed_signs = dense_resource<up> : tensor<2x1xi8>} : tensor<5x4xf32> -> tensor<5x2xf32>
// CHECK: up: "0x01000000050E"
func.func @svid(%x: tensor<5x4xf32>) -> tensor<5x2xf32> {
  %w = arith.constant dense<[[3.0, -6.0, 6.0, -12.0], [-4.0, 8.0, 8.0, 16.0]]> : tensor<2x4xf32>
  %y = onebit.linear %x, %w {layer_name = "up"} : tensor<5x4xf32>, tensor<2x4xf32> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}
