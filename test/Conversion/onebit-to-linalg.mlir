// RUN: onebit-opt %s --onebit-lower-to-linalg --split-input-file | FileCheck %s

// Batch dims collapse into M, the bit planes unpack in IR, one transposed-B
// matmul, then scale and bias in one epilogue, and the batch dims come back.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[FIRST:.*]] = affine_map<(d0, d1) -> (0)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @ternary
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<?x3x10xf32> into tensor<?x10xf32>
// CHECK: %[[P:.*]] = arith.constant dense<{{.*}}> : tensor<2x2x2xi8>
// CHECK: %[[W:.*]] = linalg.generic {indexing_maps = [#[[ID]]], iterator_types = ["parallel", "parallel"]} outs(%{{.*}} : tensor<2x10xf32>)
// CHECK:   %[[N:.*]] = linalg.index 0
// CHECK:   %[[K:.*]] = linalg.index 1
// CHECK:   tensor.extract %[[P]][%[[N]], %c0{{.*}}, %{{.*}}] : tensor<2x2x2xi8>
// CHECK:   arith.shrui
// CHECK:   tensor.extract %[[P]][%[[N]], %c1{{.*}}, %{{.*}}] : tensor<2x2x2xi8>
// CHECK:   %[[T:.*]] = arith.subi
// CHECK:   arith.sitofp %[[T]] : i8 to f32
// CHECK-DAG: %[[S:.*]] = arith.constant dense<5.000000e-01> : tensor<1xf32>
// CHECK-DAG: %[[ACC:.*]] = linalg.matmul indexing_maps = [#[[A]], #[[BT]], #[[C]]] ins(%[[X]], %[[W]] : tensor<?x10xf32>, tensor<2x10xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[FIRST]], #[[COL]], #[[ID]]], {{.*}}} ins(%[[ACC]], %[[S]], %arg1 :
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [%{{.*}}, 3, 2] : tensor<?x2xf32> into tensor<?x3x2xf32>
func.func @ternary(%x: tensor<?x3x10xf32>, %b: tensor<2xf32>) -> tensor<?x3x2xf32> {
  %y = onebit.ternary_linear %x bias %b {packed_weights = dense<[[[9, 2], [4, 1]], [[0, 0], [-1, 3]]]> : tensor<2x2x2xi8>, scale = dense<0.5> : tensor<1xf32>} : tensor<?x3x10xf32>, tensor<2xf32> -> tensor<?x3x2xf32>
  return %y : tensor<?x3x2xf32>
}

// -----

