// RUN: onebit-opt %s --onebit-fuse-elementwise --split-input-file | FileCheck %s
// RUN: onebit-opt %s --linalg-fuse-elementwise-ops --split-input-file | FileCheck %s --check-prefix=UPSTREAM

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// An elementwise chain is fused: each element once either way.
// CHECK-LABEL: func @chain
// CHECK: linalg.generic
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
func.func @chain(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// Rotary-like elementwise work on Q feeding Q K^T: fused, it would run once
// per (i, j, k) instead of per (i, k), 16 times over here. It stays apart.
// CHECK-LABEL: func @into_contraction
// CHECK: %[[Q:.*]] = linalg.generic
// CHECK:   arith.mulf
// CHECK: linalg.generic {{.*}} ins(%[[Q]], %{{.*}} : tensor<16x8xf32>, tensor<8x16xf32>)
// Upstream fuses it:
// UPSTREAM-LABEL: func @into_contraction
// UPSTREAM: linalg.generic {{.*}} ins(%arg0, %arg1, %arg2 :
// UPSTREAM-NOT: linalg.generic
#qk = affine_map<(i, j, k) -> (i, k)>
#kt = affine_map<(i, j, k) -> (k, j)>
#s = affine_map<(i, j, k) -> (i, j)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @into_contraction(%q: tensor<16x8xf32>, %cos: tensor<16x8xf32>, %kt: tensor<8x16xf32>,
                            %init: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %e = tensor.empty() : tensor<16x8xf32>
  %rotated = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%q, %cos : tensor<16x8xf32>, tensor<16x8xf32>) outs(%e : tensor<16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<16x8xf32>
  %scores = linalg.generic {indexing_maps = [#qk, #kt, #s], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%rotated, %kt : tensor<16x8xf32>, tensor<8x16xf32>) outs(%init : tensor<16x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<16x16xf32>
  return %scores : tensor<16x16xf32>
}

// -----

// A per-row value (an RMSNorm's 1 / sqrt(mean + eps)) feeding a broadcast:
// fused, the square root would run once per element instead of once per row.
// CHECK-LABEL: func @into_broadcast
// CHECK: %[[R:.*]] = linalg.generic
// CHECK:   math.rsqrt
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[R]] : tensor<4x8xf32>, tensor<4xf32>)
// UPSTREAM-LABEL: func @into_broadcast
// UPSTREAM: linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<4xf32>)
// UPSTREAM:   math.rsqrt
// UPSTREAM:   arith.mulf
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @into_broadcast(%x: tensor<4x8xf32>, %mean: tensor<4xf32>) -> tensor<4x8xf32> {
  %e1 = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%mean : tensor<4xf32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = math.rsqrt %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %r : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Into a reduction that reads each element once (softmax's sum of exp): fused.
// CHECK-LABEL: func @into_row_sum
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @into_row_sum(%x: tensor<4x8xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%0 : tensor<4x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %sum : tensor<4xf32>
}

// -----

// A producer with a second user stays: fusing would compute it twice.
// CHECK-LABEL: func @two_users
// CHECK: %[[E:.*]] = linalg.generic
// CHECK:   math.exp
// CHECK: linalg.generic {{.*}} ins(%[[E]], %arg1 :
// CHECK: return %[[E]],
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @two_users(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Grouped-query attention's keys: K [2, 1, T, 8] repeated per head to
// [2, 3, T, 8] and transposed to [2, 3, 8, T] for Q K^T. Neither computes
// anything, so the contraction reads K in place through the composed map
// (its head loop skips K's size-1 dim), however it indexes the operand.
// CHECK: #[[KMAP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d3, d4)>
// CHECK-LABEL: func @repeated_keys_into_scores
// CHECK-SAME: (%[[Q:.*]]: tensor<2x3x4x8xf32>, %[[K:.*]]: tensor<2x1x?x8xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[KMAP]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[Q]], %[[K]] : tensor<2x3x4x8xf32>, tensor<2x1x?x8xf32>)
// CHECK-NOT: linalg.generic
// UPSTREAM-LABEL: func @repeated_keys_into_scores
// UPSTREAM: linalg.transpose
#bcast = affine_map<(b, h, t, d) -> (b, 0, t, d)>
#id4 = affine_map<(b, h, t, d) -> (b, h, t, d)>
#q = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#kt = affine_map<(b, h, i, j, d) -> (b, h, d, j)>
#s = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
func.func @repeated_keys_into_scores(%q: tensor<2x3x4x8xf32>, %k: tensor<2x1x?x8xf32>,
                                     %init: tensor<2x3x4x?xf32>) -> tensor<2x3x4x?xf32> {
  %c2 = arith.constant 2 : index
  %t = tensor.dim %k, %c2 : tensor<2x1x?x8xf32>
  %e = tensor.empty(%t) : tensor<2x3x?x8xf32>
  %rep = linalg.generic {indexing_maps = [#bcast, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k : tensor<2x1x?x8xf32>) outs(%e : tensor<2x3x?x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x3x?x8xf32>
  %et = tensor.empty(%t) : tensor<2x3x8x?xf32>
  %kt = linalg.transpose ins(%rep : tensor<2x3x?x8xf32>) outs(%et : tensor<2x3x8x?xf32>) permutation = [0, 1, 3, 2]
  %scores = linalg.generic {indexing_maps = [#q, #kt, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %kt : tensor<2x3x4x8xf32>, tensor<2x3x8x?xf32>) outs(%init : tensor<2x3x4x?xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4x?xf32>
  return %scores : tensor<2x3x4x?xf32>
}

// -----

// A broadcast into a reduction whose loop only the broadcast's result
// bounded: read in place, the reduction would lose its bound, so the
// broadcast stays.
// CHECK-LABEL: func @broadcast_bounding_a_reduction
// CHECK: %[[ROWS:.*]] = linalg.generic
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]] : tensor<4x8xf32>)
#col = affine_map<(i, j) -> (i)>
#id2 = affine_map<(i, j) -> (i, j)>
#sum = affine_map<(i, j) -> (i)>
func.func @broadcast_bounding_a_reduction(%x: tensor<4xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %rows = linalg.generic {indexing_maps = [#col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<4x8xf32>
  %total = linalg.generic {indexing_maps = [#id2, #sum], iterator_types = ["parallel", "reduction"]}
      ins(%rows : tensor<4x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %total : tensor<4xf32>
}
