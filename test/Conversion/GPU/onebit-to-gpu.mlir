// RUN: onebit-opt %s --onebit-lower-to-gpu-kernels --split-input-file | FileCheck %s --check-prefix=CALL
// RUN: onebit-opt %s --onebit-cuda-lower-layers --onebit-cuda-bufferize --split-input-file | FileCheck %s
// RUN: onebit-opt %s --onebit-cuda-lower-layers --onebit-cuda-bufferize --onebit-cuda-kernels --gpu-module-to-binary=format=isa --split-input-file | FileCheck %s --check-prefix=PTX

// Until bufferization is done the layer is a call of a declared kernel on
// buffers; the declaration says what its operands are.
// CALL-LABEL: func.func @ternary
// CALL: call @onebit_gpu_layer_ternary_16x64_scale_bias(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x64xf32>, memref<16x2x8xi8>, memref<1xf32>, memref<16xf32>, memref<?x16xf32>) -> ()
// CALL: func.func private @onebit_gpu_layer_ternary_16x64_scale_bias({{.*}}) attributes {onebit.gpu_layer = {bias = true, in_features = 64 : i64, out_features = 16 : i64, row_divisor = false, scale = true, ternary = true}}

// After bufferization, one launch: 4 blocks of 4 warps cover the 16
// channels, with the dynamic shared memory of the single-row table (16 x 16
// floats). With M >= 16 (prefill) block row by takes the 64 rows from 64 by
// on tensor cores: per word of K (two steps of 16), each warp loads both
// planes of its 4 n-tiles' channels and decodes each weight once into bf16
// pairs, then for each of the 4 m-tiles splits x into 3 bf16 parts (float
// activations) and runs one mma.sync m16n8k16 per part and n-tile; the
// scale and bias are applied once per output.
// CHECK-LABEL: func.func @ternary
// CHECK: %[[BYTES:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : memref<16x2x8xi8> into memref<256xi8>
// CHECK: %[[WORDS:.*]] = memref.view %[[BYTES]][%{{.*}}][] : memref<256xi8> to memref<16x4xi32>
// CHECK: %[[MMA:.*]] = arith.cmpi uge, %{{.*}}, %c16 : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c4{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c128{{.*}}, {{.*}}) dynamic_shared_memory_size %c1024_i32
// CHECK: %[[RAW:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: scf.if %[[MMA]] {
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-8: memref.load %[[WORDS]]
// CHECK-NOT: gpu.barrier
// CHECK: vector.load %{{.*}} {alignment = 8 : i64} : memref<?x64xf32>, vector<2xf32>
// CHECK-COUNT-3: arith.truncf %{{.*}} : vector<2xf32> to vector<2xbf16>
// CHECK-NOT: gpu.barrier
// CHECK-COUNT-12: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-NOT: gpu.barrier
// CHECK: scf.yield
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: memref.store
// A single row: the block builds the table of the 16 subset sums of each
// group of 4 activations once (11 adds a group; K = 64 is one window of 16
// groups, 16 columns), then each warp streams its channels: per load, 2
// words of each plane (8-byte vector loads), and per nibble one lookup and
// one add or subtract; no multiply, and no barrier after the table's.
// CHECK: } else {
// CHECK: memref.view %[[RAW]][%{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for
// CHECK-COUNT-4: memref.load %{{.*}} : memref<?x64xf32>
// CHECK-COUNT-11: arith.addf
// CHECK-COUNT-16: memref.store %{{.*}} : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (f32, f32)
// CHECK: vector.load %[[WORDS]][{{.*}}] {alignment = 8 : i64} : memref<16x4xi32>, vector<2xi32>
// CHECK: vector.load %[[WORDS]][{{.*}}] {alignment = 8 : i64} : memref<16x4xi32>, vector<2xi32>
// CHECK-NOT: arith.mulf
// CHECK-COUNT-32: memref.load %{{.*}} : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: arith.mulf
// CHECK: scf.yield
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK-NOT: gpu.barrier
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: memref.store
// CHECK: gpu.terminator

