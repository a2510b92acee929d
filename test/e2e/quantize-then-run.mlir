// The same model run three ways must print the same numbers: in float, after
// --ternarize, and after --ternarize --fuse-value-scaling. The weights are
// chosen so that quantization is exact (|W| is exactly rank 1 for SVID,
// exactly {-c, 0, c} for absmean) and all arithmetic is on small binary
// fractions, so any difference is a bug, not rounding. This also carries the
// packed dense_resource blobs through bufferization and LLVM.
//
// DEFINE: %{run} = --onebit-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries" \
// DEFINE:   --convert-linalg-to-loops --expand-strided-metadata --lower-affine --convert-scf-to-cf \
// DEFINE:   --finalize-memref-to-llvm --convert-math-to-llvm --convert-arith-to-llvm \
// DEFINE:   --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts
// DEFINE: %{runner} = mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils
//
// RUN: onebit-opt %s %{run} | %{runner} | FileCheck %s
// RUN: onebit-opt %s --ternarize="method=svid" %{run} | %{runner} | FileCheck %s
// RUN: onebit-opt %s --ternarize="method=svid" --fuse-value-scaling %{run} | %{runner} | FileCheck %s
// RUN: onebit-opt %s --ternarize="method=svid" --fuse-value-scaling | FileCheck %s --check-prefix=FUSED

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

func.func private @printMemrefF32(tensor<*xf32>)

// After fusion no elementwise op is left around the SVID layer: g went into
// the norm weight, the output scaling and shift into h and the bias.
// FUSED-LABEL: func @svid_block
// FUSED: arith.constant dense<[1.000000e+00, 1.000000e+00, 4.000000e+00, 4.000000e+00]>
// FUSED: linalg.generic
// FUSED-NOT: linalg.generic
// FUSED: onebit.sign_linear %{{.*}} bias %{{.*}} {h = dense<[6.000000e+00, 2.000000e+00]>
// FUSED-NEXT: return
func.func @svid_block(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %gamma = arith.constant dense<[1.0, 0.5, 2.0, 1.0]> : tensor<4xf32>
  %e4 = tensor.empty() : tensor<2x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %gamma : tensor<2x4xf32>, tensor<4xf32>) outs(%e4 : tensor<2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %w = arith.constant dense<[[3.0, -6.0, 6.0, -12.0], [-4.0, 8.0, 8.0, 16.0]]> : tensor<2x4xf32>
  %y = onebit.linear %n, %w {layer_name = "up"} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  %d = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %c = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %e2 = tensor.empty() : tensor<2x2xf32>
  %s = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %d : tensor<2x2xf32>, tensor<2xf32>) outs(%e2 : tensor<2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<2x2xf32>
  %z = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %c : tensor<2x2xf32>, tensor<2xf32>) outs(%e2 : tensor<2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.addf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<2x2xf32>
  return %z : tensor<2x2xf32>
}

// Exactly ternary weights with K = 9: packed without loss.
func.func @ternary_block(%x: tensor<2x9xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[0.5, 0.0, -0.5, 0.5, 0.0, 0.0, 0.5, -0.5, 0.5],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.5],
                             [-0.5, -0.5, -0.5, -0.5, -0.5, 0.5, 0.5, 0.5, 0.5]]> : tensor<3x9xf32>
  %b = arith.constant dense<[0.25, 0.5, 0.75]> : tensor<3xf32>
  %y = onebit.linear %x, %w bias %b {layer_name = "t"} : tensor<2x9xf32>, tensor<3x9xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

func.func @main() {
  // x * gamma = [[1, 1, 6, 4], [-1, 0, 2, 2]]
  // W . v = [-15, 116] and [-15, 52]; * [2, 0.5] + [1, -1]:
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[}}[-29, 57],
  // CHECK-NEXT: [-29, 25]]
  %x = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 1.0, 2.0]]> : tensor<2x4xf32>
  %y = call @svid_block(%x) : (tensor<2x4xf32>) -> tensor<2x2xf32>
  %yu = tensor.cast %y : tensor<2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%yu) : (tensor<*xf32>) -> ()

  // Row 0 = 1..9: 0.5 * (1 - 3 + 4 + 7 - 8 + 9) + 0.25 = 5.25; -4.5 + 0.5 = -4;
  //   0.5 * (-15 + 30) + 0.75 = 8.25. Row 1 = ones: 0.5 * 2 + 0.25 = 1.25;
  //   -0.5 + 0.5 = 0; 0.5 * (-5 + 4) + 0.75 = 0.25.
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[5.25, -4, 8.25],
  // CHECK-NEXT: [1.25, 0, 0.25]]
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                             [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]> : tensor<2x9xf32>
  %r = call @ternary_block(%t) : (tensor<2x9xf32>) -> tensor<2x3xf32>
  %ru = tensor.cast %r : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%ru) : (tensor<*xf32>) -> ()
  return
}
