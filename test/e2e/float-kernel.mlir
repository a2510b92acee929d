// The float kernel of --onebit-lower-to-vector="float-layers=true" (vector FMAs
// over the weights in the low-bit kernels' loop nest) against the reference
// lowering: K = 20 leaves a tail after full groups of 8 and 16 lanes, extra
// batch dims, a bias. Integer inputs and weights keep every sum exact in f32
// in any order, so each path must print numpy's numbers: x @ W^T + b.
//
// DEFINE: %{lower} = --one-shot-bufferize="bufferize-function-boundaries" \
// DEFINE:   --convert-linalg-to-loops --convert-vector-to-scf --convert-vector-to-llvm \
// DEFINE:   --expand-strided-metadata --lower-affine --convert-scf-to-cf \
// DEFINE:   --finalize-memref-to-llvm --convert-math-to-llvm --convert-arith-to-llvm \
// DEFINE:   --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts
// DEFINE: %{run} = mlir-runner -e main -entry-point-result=void \
// DEFINE:   -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils
// RUN: onebit-opt %s --onebit-lower-to-linalg %{lower} | %{run} | FileCheck %s
// RUN: onebit-opt %s --onebit-lower-to-vector="float-layers=true" %{lower} | %{run} | FileCheck %s
// RUN: onebit-opt %s --onebit-lower-to-vector="vector-width=8 float-layers=true" %{lower} | %{run} | FileCheck %s
// The structure: FMAs of activations and weights, no linalg left.
// RUN: onebit-opt %s --onebit-lower-to-vector="float-layers=true" | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @layer
// IR: scf.parallel
// IR: scf.for
// IR: vector.fma
// IR: vector.reduction <add>
// IR-NOT: linalg.matmul

func.func private @printMemrefF32(tensor<*xf32>)

func.func @layer(%x: tensor<2x2x20xf32>) -> tensor<2x2x3xf32> {
  %w = arith.constant dense<[[ 1.,  0., -2.,  2.,  2., -2., -3., -1., -2.,  2.,  0.,  0., -1.,  0.,   3., -2.,  2., -3., -1.,  3.], [ 3., -3.,  2.,  2.,  0., -1.,  3.,  3.,  1., -1., -2.,  3., -2.,  0.,   1., -2., -1.,  2., -2.,  1.], [ 3.,  1.,  1.,  0.,  3., -2., -1.,  1.,  1., -3., -2.,  1.,  2.,  1.,   3., -1., -1.,  2., -3., -2.]]> : tensor<3x20xf32>
  %b = arith.constant dense<[0.5, -1.0, 2.0]> : tensor<3xf32>
  %y = onebit.linear %x, %w bias %b {layer_name = "f"} : tensor<2x2x20xf32>, tensor<3x20xf32>, tensor<3xf32> -> tensor<2x2x3xf32>
  return %y : tensor<2x2x3xf32>
}

func.func @main() {
  %x = arith.constant dense<[[[ 2.,  3., -4.,  3.,  0.,  0.,  1., -2.,  4., -4., -2., -1.,  1., -1.,   -3., -4., -4., -4., -3.,  4.],  [-3.,  1.,  2., -2., -2., -1., -2.,  4., -3.,  4.,  3.,  3., -3., -1.,    1.,  0.,  1.,  2.,  1., -4.]], [[ 4.,  1.,  4., -2., -1.,  3., -3., -4., -1.,  2., -3.,  3., -1., -2.,    0.,  4.,  3.,  3., -2., -4.],  [ 3.,  2.,  2., -4., -4.,  0., -1., -1.,  4., -3.,  0., -2., -2.,  3.,   -3., -2., -3., -3., -2.,  2.]]]> : tensor<2x2x20xf32>
  %y = call @layer(%x) : (tensor<2x2x20xf32>) -> tensor<2x2x3xf32>
  %u = tensor.cast %y : tensor<2x2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
// CHECK: rank = 3 offset = 0 sizes = [2, 2, 3]
// CHECK-NEXT: [16.5, 9, 16]
// CHECK-NEXT: [-7.5, -6, -16]
// CHECK-NEXT: [-16.5, -3, 20]
// CHECK-NEXT: [-18.5, 1, 5]
