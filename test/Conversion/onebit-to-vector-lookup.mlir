// RUN: onebit-opt %s --onebit-lower-to-vector="lookup-tables=avx2" --split-input-file | FileCheck %s
// RUN: onebit-opt %s --onebit-lower-to-vector="lookup-tables=avx512" --split-input-file | FileCheck %s --check-prefix=W64
// RUN: not onebit-opt %s --onebit-lower-to-vector="lookup-tables=neon" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADISA

// BADISA: error: onebit-lower-to-vector: lookup-tables must be avx2 or avx512, got 'neon'

// A ternary layer with int8 activations takes the table-lookup kernel. The
// weights become lookup codes at compile time: N = 3 is one block of 32
// channels, K = 40 is 5 steps of 8 inputs, 10 vectors of codes. Each row
// gets 2 tables of 16 bytes per pair of inputs (K = 40 is padded to 64, 32
// pairs). The inner loop only looks up (onebit.byte_lookup) and adds; the
// two nibble tables' byte sums are joined by onebit.pair_sum. The integer
// sums are widened to i32 every 128 inputs; the row factor, the scale and
// the bias apply once per output, 8 channels per masked store.

// CHECK-LABEL: func.func @int8_layer
// CHECK: arith.constant dense_resource<fc_lookup_codes> : tensor<1x10x32xi8>
// CHECK: memref.alloc() : memref<2x32x32xi8>
// CHECK: scf.parallel
// CHECK:   arith.fptosi {{.*}} : vector<32xf32> to vector<32xi8>
// CHECK:   vector.store {{.*}} : memref<2x32x32xi8>, vector<32xi8>
// CHECK: scf.parallel
// CHECK:   scf.for {{.*}} step %c128
// CHECK:     scf.for {{.*}} step %c8
// CHECK-NOT:   arith.muli
// CHECK:       vector.load {{.*}} : memref<1x10x32xi8>, vector<32xi8>
// CHECK:       onebit.byte_lookup {{.*}} : vector<32xi8>
// CHECK-NOT:   arith.muli
// CHECK:       onebit.pair_sum {{.*}} : vector<32xi8> -> vector<16xi16>
// CHECK:     arith.extsi {{.*}} : vector<16xi16> to vector<16xi32>
// CHECK:   arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK:   arith.divf {{.*}} : vector<8xf32>
// CHECK:   arith.mulf {{.*}} : vector<8xf32>
// CHECK:   arith.addf {{.*}} : vector<8xf32>
// CHECK:   vector.transfer_write {{.*}} : vector<8xf32>, memref<2x3xf32>

// With AVX-512 a block is 64 channels, tiles 4 rows; single rows (here
// both: M = 2) prefetch their codes a page ahead, clamped to the last row
// of codes, two 64-byte rows a step.
// W64-LABEL: func.func @int8_layer
// W64: arith.constant dense_resource<fc_lookup_codes> : tensor<1x10x64xi8>
// W64: memref.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : memref<1x10x64xi8> into memref<10x64xi8>
// W64: arith.minui %{{.*}}, %c9
// W64: memref.prefetch %{{.*}}, read, locality<3>, data : memref<10x64xi8>
// W64: memref.prefetch %{{.*}}, read, locality<3>, data : memref<10x64xi8>
// W64: onebit.byte_lookup {{.*}} : vector<64xi8>
// W64: onebit.pair_sum {{.*}} : vector<64xi8> -> vector<32xi16>
func.func @int8_layer(%x: tensor<2x40xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %y = onebit.ternary_linear %x bias %b {layer_name = "fc",
         packed_weights = dense<[[[1, 2, 3, 4, 5], [2, 1, 4, 3, 8]],
                                 [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]],
                                 [[-1, 0, 0, 0, 0], [0, 0, 0, 0, -1]]]> : tensor<3x2x5xi8>,
         scale = dense<0.5> : tensor<1xf32>, int8_activations}
      : tensor<2x40xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Float activations take the float table-lookup kernel: the weights become
// plane words (N = 3 is one block of 4 vectors of 8 channels; K = 40 is two
// words of 30 inputs; plus and minus planes), each row one 8-entry table per
// group of 3 inputs (K = 40 padded to 60: 20 groups). The loop looks each
// group's 3-bit index up (onebit.lane_lookup: the plus and the minus one),
// adds and subtracts, and shifts the words right by 3; no multiply.

