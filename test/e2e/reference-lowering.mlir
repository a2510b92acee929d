// Numbers worked out by hand from the op definitions, checked through the
// reference lowering compiled and run by mlir-runner.
//
// RUN: onebit-opt %s --onebit-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries" \
// RUN:   --convert-linalg-to-loops --expand-strided-metadata --lower-affine --convert-scf-to-cf \
// RUN:   --finalize-memref-to-llvm --convert-math-to-llvm --convert-arith-to-llvm \
// RUN:   --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(tensor<*xf32>)

// K = 10 (two bytes per plane, six padding bits), per-channel scale, bias.
//   T = [[ 1, 0,-1, 1, 0, 0, 0, 0,-1, 1],
//        [ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
//        [-1,-1,-1,-1,-1,-1,-1,-1,-1,-1]]
// plus planes:  row 0 = {0b00001001, 0b10}, row 2 = {0, 0}
// minus planes: row 0 = {0b00000100, 0b01}, row 2 = {0xff, 0b11}
func.func @ternary(%x: tensor<2x10xf32>) -> tensor<2x3xf32> {
  %bias = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %y = onebit.ternary_linear %x bias %bias {
      packed_weights = dense<[[[9, 2], [4, 1]], [[0, 0], [0, 0]], [[0, 0], [-1, 3]]]> : tensor<3x2x2xi8>,
      scale = dense<[0.5, 2.0, 0.25]> : tensor<3xf32>}
      : tensor<2x10xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// S = [[+, +, -, -, -, -, -, -, -, +],
//      [+, +, +, +, +, +, +, +, +, +]]
func.func @sign(%x: tensor<2x10xf32>) -> tensor<2x2xf32> {
  %y = onebit.sign_linear %x {
      packed_signs = dense<[[3, 2], [-1, 3]]> : tensor<2x2xi8>,
      g = dense<[2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]> : tensor<10xf32>,
      h = dense<[1.0, 0.5]> : tensor<2xf32>}
      : tensor<2x10xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// A 1-d input with W1.58A8: max|x| = 127, so r = 1 and q = round_half_even(x):
// q = [1, -2, 3, 127, 0, 1, -5, 2, 7, 1] (0.4 -> 0, 0.6 -> 1, 2.5 -> 2).
func.func @ternary_int8(%x: tensor<10xf32>) -> tensor<3xf32> {
  %y = onebit.ternary_linear %x {
      packed_weights = dense<[[[9, 2], [4, 1]], [[0, 0], [0, 0]], [[0, 0], [-1, 3]]]> : tensor<3x2x2xi8>,
      scale = dense<0.5> : tensor<1xf32>, int8_activations}
      : tensor<10xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// Batch dimensions [2, 1] around a float layer.
func.func @linear(%x: tensor<2x1x3xf32>) -> tensor<2x1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]]> : tensor<2x3xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = onebit.linear %x, %w bias %b : tensor<2x1x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<2x1x2xf32>
  return %y : tensor<2x1x2xf32>
}

func.func @main() {
  %x = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
                             [-1.0, 0.5, 2.0, 0.0, 1.0, -2.0, 3.0, 1.0, -0.5, 4.0]]> : tensor<2x10xf32>

  // Row 0: T0.x = 1 - 3 + 4 - 9 + 10 = 3, 3 * 0.5 + 1 = 2.5; 0 * 2 + 2 = 2;
  //        T2.x = -55, -55 * 0.25 + 3 = -10.75.
  // Row 1: T0.x = -1 - 2 + 0 + 0.5 + 4 = 1.5 -> 1.75; 2; T2.x = -8 -> 1.
  // CHECK: rank = 2 offset = 0 sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[2.5, 2, -10.75],
  // CHECK-NEXT: [1.75, 2, 1]]
  %t = call @ternary(%x) : (tensor<2x10xf32>) -> tensor<2x3xf32>
  %tu = tensor.cast %t : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%tu) : (tensor<*xf32>) -> ()

  // Row 0: x*g = [2,2,3,4,5,6,7,8,9,5]; S0: 2+2+5 - 42 = -33; S1: 51 * 0.5.
  // Row 1: x*g = [-2,.5,2,0,1,-2,3,1,-.5,2]; S0: .5 - 4.5 = -4; S1: 5 * 0.5.
  // CHECK: rank = 2 offset = 0 sizes = [2, 2]
  // CHECK-NEXT: {{\[}}[-33, 25.5],
  // CHECK-NEXT: [-4, 2.5]]
  %s = call @sign(%x) : (tensor<2x10xf32>) -> tensor<2x2xf32>
  %su = tensor.cast %s : tensor<2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%su) : (tensor<*xf32>) -> ()

  // T0.q = 1 - 3 + 127 - 7 + 1 = 119 -> 59.5; 0; T2.q = -135 -> -67.5
  // (without int8 rounding T2.x would be -135.5 -> -67.75).
  // CHECK: rank = 1 offset = 0 sizes = [3]
  // CHECK-NEXT: [59.5, 0, -67.5]
  %xq = arith.constant dense<[1.0, -2.0, 3.0, 127.0, 0.4, 0.6, -5.0, 2.5, 7.0, 1.0]> : tensor<10xf32>
  %q = call @ternary_int8(%xq) : (tensor<10xf32>) -> tensor<3xf32>
  %qu = tensor.cast %q : tensor<3xf32> to tensor<*xf32>
  call @printMemrefF32(%qu) : (tensor<*xf32>) -> ()

  // [1,1,1] -> [6.5, -1]; [2,0,-2] -> [-3.5, -3.5].
  // CHECK: rank = 3 offset = 0 sizes = [2, 1, 2]
  // CHECK-NEXT: {{\[}}{{\[}}[6.5, -1]],
  // CHECK-NEXT: {{\[}}[-3.5, -3.5]]]
  %xl = arith.constant dense<[[[1.0, 1.0, 1.0]], [[2.0, 0.0, -2.0]]]> : tensor<2x1x3xf32>
  %l = call @linear(%xl) : (tensor<2x1x3xf32>) -> tensor<2x1x2xf32>
  %lu = tensor.cast %l : tensor<2x1x2xf32> to tensor<*xf32>
  call @printMemrefF32(%lu) : (tensor<*xf32>) -> ()
  return
}
