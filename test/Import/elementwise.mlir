// Elementwise ops with ONNX (numpy) broadcasting: one linalg.generic per node,
// each operand read through a map that drops missing leading dims and pins
// static size-1 dims to index 0.
// RUN: onebit-translate --import-onnx %S/Inputs/elementwise.onnxtxt | FileCheck %s

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[LAST:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1, d2) -> (d1, 0)>

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[A:.+]]: tensor<?x3x4xf32> {onnx.name = "a"}, %[[B:.+]]: tensor<4xf32> {onnx.name = "b"}, %[[C:.+]]: tensor<3x1xf32> {onnx.name = "c"})
// CHECK-SAME: -> (tensor<?x3x4xf32> {onnx.name = "y"}, tensor<?x3x4xf32> {onnx.name = "scaled"}, tensor<?x3x4xf32> {onnx.name = "un"}, tensor<?x3x4xi64> {onnx.name = "im"})
// CHECK: %[[S:.+]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>

// Add(a, b): b broadcast along the last dim.
// CHECK: %[[DIM:.+]] = tensor.dim %[[A]], %{{.+}} : tensor<?x3x4xf32>
// CHECK: %[[E:.+]] = tensor.empty(%[[DIM]]) : tensor<?x3x4xf32>
// CHECK: %[[ADD:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[LAST]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<?x3x4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<?x3x4xf32>)
// CHECK: arith.addf
// Mul(t1, c): c [3, 1] broadcast with its size-1 dim pinned.
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], {{.*}} ins(%[[ADD]], %[[C]] :
// CHECK: arith.mulf
// CHECK: arith.subf
// CHECK: indexing_maps = [#[[ID]], #[[LAST]], #[[ID]]]
// CHECK: arith.divf

// Mul by a rank-1 initializer along the last dim: the form that
// --fuse-value-scaling folds into a neighbouring layer.
// CHECK: %[[SCALED:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[LAST]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[A]], %[[S]] : tensor<?x3x4xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[X:.+]]: f32, %[[F:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[X]], %[[F]] : f32
// CHECK-NEXT: linalg.yield %[[P]] : f32

// Unary math.
// CHECK: math.sqrt
// CHECK: math.exp
// CHECK: math.tanh
// Sigmoid = 1 / (1 + exp(-x)).
// CHECK: arith.negf
// CHECK-NEXT: math.exp
// CHECK-NEXT: arith.addf
// CHECK-NEXT: arith.divf
// CHECK: math.erf
// CHECK: arith.negf
// CHECK: math.powf
// Variadic Max: one generic over three broadcast operands.
// CHECK: indexing_maps = [#[[ID]], #[[ID]], #[[COL]], #[[ID]]]
// CHECK: arith.maximumf
// CHECK-NEXT: arith.maximumf
// Cast float -> int64, then integer Mod (fmod = 0: the sign of the divisor).
// CHECK: arith.fptosi %{{.+}} : f32 to i64
// CHECK: arith.remsi
// CHECK: arith.select
// CHECK: return
