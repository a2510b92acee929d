// RUN: onebit-opt %s -split-input-file -verify-diagnostics

func.func @linear_weight_rank(%x: tensor<4x8xf32>, %w: tensor<2x16x8xf32>) {
  // expected-error @+1 {{weight must be 2-d (out x in), got [2, 16, 8]}}
  %0 = onebit.linear %x, %w : tensor<4x8xf32>, tensor<2x16x8xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @linear_element_types(%x: tensor<4x8xf32>, %w: tensor<16x8xf16>) {
  // expected-error @+1 {{input, weight and result must have one element type, got 'f32', 'f16' and 'f32'}}
  %0 = onebit.linear %x, %w : tensor<4x8xf32>, tensor<16x8xf16> -> tensor<4x16xf32>
  return
}

// -----

func.func @linear_scalar_input(%x: tensor<f32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{input must have rank >= 1, got a 0-d tensor}}
  %0 = onebit.linear %x, %w : tensor<f32>, tensor<16x8xf32> -> tensor<16xf32>
  return
}

// -----

func.func @linear_result_rank(%x: tensor<2x4x8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{result rank 2 must equal input rank 3}}
  %0 = onebit.linear %x, %w : tensor<2x4x8xf32>, tensor<16x8xf32> -> tensor<8x16xf32>
  return
}

// -----

func.func @linear_batch_dim(%x: tensor<2x4x8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{result batch dimension 1 (5) must equal input dimension 1 (4)}}
  %0 = onebit.linear %x, %w : tensor<2x4x8xf32>, tensor<16x8xf32> -> tensor<2x5x16xf32>
  return
}

// -----

func.func @linear_in_features(%x: tensor<4x7xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{input has 7 features (last dimension) but the weights have 8}}
  %0 = onebit.linear %x, %w : tensor<4x7xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @linear_out_features(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{result has 15 features (last dimension) but the weights have 16 output channels}}
  %0 = onebit.linear %x, %w : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x15xf32>
  return
}

// -----

func.func @linear_bias_shape(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{bias must have shape [16], got [8]}}
  %0 = onebit.linear %x, %w bias %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<8xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @linear_bias_type(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf16>) {
  // expected-error @+1 {{bias element type 'f16' must match the input's 'f32'}}
  %0 = onebit.linear %x, %w bias %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf16> -> tensor<4x16xf32>
  return
}

// -----

func.func @ternary_dynamic_features(%x: tensor<4x?xf32>) {
  // expected-error @+1 {{input feature dimension (the last) must be static for packed weights}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x?xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_scalar_input(%x: tensor<f32>) {
  // expected-error @+1 {{input must have rank >= 1, got a 0-d tensor}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<f32> -> tensor<2xf32>
  return
}

// -----

