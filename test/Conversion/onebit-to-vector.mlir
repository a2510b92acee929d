// RUN: onebit-opt %s --onebit-lower-to-vector --split-input-file | FileCheck %s
// RUN: onebit-opt %s --onebit-lower-to-vector="vector-width=8" --split-input-file | FileCheck %s --check-prefix=W8
// RUN: onebit-opt %s --onebit-lower-to-vector="float-layers=true" --split-input-file | FileCheck %s --check-prefix=FLOAT
// RUN: not onebit-opt %s --onebit-lower-to-vector="vector-width=12" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADWIDTH

// BADWIDTH: error: onebit-lower-to-vector: vector-width must be a positive multiple of 8, got 12

// The inner loop over K reads two bytes of each bit plane as a 16-lane mask
// and only adds or subtracts activations under it: no multiplication. The
// scale and bias are applied once per output after the reduction. K = 40 is
// two full groups of 16 and a tail of 8 read with zero padding. N = 3 is one
// block of channels.
// CHECK-LABEL: func @ternary
// CHECK-DAG: %[[W:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<3x2x5xi8> to memref<3x2x5xi8>
// CHECK-DAG: %[[S:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<3xf32> to memref<3xf32>
// CHECK-DAG: %[[X:.*]] = bufferization.to_buffer %arg0 read_only : tensor<4x40xf32> to memref<4x40xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<4x3xf32>
// CHECK: scf.parallel (%[[B:.*]]) = (%c0{{.*}}) to (%c1{{.*}}) step
// CHECK:   %[[N0:.*]] = arith.muli %[[B]], %c3
// CHECK:   %[[N1:.*]] = arith.addi %[[N0]], %c1
// CHECK:   %[[N2:.*]] = arith.addi %[[N0]], %c2
// CHECK:   %[[SCALE0:.*]] = memref.load %[[S]][%[[N0]]]
// Tiles of 4 rows by the block's 3 channels (12 accumulators): a step loads
// each channel's two planes once for the 4 rows, and each row of x once for
// the 3 channels.
// CHECK:   scf.for %[[M0:.*]] = %{{.*}} to %[[BLOCKED:.*]] step %c4
// CHECK:     %{{.*}}:12 = scf.for {{.*}} -> (vector<16xf32>,
// CHECK-NOT: arith.mulf
// CHECK-COUNT-6: vector.bitcast %{{.*}} : vector<2xi8> to vector<16xi1>
// CHECK-NOT: arith.mulf
// CHECK-COUNT-4: vector.load %[[X]]
// CHECK-NOT: arith.mulf
// CHECK:       scf.yield
// Then the rows left, one at a time, through the same channels (K = 40 is
// too short for the main loop's 4 groups per step: single groups here):
// CHECK:   scf.for %[[M:.*]] = %[[BLOCKED]] to
// CHECK:     %[[ACC:.*]]:3 = scf.for %[[K:.*]] = %{{.*}} to %c32{{.*}} step %c16{{.*}} iter_args(%[[A:[a-z0-9_]+]] = {{.*}}) -> (vector<16xf32>,
// CHECK-NOT:     arith.mulf
// CHECK:       %[[P:.*]] = vector.load %[[W]][%[[N0]], %c0{{.*}}, %{{.*}}] : memref<3x2x5xi8>, vector<2xi8>
// CHECK:       %[[PM:.*]] = vector.bitcast %[[P]] : vector<2xi8> to vector<16xi1>
// CHECK:       %[[Q:.*]] = vector.load %[[W]][%[[N0]], %c1{{.*}}, %{{.*}}] : memref<3x2x5xi8>, vector<2xi8>
// CHECK:       %[[MM:.*]] = vector.bitcast %[[Q]] : vector<2xi8> to vector<16xi1>
// CHECK:       vector.load %[[W]][%[[N1]], %c0{{.*}}, %{{.*}}]
// CHECK:       vector.load %[[W]][%[[N2]], %c1{{.*}}, %{{.*}}]
// CHECK:       %[[XV:.*]] = vector.load %[[X]][%[[M]], %[[K]]] : memref<4x40xf32>, vector<16xf32>
// CHECK-NOT:     arith.mulf
// CHECK:       %[[ADD:.*]] = arith.addf %[[A]], %[[XV]] : vector<16xf32>
// CHECK:       %[[A1:.*]] = arith.select %[[PM]], %[[ADD]], %[[A]]
// CHECK:       %[[SUB:.*]] = arith.subf %[[A1]], %[[XV]] : vector<16xf32>
// CHECK:       %[[A2:.*]] = arith.select %[[MM]], %[[SUB]], %[[A1]]
// CHECK-NOT:     arith.mulf
// CHECK:       scf.yield %[[A2]],
// CHECK:     vector.transfer_read %[[W]][%[[N0]], %c0{{.*}}, %{{.*}}], %{{.*}} : memref<3x2x5xi8>, vector<2xi8>
// CHECK:     vector.transfer_read %[[X]][%[[M]], %c32{{.*}}], %{{.*}} : memref<4x40xf32>, vector<16xf32>
// CHECK-NOT: arith.mulf
// The three channels' sums come out of one shuffle tree, lanes 0, 4 and 8:
// CHECK:     vector.shuffle
// CHECK:     %[[SUM:.*]] = vector.extract %[[FOLDED:.*]][0] : f32 from vector<16xf32>
// CHECK:     vector.extract %[[FOLDED]][4] : f32 from vector<16xf32>
// CHECK:     vector.extract %[[FOLDED]][8] : f32 from vector<16xf32>
// CHECK:     %[[Y:.*]] = arith.mulf %[[SUM]], %[[SCALE0]] : f32
// CHECK:     %[[YB:.*]] = arith.addf %[[Y]], %{{.*}} : f32
// CHECK:     memref.store %[[YB]], %[[OUT]][%[[M]], %[[N0]]] : memref<4x3xf32>
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable : memref<4x3xf32> to tensor<4x3xf32>

