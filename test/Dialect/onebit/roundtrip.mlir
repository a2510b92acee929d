// RUN: onebit-opt %s | onebit-opt | FileCheck %s
// RUN: onebit-opt %s -mlir-print-op-generic | onebit-opt | FileCheck %s

// CHECK-LABEL: func @check
// CHECK: onebit.check %{{.*}}, "Add node 'add': dimensions differ"
// CHECK: onebit.check %{{.*}}, "Gather node 'embed': index out of range" at %{{.*}} : i64
func.func @check(%holds: i1, %index: i64) {
  onebit.check %holds, "Add node 'add': dimensions differ"
  onebit.check %holds, "Gather node 'embed': index out of range" at %index : i64
  return
}

// CHECK-LABEL: func @linear
// CHECK: onebit.linear %{{.*}}, %{{.*}} bias %{{.*}} {layer_name = "fc1"} : tensor<?x4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<?x4x16xf32>
// CHECK: onebit.linear %{{.*}}, %{{.*}} : tensor<8xf16>, tensor<3x8xf16> -> tensor<3xf16>
func.func @linear(%x: tensor<?x4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>,
                  %v: tensor<8xf16>, %w16: tensor<3x8xf16>) -> (tensor<?x4x16xf32>, tensor<3xf16>) {
  %0 = onebit.linear %x, %w bias %b {layer_name = "fc1"} : tensor<?x4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<?x4x16xf32>
  %1 = onebit.linear %v, %w16 : tensor<8xf16>, tensor<3x8xf16> -> tensor<3xf16>
  return %0, %1 : tensor<?x4x16xf32>, tensor<3xf16>
}

// CHECK-LABEL: func @ternary
// CHECK: onebit.ternary_linear %{{.*}} bias %{{.*}} {layer_name = "attn.q", packed_weights = dense_resource<q_weights> : tensor<2x2x2xi8>, scale = dense<[2.500000e-01, 5.000000e-01]> : tensor<2xf32>} : tensor<?x10xf32>, tensor<2xf32> -> tensor<?x2xf32>
// CHECK: onebit.ternary_linear %{{.*}} {int8_activations, packed_weights = dense<{{.*}}> : tensor<2x2x2xi8>, scale = dense<1.000000e+00> : tensor<1xf32>} : tensor<10xf32> -> tensor<2xf32>
func.func @ternary(%x: tensor<?x10xf32>, %b: tensor<2xf32>, %v: tensor<10xf32>) -> (tensor<?x2xf32>, tensor<2xf32>) {
  %0 = onebit.ternary_linear %x bias %b {layer_name = "attn.q",
         packed_weights = dense_resource<q_weights> : tensor<2x2x2xi8>,
         scale = dense<[0.25, 0.5]> : tensor<2xf32>} : tensor<?x10xf32>, tensor<2xf32> -> tensor<?x2xf32>
  %1 = onebit.ternary_linear %v {int8_activations,
         packed_weights = dense<[[[9, 2], [4, 1]], [[0, 0], [-1, 3]]]> : tensor<2x2x2xi8>,
         scale = dense<1.0> : tensor<1xf32>} : tensor<10xf32> -> tensor<2xf32>
  return %0, %1 : tensor<?x2xf32>, tensor<2xf32>
}

