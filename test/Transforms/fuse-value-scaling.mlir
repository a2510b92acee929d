// RUN: onebit-opt %s --fuse-value-scaling --split-input-file | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// g moves into the norm weight before the layer: gamma * g.
// CHECK-LABEL: func @g_into_preceding_multiply
// CHECK: %[[GAMMA:.*]] = arith.constant dense<[5.000000e-01, 1.000000e+00, 6.000000e+00, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[N:.*]] = linalg.generic {{.*}} ins(%arg0, %[[GAMMA]] : tensor<3x4xf32>, tensor<4xf32>)
// CHECK: onebit.sign_linear %[[N]] {h = dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>, packed_signs
// CHECK-NOT: g =
func.func @g_into_preceding_multiply(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<3x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %gamma : tensor<3x4xf32>, tensor<4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<3x4xf32>
  %y = onebit.sign_linear %n {packed_signs = dense<[[5], [10]]> : tensor<2x1xi8>,
      g = dense<[0.5, 0.5, 2.0, 0.25]> : tensor<4xf32>, h = dense<[2.0, 3.0]> : tensor<2xf32>}
      : tensor<3x4xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// The norm output has a second user, so g stays in the layer's prologue.
// CHECK-LABEL: func @g_stays_when_shared
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK: onebit.sign_linear %{{.*}} {g = dense<[5.000000e-01, 5.000000e-01, 2.000000e+00, 2.500000e-01]>
func.func @g_stays_when_shared(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x4xf32>) {
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<3x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %gamma : tensor<3x4xf32>, tensor<4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<3x4xf32>
  %y = onebit.sign_linear %n {packed_signs = dense<[[5], [10]]> : tensor<2x1xi8>,
      g = dense<[0.5, 0.5, 2.0, 0.25]> : tensor<4xf32>} : tensor<3x4xf32> -> tensor<3x2xf32>
  return %y, %n : tensor<3x2xf32>, tensor<3x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// A chain after the layer folds into its epilogue: h * d1 * d2, and the bias
// becomes (bias * d1 * d2) + c1 + c2.
// CHECK-LABEL: func @chain_into_epilogue
// CHECK-NOT: linalg.generic
// CHECK: %[[B:.*]] = arith.constant dense<[1.100000e+01, 2.400000e+01]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = onebit.sign_linear %arg0 bias %[[B]] {h = dense<1.200000e+01> : tensor<2xf32>, packed_signs
// CHECK-NEXT: return %[[Y]]
func.func @chain_into_epilogue(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %bias = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %y = onebit.sign_linear %x bias %bias {packed_signs = dense<[[5], [10]]> : tensor<2x1xi8>,
      h = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<3x4xf32>, tensor<2xf32> -> tensor<3x2xf32>
  %d1 = arith.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %d2 = arith.constant dense<[3.0, 1.0]> : tensor<2xf32>
  %c1 = arith.constant dense<[4.0, 8.0]> : tensor<2xf32>
  %c2 = arith.constant dense<[1.0, 8.0]> : tensor<2xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %m1 = linalg.generic {indexing_maps = [#last, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%d1, %y : tensor<2xf32>, tensor<3x2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<3x2xf32>
  %m2 = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %d2 : tensor<3x2xf32>, tensor<2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %b, %a : f32
    linalg.yield %m : f32
  } -> tensor<3x2xf32>
  %a1 = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %c1 : tensor<3x2xf32>, tensor<2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<3x2xf32>
  %a2 = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a1, %c2 : tensor<3x2xf32>, tensor<2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<3x2xf32>
  return %a2 : tensor<3x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// A per-tensor ternary scale times a per-channel factor becomes per channel;
// an add with no bias yet becomes the bias.
// CHECK-LABEL: func @ternary_scale_and_bias
// CHECK: %[[B:.*]] = arith.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: onebit.ternary_linear %arg0 bias %[[B]] {packed_weights = {{.*}}, scale = dense<[5.000000e-01, 1.500000e+00]> : tensor<2xf32>}
// CHECK-NOT: linalg.generic
func.func @ternary_scale_and_bias(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %y = onebit.ternary_linear %x {packed_weights = dense<[[[1], [2]], [[4], [8]]]> : tensor<2x2x1xi8>,
      scale = dense<0.25> : tensor<1xf32>} : tensor<3x4xf32> -> tensor<3x2xf32>
  %d = arith.constant dense<[2.0, 6.0]> : tensor<2xf32>
  %c = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %m = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %d : tensor<3x2xf32>, tensor<2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<3x2xf32>
  %s = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %c : tensor<3x2xf32>, tensor<2xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.addf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<3x2xf32>
  return %s : tensor<3x2xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#last3 = affine_map<(d0, d1, d2) -> (d2)>

// Two multiplies before the layer merge, then take g; rank 3 activations.
// CHECK-LABEL: func @merge_then_take_g
// CHECK: %[[V:.*]] = arith.constant dense<[6.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[N:.*]] = linalg.generic {{.*}} ins(%arg0, %[[V]] : tensor<2x3x4xf32>, tensor<4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: onebit.sign_linear %[[N]] {packed_signs
func.func @merge_then_take_g(%x: tensor<2x3x4xf32>) -> tensor<2x3x2xf32> {
  %a = arith.constant dense<[1.0, 2.0, 4.0, 8.0]> : tensor<4xf32>
  %b = arith.constant dense<[3.0, 1.0, 0.5, 0.25]> : tensor<4xf32>
  %e = tensor.empty() : tensor<2x3x4xf32>
  %m1 = linalg.generic {indexing_maps = [#id3, #last3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %a : tensor<2x3x4xf32>, tensor<4xf32>) outs(%e : tensor<2x3x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %r = arith.mulf %p, %q : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4xf32>
  %m2 = linalg.generic {indexing_maps = [#id3, #last3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%m1, %b : tensor<2x3x4xf32>, tensor<4xf32>) outs(%e : tensor<2x3x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %r = arith.mulf %p, %q : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4xf32>
  %y = onebit.sign_linear %m2 {packed_signs = dense<[[5], [10]]> : tensor<2x1xi8>,
      g = dense<[2.0, 0.5, 0.5, 0.5]> : tensor<4xf32>} : tensor<2x3x4xf32> -> tensor<2x3x2xf32>
  return %y : tensor<2x3x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#first = affine_map<(d0, d1) -> (d0)>

// Not per-channel (the vector runs along rows), and a bias that is not a
// constant: nothing moves. All-ones value vectors are dropped.
// CHECK-LABEL: func @left_alone
// CHECK: onebit.sign_linear %arg0 bias %arg1 {packed_signs = {{.*}}} :
// CHECK: linalg.generic
// CHECK: onebit.sign_linear %arg0 bias %arg1 {h = dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>, packed_signs
// CHECK: linalg.generic
func.func @left_alone(%x: tensor<2x4xf32>, %bias: tensor<2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %y = onebit.sign_linear %x bias %bias {packed_signs = dense<[[5], [10]]> : tensor<2x1xi8>,
      g = dense<1.0> : tensor<4xf32>, h = dense<1.0> : tensor<2xf32>} : tensor<2x4xf32>, tensor<2xf32> -> tensor<2x2xf32>
  %rows = arith.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %m = linalg.generic {indexing_maps = [#id, #first, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %rows : tensor<2x2xf32>, tensor<2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<2x2xf32>
  %z = onebit.sign_linear %x bias %bias {packed_signs = dense<[[5], [10]]> : tensor<2x1xi8>,
      h = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<2x4xf32>, tensor<2xf32> -> tensor<2x2xf32>
  %cols = arith.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %n = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, #id], iterator_types = ["parallel", "parallel"]}
      ins(%z, %cols : tensor<2x2xf32>, tensor<2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<2x2xf32>
  return %m, %n : tensor<2x2xf32>, tensor<2x2xf32>
}