func.func @ternary_packed_rank(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{packed_weights must be 3-d (out x 2 x ceil(in/8)), got 'tensor<2x2xi8>'}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x2xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_packed_element_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{packed_weights must be an i8 tensor, got 'tensor<2x2x1xi32>'}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x2x1xi32>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_packed_size(%x: tensor<4x9xf32>) {
  // expected-error @+1 {{packed_weights must have shape [2, 2, 2] (out x 2 bit planes x ceil(in/8) bytes), got [2, 2, 1]}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x9xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_planes_not_two(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{packed_weights must have shape [2, 2, 1] (out x 2 bit planes x ceil(in/8) bytes), got [2, 3, 1]}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x3x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_out_features(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result has 3 features (last dimension) but the weights have 2 output channels}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x8xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @ternary_both_bits(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{packed_weights are not valid ternary bit planes: row 1, column 2: both the plus and the minus bit are set}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<[[[1], [2]], [[4], [4]]]> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_padding_bits(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{packed_weights are not valid ternary bit planes: row 0, column 5: padding bit set in the minus plane (5 columns)}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<[[[1], [32]], [[0], [0]]]> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x5xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_scale_length(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{scale must have 1 element (per tensor) or 2 (per output channel), got [3]}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<3xf32>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_scale_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 32-bit float elements attribute}}
  %0 = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf16>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_bias_shape(%x: tensor<4x8xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{bias must have shape [2], got [3]}}
  %0 = onebit.ternary_linear %x bias %b {packed_weights = dense<0> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x8xf32>, tensor<3xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_missing_blob(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{packed_weights has no data (a dense_resource whose blob is missing)}}
  %0 = onebit.ternary_linear %x {packed_weights = dense_resource<nowhere> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @ternary_short_blob(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{packed_weights holds 3 bytes but its type has 4}}
  %0 = onebit.ternary_linear %x {packed_weights = dense_resource<short_blob> : tensor<2x2x1xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

{-#
  dialect_resources: {
    builtin: {
      short_blob: "0x01000000010203"
    }
  }
#-}

// -----

func.func @sign_packed_rank(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{packed_signs must be 2-d (out x ceil(in/8)), got 'tensor<2x1x1xi8>'}}
  %0 = onebit.sign_linear %x {packed_signs = dense<0> : tensor<2x1x1xi8>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @sign_packed_size(%x: tensor<4x17xf32>) {
  // expected-error @+1 {{packed_signs must have shape [2, 3] (out x ceil(in/8) bytes), got [2, 2]}}
  %0 = onebit.sign_linear %x {packed_signs = dense<0> : tensor<2x2xi8>} : tensor<4x17xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @sign_padding_bits(%x: tensor<4x3xf32>) {
  // expected-error @+1 {{packed_signs are not valid sign bits: row 1: padding bit set at column 7 (3 columns)}}
  %0 = onebit.sign_linear %x {packed_signs = dense<[[7], [-121]]> : tensor<2x1xi8>} : tensor<4x3xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @sign_g_length(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{g must have 8 elements (one per input feature), got [2]}}
  %0 = onebit.sign_linear %x {packed_signs = dense<0> : tensor<2x1xi8>, g = dense<1.0> : tensor<2xf32>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @sign_h_length(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{h must have 2 elements (one per output channel), got [2, 1]}}
  %0 = onebit.sign_linear %x {packed_signs = dense<0> : tensor<2x1xi8>, h = dense<1.0> : tensor<2x1xf32>} : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @sign_result_rank(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result rank 1 must equal input rank 2}}
  %0 = onebit.sign_linear %x {packed_signs = dense<0> : tensor<2x1xi8>} : tensor<4x8xf32> -> tensor<2xf32>
  return
}

// -----

func.func @sign_bias_type(%x: tensor<4x8xf32>, %b: tensor<2xf16>) {
  // expected-error @+1 {{'onebit.sign_linear' op operand #1 must be ranked tensor of 32-bit float values, but got 'tensor<2xf16>'}}
  %0 = onebit.sign_linear %x bias %b {packed_signs = dense<0> : tensor<2x1xi8>} : tensor<4x8xf32>, tensor<2xf16> -> tensor<4x2xf32>
  return
}

// -----

func.func @check_condition_is_i1(%flag: i32) {
  // expected-error @+1 {{operand #0 must be 1-bit signless integer, but got 'i32'}}
  "onebit.check"(%flag) {message = "m"} : (i32) -> ()
  return
}

// -----

func.func @check_value_is_i64(%holds: i1, %index: index) {
  // expected-error @+1 {{operand #1 must be 64-bit signless integer, but got 'index'}}
  "onebit.check"(%holds, %index) {message = "m"} : (i1, index) -> ()
  return
}

// -----

func.func @check_needs_message(%holds: i1) {
  // expected-error @+1 {{requires attribute 'message'}}
  "onebit.check"(%holds) : (i1) -> ()
  return
}

// -----

func.func @byte_lookup_lanes(%t: vector<24xi8>) -> vector<24xi8> {
  // expected-error @+1 {{needs a multiple of 16 lanes (one 16-byte table per 16 lanes), got 24}}
  %v = onebit.byte_lookup %t, %t : vector<24xi8>
  return %v : vector<24xi8>
}

// -----

func.func @pair_sum_lanes(%t: vector<32xi8>) -> vector<32xi16> {
  // expected-error @+1 {{result must have half as many lanes as its operands (16), got 32}}
  %v = onebit.pair_sum %t, %t : vector<32xi8> -> vector<32xi16>
  return %v : vector<32xi16>
}

// -----

func.func @lane_lookup_lanes(%t: vector<8xf32>, %i: vector<4xi32>) -> vector<8xf32> {
  // expected-error @+1 {{table and indices must have one lane count, got 8 and 4}}
  %v = onebit.lane_lookup %t, %i : vector<8xf32>, vector<4xi32>
  return %v : vector<8xf32>
}

// -----

func.func @lane_lookup_power_of_two(%t: vector<6xf32>, %i: vector<6xi32>) -> vector<6xf32> {
  // expected-error @+1 {{needs a power-of-2 lane count, got 6}}
  %v = onebit.lane_lookup %t, %i : vector<6xf32>, vector<6xi32>
  return %v : vector<6xf32>
}

// -----

func.func @quantized_bits(%x: tensor<2x8xf32>, %q: tensor<3x8xi8>, %s: tensor<3xf32>) {
  // expected-error @+1 {{attribute 'bits' failed to satisfy constraint: 64-bit signless integer attribute whose value is one of {4, 8}}}
  %0 = onebit.quantized_linear %x, %q, %s {bits = 2 : i64} : tensor<2x8xf32>, tensor<3x8xi8>, tensor<3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @quantized_int4_row_bytes(%x: tensor<2x7xf32>, %q: tensor<3x7xi8>, %s: tensor<3xf32>) {
  // expected-error @+1 {{weight must be out x ceil(in/2) bytes for 4-bit weights (4 bytes per row), got [3, 7]}}
  %0 = onebit.quantized_linear %x, %q, %s {bits = 4 : i64} : tensor<2x7xf32>, tensor<3x7xi8>, tensor<3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @quantized_int8_row_bytes(%x: tensor<2x8xf32>, %q: tensor<3x4xi8>, %s: tensor<3xf32>) {
  // expected-error @+1 {{weight must be out x in bytes for 8-bit weights (8 bytes per row), got [3, 4]}}
  %0 = onebit.quantized_linear %x, %q, %s {bits = 8 : i64} : tensor<2x8xf32>, tensor<3x4xi8>, tensor<3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @quantized_dynamic_features(%x: tensor<2x?xf32>, %q: tensor<3x4xi8>, %s: tensor<3xf32>) {
  // expected-error @+1 {{input feature dimension (the last) must be static for packed weights}}
  %0 = onebit.quantized_linear %x, %q, %s {bits = 8 : i64} : tensor<2x?xf32>, tensor<3x4xi8>, tensor<3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @quantized_scale_length(%x: tensor<2x8xf32>, %q: tensor<3x8xi8>, %s: tensor<1xf32>) {
  // expected-error @+1 {{scale must have shape [3] (one per output channel), got [1]}}
  %0 = onebit.quantized_linear %x, %q, %s {bits = 8 : i64} : tensor<2x8xf32>, tensor<3x8xi8>, tensor<1xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @quantized_result_features(%x: tensor<2x8xf32>, %q: tensor<3x8xi8>, %s: tensor<3xf32>) {
  // expected-error @+1 {{result has 4 features (last dimension) but the weights have 3 output channels}}
  %0 = onebit.quantized_linear %x, %q, %s {bits = 8 : i64} : tensor<2x8xf32>, tensor<3x8xi8>, tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @quantized_bias(%x: tensor<2x8xf32>, %q: tensor<3x8xi8>, %s: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{bias must have shape [3], got [4]}}
  %0 = onebit.quantized_linear %x, %q, %s bias %b {bits = 8 : i64} : tensor<2x8xf32>, tensor<3x8xi8>, tensor<3xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @pair_lane_lookup_lanes(%t: vector<16xf32>, %i: vector<8xi32>) -> vector<16xf32> {
  // expected-error @+1 {{table halves and indices must have one lane count, got 16 and 8}}
  %v = onebit.pair_lane_lookup %t, %t, %i : vector<16xf32>, vector<8xi32>
  return %v : vector<16xf32>
}

// -----

func.func @pair_lane_lookup_power_of_two(%t: vector<6xf32>, %i: vector<6xi32>) -> vector<6xf32> {
  // expected-error @+1 {{needs a power-of-2 lane count, got 6}}
  %v = onebit.pair_lane_lookup %t, %t, %i : vector<6xf32>, vector<6xi32>
  return %v : vector<6xf32>
}