// CHECK-LABEL: func @sign
// CHECK: onebit.sign_linear %{{.*}} {g = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>, h = dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>, layer_name = "mlp.up", packed_signs = dense_resource<up_signs> : tensor<2x1xi8>} : tensor<1x2x3xf32> -> tensor<1x2x2xf32>
// CHECK: onebit.sign_linear %{{.*}} bias %{{.*}} {packed_signs = dense<5> : tensor<2x1xi8>} : tensor<3xf32>, tensor<2xf32> -> tensor<2xf32>
func.func @sign(%x: tensor<1x2x3xf32>, %v: tensor<3xf32>, %b: tensor<2xf32>) -> (tensor<1x2x2xf32>, tensor<2xf32>) {
  %0 = onebit.sign_linear %x {layer_name = "mlp.up",
         packed_signs = dense_resource<up_signs> : tensor<2x1xi8>,
         g = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>,
         h = dense<[0.5, 0.25]> : tensor<2xf32>} : tensor<1x2x3xf32> -> tensor<1x2x2xf32>
  %1 = onebit.sign_linear %v bias %b {packed_signs = dense<5> : tensor<2x1xi8>} : tensor<3xf32>, tensor<2xf32> -> tensor<2xf32>
  return %0, %1 : tensor<1x2x2xf32>, tensor<2xf32>
}

// CHECK-LABEL: func @byte_ops
// CHECK: onebit.byte_lookup %arg0, %arg1 : vector<32xi8>
// CHECK: onebit.pair_sum %arg0, %{{.*}} : vector<32xi8> -> vector<16xi16>
// CHECK: onebit.lane_lookup %arg2, %arg3 : vector<8xf32>, vector<8xi32>
// CHECK: onebit.pair_lane_lookup %arg4, %arg5, %arg6 : vector<16xf32>, vector<16xi32>
func.func @byte_ops(%t: vector<32xi8>, %i: vector<32xi8>, %f: vector<8xf32>, %w: vector<8xi32>,
                    %lo: vector<16xf32>, %hi: vector<16xf32>, %j: vector<16xi32>) -> (vector<16xi16>, vector<8xf32>, vector<16xf32>) {
  %v = onebit.byte_lookup %t, %i : vector<32xi8>
  %s = onebit.pair_sum %t, %v : vector<32xi8> -> vector<16xi16>
  %l = onebit.lane_lookup %f, %w : vector<8xf32>, vector<8xi32>
  %p = onebit.pair_lane_lookup %lo, %hi, %j : vector<16xf32>, vector<16xi32>
  return %s, %l, %p : vector<16xi16>, vector<8xf32>, vector<16xf32>
}

// CHECK-LABEL: func.func @quantized
// CHECK: onebit.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {bits = 4 : i64, layer_name = "lm_head"} : tensor<?x7xf32>, tensor<5x4xi8>, tensor<5xf32>, tensor<5xf32> -> tensor<?x5xf32>
// CHECK: onebit.quantized_linear %{{.*}}, %{{.*}}, %{{.*}} {bits = 8 : i64} : tensor<2x3x4xf32>, tensor<6x4xi8>, tensor<6xf32> -> tensor<2x3x6xf32>
func.func @quantized(%x: tensor<?x7xf32>, %q: tensor<5x4xi8>, %s: tensor<5xf32>, %b: tensor<5xf32>,
                     %x3: tensor<2x3x4xf32>, %q8: tensor<6x4xi8>, %s8: tensor<6xf32>) -> (tensor<?x5xf32>, tensor<2x3x6xf32>) {
  %y = onebit.quantized_linear %x, %q, %s bias %b {bits = 4 : i64, layer_name = "lm_head"}
      : tensor<?x7xf32>, tensor<5x4xi8>, tensor<5xf32>, tensor<5xf32> -> tensor<?x5xf32>
  %z = onebit.quantized_linear %x3, %q8, %s8 {bits = 8 : i64}
      : tensor<2x3x4xf32>, tensor<6x4xi8>, tensor<6xf32> -> tensor<2x3x6xf32>
  return %y, %z : tensor<?x5xf32>, tensor<2x3x6xf32>
}

// The blobs print back byte for byte (alignment header 0x01000000, then data).
// CHECK: dialect_resources
// CHECK-DAG: q_weights: "0x0100000009020401FF030000"
// CHECK-DAG: up_signs: "0x010000000506"
{-#
  dialect_resources: {
    builtin: {
      q_weights: "0x0100000009020401FF030000",
      up_signs: "0x010000000506"
    }
  }
#-}