// CHECK-LABEL: func.func @float_layer
// CHECK: arith.constant dense_resource<ternary_plane_words> : tensor<1x2x2x32xi32>
// CHECK: memref.alloc() : memref<2x20x8xf32>
// CHECK: scf.parallel
// CHECK:   vector.store {{.*}} : memref<2x20x8xf32>, vector<8xf32>
// CHECK: scf.parallel
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK-NOT:   arith.mulf
// CHECK:       onebit.lane_lookup {{.*}} : vector<8xf32>, vector<8xi32>
// CHECK:       onebit.lane_lookup {{.*}} : vector<8xf32>, vector<8xi32>
// CHECK:       arith.subf
// CHECK:       arith.addf
// CHECK:       arith.shrui
// CHECK:     scf.yield
// CHECK:   arith.mulf {{.*}} : vector<8xf32>
// CHECK:   vector.transfer_write {{.*}} : vector<8xf32>, memref<2x3xf32>

// AVX-512 takes the wide-table kernel: one 32-entry table (two vectors) per
// group of 3 inputs holds all 27 sums a group's trits select, and the
// weights are group codes, 6 of 5 bits to a word (K = 40 is 3 words of 18
// inputs, 18 groups; N = 3 one block of 64 channels). Rows go in tiles of 4
// that share each word, in panels of rows whose tables fit 8 MiB (2304
// bytes a row here: 3640 rows), then one at a time, prefetching a page ahead (one
// line per vector of words): one lookup and one add per group and vector of
// channels, a shift by 5 between groups, no multiply.

// W64-LABEL: func.func @float_layer
// W64: arith.constant dense_resource<ternary_group_codes> : tensor<1x3x64xi32>
// W64: memref.alloc() : memref<2x18x32xf32>
// W64: scf.parallel
// W64:   scf.for
// W64:     arith.negf
// W64-COUNT-6: arith.select
// W64:     vector.store {{.*}} : memref<2x18x32xf32>, vector<16xf32>
// W64:     vector.store {{.*}} : memref<2x18x32xf32>, vector<16xf32>
// W64: scf.for {{.*}} step %c3640
// W64:   scf.parallel
// W64:   scf.for
// W64:     scf.for {{.*}} iter_args({{(%[a-z0-9_]+ = %[a-z0-9_]+, ){15}%[a-z0-9_]+ = }}%{{[a-z0-9_]+}}) -> (vector<16xf32>
// W64-NOT:   {{arith.mulf|memref.prefetch}}
// W64:       vector.load {{.*}} : memref<1x3x64xi32>, vector<16xi32>
// W64:       onebit.pair_lane_lookup {{.*}} : vector<16xf32>, vector<16xi32>
// W64-NEXT:  arith.addf
// W64:       arith.shrui
// W64:     scf.yield
// W64:   scf.for
// W64:     scf.for {{.*}} iter_args({{(%[a-z0-9_]+ = %[a-z0-9_]+, ){3}%[a-z0-9_]+ = }}%{{[a-z0-9_]+}}) -> (vector<16xf32>
// W64-COUNT-4: memref.prefetch %{{.*}}, read, locality<3>, data : memref<192xi32>
// W64:       onebit.pair_lane_lookup
// W64:   arith.mulf {{.*}} : vector<16xf32>
// W64:   vector.transfer_write {{.*}} : vector<16xf32>, memref<2x3xf32>
func.func @float_layer(%x: tensor<2x40xf32>) -> tensor<2x3xf32> {
  %y = onebit.ternary_linear %x {
         packed_weights = dense<0> : tensor<3x2x5xi8>,
         scale = dense<0.5> : tensor<1xf32>}
      : tensor<2x40xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Sign layers take the same kernel with one plane: the table holds the 8
// signed sums of a group, one lookup per group, no subtraction.

// CHECK-LABEL: func.func @sign_layer
// CHECK: arith.constant dense_resource<sign_plane_words> : tensor<1x1x1x32xi32>
// CHECK: arith.negf
// CHECK: onebit.lane_lookup
// CHECK-NOT: arith.subf
// CHECK: vector.transfer_write

// With the wide tables a sign group is 5 inputs (32 sums; K = 9 is one word
// of 30 inputs, 6 groups).

// W64-LABEL: func.func @sign_layer
// W64: arith.constant dense_resource<sign_group_codes> : tensor<1x1x64xi32>
// W64: memref.alloc() : memref<1x6x32xf32>
// W64-COUNT-5: arith.negf
// W64: onebit.pair_lane_lookup
// W64-NOT: arith.subf
// W64: vector.transfer_write
func.func @sign_layer(%x: tensor<1x9xf32>) -> tensor<1x2xf32> {
  %y = onebit.sign_linear %x {packed_signs = dense<[[5, 0], [1, 1]]> : tensor<2x2xi8>,
         h = dense<[0.5, 2.0]> : tensor<2xf32>}
      : tensor<1x9xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
