// RUN: onebit-opt %s --ternarize="skip=attn\..*|head" | FileCheck %s --check-prefix=SKIP
// RUN: onebit-opt %s --ternarize="min-elements=9" | FileCheck %s --check-prefix=MIN
// RUN: onebit-opt %s --ternarize="int8-activations" | FileCheck %s --check-prefix=INT8
// RUN: onebit-opt %s --ternarize="summary" 2>&1 >/dev/null | FileCheck %s --check-prefix=SUMMARY
// RUN: not onebit-opt %s --ternarize="skip=(" 2>&1 | FileCheck %s --check-prefix=BADREGEX
// RUN: not onebit-opt %s --ternarize="method=int4" 2>&1 | FileCheck %s --check-prefix=BADMETHOD

// `skip` fully matches layer names: "attn.q" and "head" stay, "attn_out" and
// "mlp.up" (not a full match of "head") are quantized.
// SKIP-LABEL: func @layers
// SKIP: onebit.linear {{.*}} {layer_name = "attn.q"}
// SKIP: onebit.ternary_linear {{.*}}layer_name = "attn_out"
// SKIP: onebit.linear {{.*}} {layer_name = "head"}
// SKIP: onebit.ternary_linear {{.*}}layer_name = "mlp.up"

// Layers of fewer than 9 weights stay in float.
// MIN-LABEL: func @layers
// MIN: onebit.linear {{.*}} {layer_name = "attn.q"}
// MIN: onebit.linear {{.*}} {layer_name = "attn_out"}
// MIN: onebit.linear {{.*}} {layer_name = "head"}
// MIN: onebit.ternary_linear {{.*}}layer_name = "mlp.up"

// INT8-LABEL: func @layers
// INT8-COUNT-2: onebit.ternary_linear {{.*}}{int8_activations,
// INT8: onebit.sign_linear
// INT8-NOT: int8_activations
// INT8: onebit.ternary_linear {{.*}}{int8_activations,

// attn.q, attn_out and head are exactly ternary or binary. mlp.up: gamma =
// 8/12, T = [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 0, 1]], error^2 = 7.556 / 16;
// 6 packed bytes and a 4-byte scale for 12 weights.
// SUMMARY: layer                            form            shape  bits/weight rel. error
// SUMMARY-NEXT: attn.q                           ternary           2x4        8.000   lossless
// SUMMARY-NEXT: attn_out                         ternary           2x4        8.000   lossless
// SUMMARY-NEXT: head                             sign              2x4        2.000   lossless
// SUMMARY-NEXT: mlp.up                           ternary           3x4        6.667     0.6872
// SUMMARY-NEXT: 4 layers: 144 bytes of f32 weights -> 28 bytes packed (5.14x smaller)

// BADREGEX: ternarize: invalid skip regex '(': parentheses not balanced
// BADMETHOD: Cannot find option named 'int4'!

func.func @layers(%x: tensor<4xf32>, %x3: tensor<3x4xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<3x3xf32>) {
  %w0 = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<2x4xf32>
  %0 = onebit.linear %x, %w0 {layer_name = "attn.q"} : tensor<4xf32>, tensor<2x4xf32> -> tensor<2xf32>
  %w1 = arith.constant dense<[[0.5, 0.0, 0.0, -0.5], [0.0, 0.5, 0.5, 0.0]]> : tensor<2x4xf32>
  %1 = onebit.linear %x, %w1 {layer_name = "attn_out"} : tensor<4xf32>, tensor<2x4xf32> -> tensor<2xf32>
  %w2 = arith.constant dense<[[1.0, -1.0, 1.0, -1.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<2x4xf32>
  %2 = onebit.linear %x, %w2 {layer_name = "head"} : tensor<4xf32>, tensor<2x4xf32> -> tensor<2xf32>
  %w3 = arith.constant dense<[[1.0, 2.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 3.0]]> : tensor<3x4xf32>
  %3 = onebit.linear %x3, %w3 {layer_name = "mlp.up"} : tensor<3x4xf32>, tensor<3x4xf32> -> tensor<3x3xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<3x3xf32>
}

// Weights that are not constants, or not f32, are left alone.
// SKIP-LABEL: func @left_alone
// SKIP: onebit.linear
// SKIP: onebit.linear
func.func @left_alone(%x: tensor<4xf32>, %w: tensor<2x4xf32>, %h: tensor<4xf16>) -> (tensor<2xf32>, tensor<2xf16>) {
  %0 = onebit.linear %x, %w : tensor<4xf32>, tensor<2x4xf32> -> tensor<2xf32>
  %w16 = arith.constant dense<[[1.0, -1.0, 1.0, -1.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<2x4xf16>
  %1 = onebit.linear %h, %w16 : tensor<4xf16>, tensor<2x4xf16> -> tensor<2xf16>
  return %0, %1 : tensor<2xf32>, tensor<2xf16>
}
