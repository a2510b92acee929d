// A 2-layer MLP in ONNX textual syntax: MatMul + Add become onebit.linear with
// the weight stored out x in and the bias folded in; the result feeds
// --ternarize and the whole onebit-compile pipeline.
// RUN: onebit-translate --import-onnx %S/Inputs/mlp-2layer.onnxtxt | FileCheck %s --check-prefix=IMPORT
// RUN: onebit-translate --import-onnx --input-shape x=2x4 %S/Inputs/mlp-2layer.onnxtxt | FileCheck %s --check-prefix=STATIC
// RUN: onebit-translate --import-onnx %S/Inputs/mlp-2layer.onnxtxt | onebit-opt --ternarize | FileCheck %s --check-prefix=TERNARY
// RUN: onebit-compile %S/Inputs/mlp-2layer.onnxtxt --quantize=absmean --emit=llvm -o - | FileCheck %s --check-prefix=LLVM

// IMPORT-LABEL: func.func @main(%arg0: tensor<?x4xf32> {onnx.name = "x"}) -> (tensor<?x2xf32> {onnx.name = "y"}) attributes {onnx.graph_name = "mlp"}
// IMPORT-DAG: %[[W2:.+]] = arith.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00, -1.000000e+00], [-1.000000e+00, 1.000000e+00, 0.000000e+00]]> : tensor<2x3xf32>
// IMPORT-DAG: %[[B1:.+]] = arith.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// IMPORT-DAG: %[[W1:.+]] = arith.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [-1.000000e+00, -1.000000e+00, -1.000000e+00, -1.000000e+00]]> : tensor<3x4xf32>
// IMPORT: %[[H:.+]] = onebit.linear %arg0, %[[W1]] bias %[[B1]] {layer_name = "w1"} : tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<?x3xf32>
// IMPORT: %[[R:.+]] = linalg.generic
// IMPORT: arith.maximumf
// IMPORT: %[[Y:.+]] = onebit.linear %[[R]], %[[W2]] {layer_name = "w2"} : tensor<?x3xf32>, tensor<2x3xf32> -> tensor<?x2xf32>
// IMPORT: return %[[Y]] : tensor<?x2xf32>

// STATIC: func.func @main(%arg0: tensor<2x4xf32> {onnx.name = "x"}) -> (tensor<2x2xf32> {onnx.name = "y"})
// STATIC: onebit.linear {{.*}} : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32>
// STATIC-NOT: tensor.dim
// STATIC: onebit.linear {{.*}} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x2xf32>

// TERNARY: onebit.ternary_linear %arg0 bias %{{.+}} {layer_name = "w1", packed_weights = dense_resource<w1> : tensor<3x2x1xi8>
// TERNARY: onebit.ternary_linear %{{.+}} {layer_name = "w2", packed_weights = dense_resource<w2> : tensor<2x2x1xi8>
// TERNARY-NOT: onebit.linear

// LLVM: define {{.*}}void @onebit_model_entry(