// The same kernel compiled for sm_90:
// PTX: .target sm_90
// PTX: .visible .entry ternary_kernel
// PTX: .maxntid 128, 1, 1
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: bar.sync
// PTX-DAG: ld.global.v2.b32
// PTX-DAG: ld.shared.b32
func.func @ternary(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %b = arith.constant dense<0.5> : tensor<16xf32>
  %y = onebit.ternary_linear %x bias %b {packed_weights = dense<[[[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]]]> : tensor<16x2x8xi8>, scale = dense<0.25> : tensor<1xf32>} : tensor<?x64xf32>, tensor<16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Sign layers: one plane; g before the launch, h in it. On tensor cores a
// weight's one bit becomes +1 or -1 in bf16: 0x3F80 with the sign bit where
// the weight bit is clear.
// CALL-LABEL: func.func @sign
// CALL: linalg.generic
// CALL: call @onebit_gpu_layer_sign_2x32_scale(
// CHECK-LABEL: func.func @sign
// CHECK: memref.view %{{.*}} : memref<8xi8> to memref<2x1xi32>
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK-COUNT-4: memref.load %{{.*}} : memref<2x1xi32>
// CHECK-NOT: memref.load %{{.*}} : memref<2x1xi32>
// CHECK: arith.xori %{{.*}}, %c65537_i32 : i32
// CHECK: arith.ori %c1065369472_i32, %{{.*}} : i32
// CHECK: nvvm.mma.sync
// CHECK: scf.yield
// A single row of a sign layer looks up the plane's nibble alone and ends
// with 2 sum - sum(x), sum(x) from the table's full-mask column, added up by
// each warp and then by every thread in the same order.
// CHECK: memref.view %{{.*}} to memref<16x8xf32, #gpu.address_space<workgroup>>
// CHECK: memref.view %{{.*}} to memref<4xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for {{.*}} -> (f32)
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: gpu.barrier
// CHECK-COUNT-4: memref.load %{{.*}} : memref<4xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for {{.*}} -> (f32, f32)
// CHECK: memref.load %{{.*}} : memref<2x1xi32>
// CHECK-NOT: arith.mulf
// CHECK-COUNT-8: memref.load %{{.*}} : memref<16x8xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: arith.mulf
// CHECK: scf.yield
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: %[[TWICE:.*]] = arith.addf %[[DOT:.*]], %[[DOT]] : f32
// CHECK: arith.subf %[[TWICE]], %{{.*}} : f32
// PTX: .visible .entry sign_kernel
func.func @sign(%x: tensor<?x3x32xf32>) -> tensor<?x3x2xf32> {
  %y = onebit.sign_linear %x {packed_signs = dense<5> : tensor<2x4xi8>, g = dense<2.0> : tensor<32xf32>, h = dense<[1.0, 3.0]> : tensor<2xf32>} : tensor<?x3x32xf32> -> tensor<?x3x2xf32>
  return %y : tensor<?x3x2xf32>
}

// -----

// K = 128: each lane loads 128 bits of a plane at once (4 words, 32 groups;
// the table has a padding column after every 32: 32 + 1 columns), and the
// PTX has the 16-byte loads.
// CHECK-LABEL: func.func @wide_loads
// CHECK: memref<16x33xf32, #gpu.address_space<workgroup>>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<2x8xi32>, vector<4xi32>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<2x8xi32>, vector<4xi32>
// CHECK-COUNT-64: memref.load %{{.*}} : memref<16x33xf32, #gpu.address_space<workgroup>>
// PTX: .visible .entry wide_loads_kernel
// PTX: ld.global.v4.b32
func.func @wide_loads(%x: tensor<?x128xf32>) -> tensor<?x2xf32> {
  %y = onebit.ternary_linear %x {packed_weights = dense<[[[5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5], [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]], [[5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5], [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]]]> : tensor<2x2x16xi8>, scale = dense<1.0> : tensor<1xf32>} : tensor<?x128xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// BitNet's int8 activations are integers of at most 128 in magnitude,
// exact in bf16: one part, one mma per m-tile and n-tile (and the row
// divisor in the epilogue).
// CHECK-LABEL: func.func @int8_activations
// CHECK: scf.if
// CHECK: vector.load %{{.*}} : memref<?x128xf32>, vector<2xf32>
// CHECK-NEXT: arith.truncf %{{.*}} : vector<2xf32> to vector<2xbf16>
// CHECK-NEXT: vector.bitcast
// CHECK-NEXT: vector.extract
// CHECK-NEXT: vector.load %{{.*}} : memref<?x128xf32>, vector<2xf32>
// CHECK-COUNT-3: arith.truncf %{{.*}} : vector<2xf32> to vector<2xbf16>
// CHECK-NOT: arith.truncf
// CHECK-COUNT-4: nvvm.mma.sync
// CHECK-NOT: arith.truncf
// CHECK: vector.load %{{.*}} : memref<?x128xf32>, vector<2xf32>
// CHECK: arith.divf
func.func @int8_activations(%x: tensor<?x128xf32>) -> tensor<?x2xf32> {
  %y = onebit.ternary_linear %x {packed_weights = dense<[[[5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5], [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]], [[5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5], [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]]]> : tensor<2x2x16xi8>, scale = dense<1.0> : tensor<1xf32>, int8_activations} : tensor<?x128xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// K = 16384 needs two windows of 8192 (a table of 16 x 2112 floats, and
// the warps' 4 parts of sum(x)): the block rebuilds the table between
// barriers, and each warp adds its second partial dot product to the
// first, in y, before the epilogue (h).
// CHECK-LABEL: func.func @two_windows
// CHECK: dynamic_shared_memory_size %c135184_i32
// CHECK: } else {
// CHECK: memref<16x2112xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK: scf.for {{.*}} -> (f32, f32)
// CHECK: memref.store %{{.*}} : memref<?x1xf32>
// CHECK: gpu.barrier
// CHECK: gpu.barrier
// CHECK: scf.for {{.*}} -> (f32, f32)
// CHECK: %[[FIRST:.*]] = memref.load %{{.*}} : memref<?x1xf32>
// CHECK: %[[BOTH:.*]] = arith.addf %[[FIRST]], %{{.*}} : f32
// CHECK: arith.mulf %[[BOTH]]
// CHECK: memref.store %{{.*}} : memref<?x1xf32>
func.func @two_windows(%x: tensor<?x16384xf32>) -> tensor<?x1xf32> {
  %y = onebit.sign_linear %x {packed_signs = dense<5> : tensor<1x2048xi8>, g = dense<1.0> : tensor<16384xf32>, h = dense<3.0> : tensor<1xf32>} : tensor<?x16384xf32> -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// K = 40 is not a multiple of 32: the layer is left to the reference
// lowering.
// CALL-LABEL: func.func @odd_k
// CALL: onebit.ternary_linear
// CALL-NOT: call @onebit_gpu_layer
func.func @odd_k(%x: tensor<4x40xf32>) -> tensor<4x3xf32> {
  %y = onebit.ternary_linear %x {packed_weights = dense<[[[1, 1, 1, 1, 1], [2, 2, 2, 2, 2]], [[1, 1, 1, 1, 1], [2, 2, 2, 2, 2]], [[1, 1, 1, 1, 1], [2, 2, 2, 2, 2]]]> : tensor<3x2x5xi8>, scale = dense<1.0> : tensor<3xf32>} : tensor<4x40xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