// At 8 lanes each plane gives one byte per group.
// W8-LABEL: func @ternary
// W8: scf.for {{.*}} step %c8{{.*}} iter_args
// W8: vector.load {{.*}} : memref<3x2x5xi8>, vector<1xi8>
// W8: vector.bitcast {{.*}} : vector<1xi8> to vector<8xi1>
func.func @ternary(%x: tensor<4x40xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  %y = onebit.ternary_linear %x bias %b {packed_weights = dense<0> : tensor<3x2x5xi8>, scale = dense<[0.5, 1.0, 2.0]> : tensor<3xf32>} : tensor<4x40xf32>, tensor<3xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// Sign bits choose between acc + x and acc - x. g scales x once per row
// before the kernel, h each output after the reduction. K = 32: no tail.
// CHECK-LABEL: func @sign
// CHECK: %[[XG:.*]] = linalg.generic
// CHECK: %[[X:.*]] = bufferization.to_buffer %[[XG]] read_only : tensor<?x32xf32> to memref<?x32xf32>
// CHECK: %[[ROWS:.*]] = memref.dim %[[X]], %c0
// CHECK: memref.alloc(%[[ROWS]]) : memref<?x2xf32>
// CHECK: scf.parallel
// CHECK:   scf.for
// CHECK:     scf.for {{.*}} -> (vector<16xf32>,
// CHECK-NOT:   arith.mulf
// CHECK:       %[[BITS:.*]] = vector.bitcast %{{.*}} : vector<2xi8> to vector<16xi1>
// CHECK:       %[[ADD:.*]] = arith.addf
// CHECK:       %[[SUB:.*]] = arith.subf
// CHECK:       arith.select %[[BITS]], %[[ADD]], %[[SUB]]
// CHECK-NOT:   arith.mulf
// CHECK:       scf.yield
// CHECK-NOT: vector.transfer_read
// CHECK:     vector.extract
// CHECK:     arith.mulf
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [%{{.*}}, 3, 2] : tensor<?x2xf32> into tensor<?x3x2xf32>
func.func @sign(%x: tensor<?x3x32xf32>) -> tensor<?x3x2xf32> {
  %y = onebit.sign_linear %x {packed_signs = dense<5> : tensor<2x4xi8>, g = dense<2.0> : tensor<32xf32>, h = dense<[1.0, 3.0]> : tensor<2xf32>} : tensor<?x3x32xf32> -> tensor<?x3x2xf32>
  return %y : tensor<?x3x2xf32>
}

// -----

// W1.58A8: the row quantization runs before the kernel, and the division by
// r after the reduction. The quantized activations become i16 (a NaN as 0:
// its row's r is NaN already), and the kernel adds them in i16 lanes, twice
// as many per vector as f32, widening each chunk's sums to i32 before they
// could overflow: 128 steps a chunk, 4096 inputs at 32 lanes (K = 2088 is
// less than one chunk), 2048 at vector-width=8 (one chunk and the rest).
// Where r is 0 (an infinity in the row) the output is NaN, as in f32.
// CHECK-LABEL: func @int8
// CHECK: math.roundeven
// CHECK: arith.cmpf uno
// CHECK: arith.fptosi %{{.*}} : f32 to i16
// CHECK: bufferization.to_buffer %{{.*}} read_only : tensor<1x2088xi16> to memref<1x2088xi16>
// The buffers: x, the planes, the scale, then r.
// CHECK: bufferization.to_buffer %{{.*}} read_only : tensor<1xf32> to memref<1xf32>
// CHECK: %[[R:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1xf32> to memref<1xf32>
// CHECK: scf.parallel
// CHECK:   scf.for %[[M:.*]] =
// CHECK:     scf.for {{.*}} -> (vector<32xi16>,
// CHECK-NOT:   arith.mul
// CHECK:       %[[ADD:.*]] = arith.addi %{{.*}} : vector<32xi16>
// CHECK-NEXT:  %[[PLUS:.*]] = arith.select %{{.*}}, %[[ADD]], %{{.*}} : vector<32xi1>, vector<32xi16>
// CHECK-NEXT:  %[[SUB:.*]] = arith.subi %[[PLUS]], %{{.*}} : vector<32xi16>
// CHECK-NEXT:  arith.select %{{.*}}, %[[SUB]], %[[PLUS]] : vector<32xi1>, vector<32xi16>
// CHECK-NOT:   arith.mul
// CHECK:       scf.yield
// CHECK:     arith.extsi %{{.*}} : vector<32xi16> to vector<32xi32>
// CHECK:     arith.sitofp %{{.*}} : vector<32xi32> to vector<32xf32>
// CHECK:     %[[SUM:.*]] = vector.extract %{{.*}}[0]
// CHECK:     %[[RM:.*]] = memref.load %[[R]][%[[M]]]
// CHECK:     %[[Q:.*]] = arith.divf %[[SUM]], %[[RM]] : f32
// CHECK:     %[[INF:.*]] = arith.cmpf oeq, %[[RM]], %{{.*}} : f32
// CHECK:     arith.select %[[INF]], %{{.*}}, %[[Q]] : f32
// CHECK: tensor.collapse_shape
// W8-LABEL: func @int8
// W8: scf.for %{{.*}} = %c0{{.*}} to %c2048{{.*}} step %c2048{{.*}} iter_args({{.*}}) -> (vector<16xi32>,
// W8:   scf.for {{.*}} step %c16{{.*}} iter_args({{.*}}) -> (vector<16xi16>,
// W8:   arith.extsi %{{.*}} : vector<16xi16> to vector<16xi32>
// W8: scf.for %{{.*}} = %c2048{{.*}} to %c2080{{.*}} step %c16{{.*}} iter_args({{.*}}) -> (vector<16xi16>,
func.func @int8(%x: tensor<2088xf32>) -> tensor<2xf32> {
  %y = onebit.ternary_linear %x {packed_weights = dense<0> : tensor<2x2x261xi8>, scale = dense<1.0> : tensor<1xf32>, int8_activations} : tensor<2088xf32> -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// Float layers are not this pass's business (unless float-layers is set).
// CHECK-LABEL: func @float_layer
// CHECK: onebit.linear
func.func @float_layer(%x: tensor<4x8xf32>, %w: tensor<3x8xf32>) -> tensor<4x3xf32> {
  %y = onebit.linear %x, %w : tensor<4x8xf32>, tensor<3x8xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// A single row of a low-bit layer: the block's channels (here both) share
// each load of x, four groups of `vector-width` inputs in flight per channel
// (8 accumulators), summed pairwise after the main loop; then single groups,
// then the tail. K = 152: two steps of 4 x 16 (128), a group of 16 (144), a
// tail of 8.
// CHECK-LABEL: func @single_row
// CHECK: %[[R:.*]]:8 = scf.for %[[K:.*]] = %c0{{.*}} to %c128{{.*}} step %c64{{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-NOT: arith.mulf
// CHECK-COUNT-4: vector.load {{.*}} : memref<1x152xf32>, vector<16xf32>
// CHECK-NOT: vector.load {{.*}} : memref<1x152xf32>
// CHECK-NOT: arith.mulf
// CHECK: scf.yield
// CHECK: %[[P01:.*]] = arith.addf %[[R]]#0, %[[R]]#1 : vector<16xf32>
// CHECK: %[[P23:.*]] = arith.addf %[[R]]#2, %[[R]]#3 : vector<16xf32>
// CHECK: %[[P0:.*]] = arith.addf %[[P01]], %[[P23]] : vector<16xf32>
// CHECK: %[[P45:.*]] = arith.addf %[[R]]#4, %[[R]]#5 : vector<16xf32>
// CHECK: %[[P67:.*]] = arith.addf %[[R]]#6, %[[R]]#7 : vector<16xf32>
// CHECK: %[[P1:.*]] = arith.addf %[[P45]], %[[P67]] : vector<16xf32>
// CHECK: scf.for %{{.*}} = %c128{{.*}} to %c144{{.*}} step %c16{{.*}} iter_args(%{{.*}} = %[[P0]], %{{.*}} = %[[P1]]) -> (vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_read %{{.*}}[%{{.*}}, %c144{{.*}}]
// The two channels' accumulators are summed side by side: their low halves
// and their high halves, added, put channel 0's partial sums in lanes 0-7 and
// channel 1's in lanes 8-15; three folds sum each half into its first lane.
// CHECK: %[[LO:.*]] = vector.shuffle %[[C0:.*]], %[[C1:.*]] [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]
// CHECK: %[[HI:.*]] = vector.shuffle %[[C0]], %[[C1]] [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]
// CHECK: %[[PAIR:.*]] = arith.addf %[[LO]], %[[HI]] : vector<16xf32>
// CHECK: %[[UP:.*]] = vector.shuffle %[[PAIR]], %[[PAIR]] [4, 5, 6, 7, 4, 5, 6, 7, 12, 13, 14, 15, 12, 13, 14, 15]
// CHECK: arith.addf %[[PAIR]], %[[UP]] : vector<16xf32>
// CHECK-COUNT-2: vector.shuffle
// CHECK: %[[F:.*]] = arith.addf
// CHECK: vector.extract %[[F]][0] : f32 from vector<16xf32>
// CHECK: vector.extract %[[F]][8] : f32 from vector<16xf32>
// W8-LABEL: func @single_row
// W8: scf.for %{{.*}} = %c0{{.*}} to %c128{{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// W8: scf.for %{{.*}} = %c128{{.*}} to %c152{{.*}} step %c8
func.func @single_row(%x: tensor<1x152xf32>) -> tensor<1x2xf32> {
  %y = onebit.sign_linear %x {packed_signs = dense<85> : tensor<2x19xi8>} : tensor<1x152xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// N = 6 in blocks of 4 channels: the last block's channels are clamped to
// N - 1 = 5, so it computes and stores channel 5 three times, with the same
// value, instead of needing a loop of its own.
// CHECK-LABEL: func @clamped_channels
// CHECK: scf.parallel (%[[B:.*]]) = (%c0{{.*}}) to (%c2{{.*}})
// CHECK:   %[[F:.*]] = arith.muli %[[B]], %c4
// CHECK:   %[[F1:.*]] = arith.addi %[[F]], %c1
// CHECK:   %[[F2:.*]] = arith.addi %[[F]], %c2
// CHECK:   %[[F3:.*]] = arith.addi %[[F]], %c3
// CHECK:   arith.minui %[[F]], %c5
// CHECK:   arith.minui %[[F1]], %c5
// CHECK:   arith.minui %[[F2]], %c5
// CHECK:   arith.minui %[[F3]], %c5
// Each step prefetches the next block's bit planes, one contiguous run of
// 4 x 2 bytes a block, at the rate the loop consumes its own (input k:
// byte k / 2 of it for sign bits); the last block's next is clamped to the
// last byte.
// CHECK:   %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0, 1]] : memref<6x2xi8> into memref<12xi8>
// CHECK:   %[[NEXT:.*]] = arith.addi %[[B]], %c1
// CHECK:   %[[START:.*]] = arith.muli %[[NEXT]], %c8
// CHECK:   scf.for
// CHECK:     %[[HALF:.*]] = arith.shrui %{{.*}}, %c1
// CHECK:     %[[AT:.*]] = arith.addi %[[START]], %[[HALF]]
// CHECK:     %[[CLAMPED:.*]] = arith.minui %[[AT]], %c11
// CHECK:     memref.prefetch %[[FLAT]][%[[CLAMPED]]], read, locality<3>, data : memref<12xi8>
func.func @clamped_channels(%x: tensor<1x16xf32>) -> tensor<1x6xf32> {
  %y = onebit.sign_linear %x {packed_signs = dense<85> : tensor<6x2xi8>} : tensor<1x16xf32> -> tensor<1x6xf32>
  return %y : tensor<1x6xf32>
}

// -----

// Float layers (float-layers=true) at M = 1 take the block's channels one
// after another, each with four independent FMA chains summed pairwise, so
// the float weights stream from memory in one sequential run.
// FLOAT-LABEL: func @float_single_row
// FLOAT: %[[W:.*]] = bufferization.to_buffer %arg1
// FLOAT: scf.parallel
// FLOAT: %[[R:.*]]:4 = scf.for %{{.*}} = %c0{{.*}} to %c128{{.*}} step %c64{{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// FLOAT-COUNT-4: vector.fma
// FLOAT: scf.yield
// FLOAT: %[[P01:.*]] = arith.addf %[[R]]#0, %[[R]]#1 : vector<16xf32>
// FLOAT: %[[P23:.*]] = arith.addf %[[R]]#2, %[[R]]#3 : vector<16xf32>
// FLOAT: arith.addf %[[P01]], %[[P23]] : vector<16xf32>
// FLOAT: vector.reduction <add>
// FLOAT: memref.store
// The second channel of the block, its own loop:
// FLOAT: scf.for %{{.*}} = %c0{{.*}} to %c128{{.*}} step %c64{{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
func.func @float_single_row(%x: tensor<1x152xf32>, %w: tensor<2x152xf32>) -> tensor<1x2xf32> {
  %y = onebit.linear %x, %w : tensor<1x152xf32>, tensor<2x152xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// An int4 layer (lowered also without float-layers): each group of 16
// weights is 8 bytes loaded at k / 2, split into sign-extended low nibbles
// (even k) and high nibbles (odd k), interleaved back into order and
// converted, then FMAs; the row scale multiplies each output once.
// CHECK-LABEL: func @quantized_int4_row
// CHECK: %[[Q:.*]] = bufferization.to_buffer %arg1 read_only : tensor<6x32xi8> to memref<6x32xi8>
// CHECK: %[[S:.*]] = bufferization.to_buffer %arg2 read_only : tensor<6xf32> to memref<6xf32>
// CHECK: scf.parallel
// CHECK: %[[SCALE:.*]] = memref.load %[[S]]
// CHECK: scf.for
// CHECK: %[[BYTES:.*]] = vector.load %[[Q]][%{{.*}}, %{{.*}}] : memref<6x32xi8>, vector<8xi8>
// CHECK: %[[UP:.*]] = arith.shli %[[BYTES]], %[[FOUR:.*]] : vector<8xi8>
// CHECK: %[[LOW:.*]] = arith.shrsi %[[UP]], %[[FOUR]] : vector<8xi8>
// CHECK: %[[HIGH:.*]] = arith.shrsi %[[BYTES]], %[[FOUR]] : vector<8xi8>
// CHECK: %[[ORDERED:.*]] = vector.shuffle %[[LOW]], %[[HIGH]] [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15]
// CHECK: %[[W:.*]] = arith.sitofp %[[ORDERED]] : vector<16xi8> to vector<16xf32>
// CHECK: vector.fma %{{.*}}, %[[W]], %{{.*}} : vector<16xf32>
// CHECK: %[[Y:.*]] = arith.mulf %{{.*}}, %[[SCALE]] : f32
// CHECK-NEXT: memref.store %[[Y]]
// W8-LABEL: func @quantized_int4_row
// W8: vector.load %{{.*}} : memref<6x32xi8>, vector<4xi8>
// W8: arith.sitofp %{{.*}} : vector<8xi8> to vector<8xf32>
func.func @quantized_int4_row(%x: tensor<1x64xf32>, %q: tensor<6x32xi8>, %s: tensor<6xf32>) -> tensor<1x6xf32> {
  %y = onebit.quantized_linear %x, %q, %s {bits = 4 : i64} : tensor<1x64xf32>, tensor<6x32xi8>, tensor<6xf32> -> tensor<1x6xf32>
  return %y : tensor<1x6xf32>
}

// -----

// int8: a byte per lane, converted as loaded; no nibble split.
// CHECK-LABEL: func @quantized_int8
// CHECK: %[[BYTES:.*]] = vector.load %{{.*}} : memref<3x40xi8>, vector<16xi8>
// CHECK-NEXT: %[[W:.*]] = arith.sitofp %[[BYTES]] : vector<16xi8> to vector<16xf32>
// The 8 inputs past two whole groups are read with zero padding.
// CHECK: vector.transfer_read %{{.*}} : memref<3x40xi8>, vector<16xi8>
// CHECK-NOT: vector.shuffle {{.*}} vector<8xi8>
func.func @quantized_int8(%x: tensor<?x40xf32>, %q: tensor<3x40xi8>, %s: tensor<3xf32>) -> tensor<?x3xf32> {
  %y = onebit.quantized_linear %x, %q, %s {bits = 8 : i64} : tensor<?x40xf32>, tensor<3x40xi8>, tensor<3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
