// RUN: onebit-opt %s --onebit-quantize-embeddings="bits=4" --split-input-file | FileCheck %s
// RUN: onebit-opt %s --onebit-quantize-embeddings --split-input-file | FileCheck %s --check-prefix=INT8
// RUN: onebit-opt %s --onebit-quantize-embeddings="bits=4 summary" --split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=SUMMARY
// RUN: onebit-opt %s --onebit-quantize-embeddings="bits=4 min-elements=21" --split-input-file | FileCheck %s --check-prefix=MIN
// RUN: not onebit-opt %s --onebit-quantize-embeddings="bits=3" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADBITS

// A token embedding gathered at the model's input ids and tied to the LM
// head: both read one packed constant. Row scales max|W| / qmax: row 0
// 14 / 7 = 2 (values 7, 0, 2, -2: 0.25 rounds to 0, 1.5 half-to-even to 2,
// -2.5 to -2), row 1 0.7 / 7, row 3 all zeros (scale 0). Nibbles low one
// first: bytes 0x07, 0xE2 for row 0.

#gather = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @tied(%ids: tensor<3xi64>, %x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x5xf32>) {
  %table = arith.constant dense<[[14.0, 0.5, 3.0, -5.0], [-0.7, 0.0, 0.0, 0.0], [1.0, -1.0, 7.0, 2.0], [0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0]]> : tensor<5x4xf32>
  %init = tensor.empty() : tensor<3x4xf32>
  %rows = linalg.generic {indexing_maps = [#gather, #id], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<3xi64>) outs(%init : tensor<3x4xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %v = tensor.extract %table[%r, %c] : tensor<5x4xf32>
    linalg.yield %v : f32
  } -> tensor<3x4xf32>
  %logits = onebit.linear %x, %table {layer_name = "embed.weight"} : tensor<3x4xf32>, tensor<5x4xf32> -> tensor<3x5xf32>
  return %rows, %logits : tensor<3x4xf32>, tensor<3x5xf32>
}

// CHECK-LABEL: func.func @tied
// CHECK-DAG: %[[Q:.*]] = arith.constant dense_resource<embed.weight.q4> : tensor<5x2xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[2.000000e+00, 1.000000e-01, 1.000000e+00, 0.000000e+00, 0.571428597]> : tensor<5xf32>
// CHECK-NOT: tensor<5x4xf32>
// CHECK: linalg.generic
// CHECK: %[[ROW:.*]] = arith.index_cast
// CHECK: %[[COL:.*]] = linalg.index 1
// CHECK: %[[BYTE_AT:.*]] = arith.divui %[[COL]], %{{.*}} : index
// CHECK: %[[BYTE:.*]] = tensor.extract %[[Q]][%[[ROW]], %[[BYTE_AT]]] : tensor<5x2xi8>
// CHECK: %[[UP:.*]] = arith.shli %[[BYTE]]
// CHECK: %[[NIBBLE:.*]] = arith.shrsi %[[UP]]
// CHECK: %[[VALUE:.*]] = arith.sitofp %[[NIBBLE]] : i8 to f32
// CHECK: %[[SCALE:.*]] = tensor.extract %[[S]][%[[ROW]]] : tensor<5xf32>
// CHECK: %[[W:.*]] = arith.mulf %[[SCALE]], %[[VALUE]] : f32
// CHECK: linalg.yield %[[W]]
// CHECK: onebit.quantized_linear %{{.*}}, %[[Q]], %[[S]] {bits = 4 : i64, layer_name = "embed.weight"} : tensor<3x4xf32>, tensor<5x2xi8>, tensor<5xf32> -> tensor<3x5xf32>
// CHECK: embed.weight.q4: "0x0100000007E20900F12700003275"

// INT8-LABEL: func.func @tied
// INT8-DAG: %[[Q:.*]] = arith.constant dense_resource<embed.weight.q8> : tensor<5x4xi8>
// INT8: %[[BYTE:.*]] = tensor.extract %[[Q]][%{{.*}}, %{{.*}}] : tensor<5x4xi8>
// INT8-NEXT: arith.sitofp %[[BYTE]] : i8 to f32
// INT8: onebit.quantized_linear %{{.*}}, %[[Q]], %{{.*}} {bits = 8 : i64, layer_name = "embed.weight"}

// SUMMARY: layer form shape bits/weight rel. error
// SUMMARY: embed.weight int4 5x4 12.000 0.0867
// SUMMARY: 1 layers: 80 bytes of f32 weights -> 30 bytes packed

// MIN-LABEL: func.func @tied
// MIN: arith.constant {{.*}} : tensor<5x4xf32>
// MIN: onebit.linear

// BADBITS: onebit-quantize-embeddings: bits must be 8 or 4, got 3

// -----

// A table gathered at computed positions (a rotary cache) and read by no
// layer is not a token embedding: left in float.

#gather = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @computed_positions() -> tensor<3x2xf32> {
  %cos = arith.constant dense<[[1.0, 0.5], [0.25, 0.125], [2.0, 4.0]]> : tensor<3x2xf32>
  %positions = arith.constant dense<[2, 0, 1]> : tensor<3xi64>
  %init = tensor.empty() : tensor<3x2xf32>
  %rows = linalg.generic {indexing_maps = [#gather, #id], iterator_types = ["parallel", "parallel"]} ins(%positions : tensor<3xi64>) outs(%init : tensor<3x2xf32>) {
  ^bb0(%p: i64, %out: f32):
    %r = arith.index_cast %p : i64 to index
    %c = linalg.index 1 : index
    %v = tensor.extract %cos[%r, %c] : tensor<3x2xf32>
    linalg.yield %v : f32
  } -> tensor<3x2xf32>
  return %rows : tensor<3x2xf32>
}

// CHECK-LABEL: func.func @computed_positions
// CHECK: arith.constant dense<{{.*}}> : tensor<3x2xf32>
// CHECK-NOT: i8
// CHECK: tensor.extract %{{.*}} : tensor<3x2xf32>

// -----

// A table that something else reads as a whole (here a transpose) keeps
// its float form: that reader would need the float values.

#gather = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @other_reader(%ids: tensor<2xi64>) -> (tensor<2x2xf32>, tensor<2x3xf32>) {
  %table = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %init = tensor.empty() : tensor<2x2xf32>
  %rows = linalg.generic {indexing_maps = [#gather, #id], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<2xi64>) outs(%init : tensor<2x2xf32>) {
  ^bb0(%id: i64, %out: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %v = tensor.extract %table[%r, %c] : tensor<3x2xf32>
    linalg.yield %v : f32
  } -> tensor<2x2xf32>
  %tinit = tensor.empty() : tensor<2x3xf32>
  %transposed = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]} ins(%table : tensor<3x2xf32>) outs(%tinit : tensor<2x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x3xf32>
  return %rows, %transposed : tensor<2x2xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: func.func @other_reader
// CHECK-NOT: i8
// CHECK: tensor.extract %{{.*}} : tensor<3x2xf32>

// -----

// A constant that only a layer reads is a layer's weight, for --ternarize,
// not an embedding table.

func.func @layer_only(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %y = onebit.linear %x, %w : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @layer_only
// CHECK: onebit.linear
// CHECK-NOT: quantized_linear