// W1.58A8: a max-abs reduction per row, r = 127 / max(m, 1e-5), the rounded
// and clamped q, and a division by r in the epilogue. A 1-d input becomes a
// 1 x K matrix.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @ternary_int8
// CHECK: %[[X:.*]] = tensor.expand_shape %arg0 {{\[}}[0, 1]] output_shape [1, 10] : tensor<10xf32> into tensor<1x10xf32>
// CHECK: %[[M:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]]
// CHECK:   math.absf
// CHECK:   arith.maximumf
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[M]]
// CHECK:   arith.constant 9.99999974E-6 : f32
// CHECK:   arith.constant 1.270000e+02 : f32
// CHECK:   arith.maximumf
// CHECK:   arith.divf
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[R]] :
// CHECK:   arith.mulf
// CHECK:   math.roundeven
// CHECK:   arith.constant -1.280000e+02 : f32
// CHECK:   arith.constant 1.270000e+02 : f32
// CHECK:   arith.maximumf
// CHECK:   arith.minimumf
// CHECK: %[[ACC:.*]] = linalg.matmul {{.*}} ins(%[[Q]], %{{.*}} : tensor<1x10xf32>, tensor<2x10xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], {{.*}}]{{.*}} ins(%[[ACC]], %[[R]], %{{.*}} :
// CHECK:   arith.divf
// CHECK:   arith.mulf
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<1x2xf32> into tensor<2xf32>
func.func @ternary_int8(%x: tensor<10xf32>) -> tensor<2xf32> {
  %y = onebit.ternary_linear %x {packed_weights = dense<[[[9, 2], [4, 1]], [[0, 0], [-1, 3]]]> : tensor<2x2x2xi8>, scale = dense<[0.5, 2.0]> : tensor<2xf32>, int8_activations} : tensor<10xf32> -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// Sign bits select +1 or -1; g scales the columns of x before the matmul and
// h the outputs after it.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @sign
// CHECK: %[[G:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK: %[[XG:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], {{.*}}} ins(%arg0, %[[G]] :
// CHECK:   arith.mulf
// CHECK: %[[P:.*]] = arith.constant dense<{{\[}}[5], [6]]> : tensor<2x1xi8>
// CHECK: %[[S:.*]] = linalg.generic
// CHECK:   tensor.extract %[[P]]
// CHECK:   arith.trunci %{{.*}} : i8 to i1
// CHECK:   arith.select %{{.*}}, %cst{{.*}}, %cst{{.*}} : f32
// CHECK-DAG: %[[H:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[ACC:.*]] = linalg.matmul {{.*}} ins(%[[XG]], %[[S]] : tensor<4x3xf32>, tensor<2x3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], {{.*}}} ins(%[[ACC]], %[[H]] :
func.func @sign(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %y = onebit.sign_linear %x {packed_signs = dense<[[5], [6]]> : tensor<2x1xi8>, g = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>, h = dense<[0.5, 0.25]> : tensor<2xf32>} : tensor<4x3xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A float layer with no bias is just the matmul; the weight is used as is.
// CHECK-LABEL: func @linear
// CHECK-NOT: linalg.generic
// CHECK: %[[ACC:.*]] = linalg.matmul {{.*}} ins(%arg0, %arg1 : tensor<4x8xf16>, tensor<3x8xf16>) outs(%{{.*}} : tensor<4x3xf16>)
// CHECK-NEXT: return %[[ACC]]
func.func @linear(%x: tensor<4x8xf16>, %w: tensor<3x8xf16>) -> tensor<4x3xf16> {
  %y = onebit.linear %x, %w : tensor<4x8xf16>, tensor<3x8xf16> -> tensor<4x3xf16>
  return %y : tensor<4x3xf16>
}

// -----

// Run-time checks are not layers: they stay for --onebit-insert-shape-checks.
// CHECK-LABEL: func @check
// CHECK-NEXT: onebit.check %arg0, "Add node 'add': dimensions differ"
func.func @check(%holds: i1) {
  onebit.check %holds, "Add node 'add': dimensions differ"
  return
}

// -----

// An int4 layer: one reduction generic that decodes each weight where it
// reads it (no N x K float copy), the nibble k % 2 of byte k / 2 shifted up
// and arithmetically back down, then the row scale and bias once per output.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[ACC:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @quantized_int4
// CHECK: %[[XM:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<2x3x7xf32> into tensor<6x7xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[ACC]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[XM]] : tensor<6x7xf32>)
// CHECK:   %[[K:.*]] = linalg.index 2
// CHECK:   %[[N:.*]] = linalg.index 1
// CHECK:   %[[AT:.*]] = arith.divui %[[K]], %c2
// CHECK:   %[[BYTE:.*]] = tensor.extract %arg1[%[[N]], %[[AT]]] : tensor<5x4xi8>
// CHECK:   %[[UP:.*]] = arith.shli %[[BYTE]]
// CHECK:   %[[Q:.*]] = arith.shrsi %[[UP]], %c4_i8 : i8
// CHECK:   arith.sitofp %[[Q]] : i8 to f32
// CHECK: linalg.generic {{.*}} ins(%[[SUM]], %arg2, %arg3 : tensor<6x5xf32>, tensor<5xf32>, tensor<5xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 3, 5]
func.func @quantized_int4(%x: tensor<2x3x7xf32>, %q: tensor<5x4xi8>, %s: tensor<5xf32>, %b: tensor<5xf32>) -> tensor<2x3x5xf32> {
  %y = onebit.quantized_linear %x, %q, %s bias %b {bits = 4 : i64} : tensor<2x3x7xf32>, tensor<5x4xi8>, tensor<5xf32>, tensor<5xf32> -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// int8: the byte is the value.
// CHECK-LABEL: func @quantized_int8
// CHECK: linalg.generic
// CHECK:   %[[Q:.*]] = tensor.extract %arg1[%{{.*}}, %{{.*}}] : tensor<3x8xi8>
// CHECK-NEXT: arith.sitofp %[[Q]] : i8 to f32
func.func @quantized_int8(%x: tensor<?x8xf32>, %q: tensor<3x8xi8>, %s: tensor<3xf32>) -> tensor<?x3xf32> {
  %y = onebit.quantized_linear %x, %q, %s {bits = 8 : i64} : tensor<?x8xf32>, tensor<3x8xi8>, tensor<3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
