// RUN: onebit-opt %s --onebit-lower-to-gpu-kernels --split-input-file | FileCheck %s --check-prefix=CALL
// RUN: onebit-opt %s --onebit-cuda-lower-layers --onebit-cuda-bufferize --split-input-file | FileCheck %s
// RUN: onebit-opt %s --onebit-cuda-lower-layers --onebit-cuda-bufferize --onebit-cuda-kernels --gpu-module-to-binary=format=isa --split-input-file | FileCheck %s --check-prefix=PTX

// Until bufferization is done the layer is a call of a declared kernel on
// buffers; the declaration says what its operands are.
// CALL-LABEL: func.func @ternary
// CALL: call @onebit_gpu_layer_ternary_16x64_scale_bias(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x64xf32>, memref<16x2x8xi8>, memref<1xf32>, memref<16xf32>, memref<?x16xf32>) -> ()
// CALL: func.func private @onebit_gpu_layer_ternary_16x64_scale_bias({{.*}}) attributes {onebit.gpu_layer = {bias = true, in_features = 64 : i64, out_features = 16 : i64, row_divisor = false, scale = true, ternary = true}}

// After bufferization, one launch: 2 blocks of 8 warps cover the 16
// channels; block rows below M / 8 take full tiles of 8 rows, whose rows
// share each decode of the weights (2 accumulators a row), the block rows
// after them one row each (by table lookup, below). Each chunk of x (32 words per
// plane, 33 floats per word with the padding) is staged in dynamic shared
// memory between barriers. The planes are read as i32 words; the loop only
// adds and subtracts x; the warp sums by shuffles; the scale and bias are
// applied once per output.
// CHECK-LABEL: func.func @ternary
// CHECK: %[[BYTES:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : memref<16x2x8xi8> into memref<256xi8>
// CHECK: %[[WORDS:.*]] = memref.view %[[BYTES]][%{{.*}}][] : memref<256xi8> to memref<16x4xi32>
// CHECK-NOT: scf.if
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c2{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c256{{.*}}, {{.*}}) dynamic_shared_memory_size %c33792_i32
// CHECK: %[[RAW:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: scf.if
// CHECK: memref.view %[[RAW]][%{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<8x1056xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}} : memref<8x1056xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK-NOT: arith.mulf
// CHECK: memref.load %[[WORDS]]
// CHECK: memref.load %[[WORDS]]
// CHECK-NOT: arith.mulf
// CHECK-COUNT-512: arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK-NOT: arith.mulf
// CHECK: scf.yield
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: memref.store
// Single rows look nibbles up in a table of the 16 subset sums of each
// group of 4 activations (11 adds a group, built by the block per chunk):
// 8 groups a lane, each one shuffle per plane, one lookup and one add or
// subtract; no multiply.
// CHECK: memref.view %[[RAW]][%{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<16x256xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for {{.*}} -> (f32, f32)
// CHECK: gpu.barrier
// CHECK-COUNT-11: arith.addf
// CHECK-COUNT-16: memref.store %{{.*}} : memref<16x256xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK-NOT: arith.mulf
// CHECK-COUNT-16: gpu.shuffle  idx
// CHECK-NOT: arith.mulf
// CHECK: scf.yield
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: gpu.terminator

// The same kernel compiled for sm_90:
// PTX: .target sm_90
// PTX: .visible .entry ternary_kernel
// PTX: shfl.sync.bfly.b32
// PTX: bar.sync
func.func @ternary(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %b = arith.constant dense<0.5> : tensor<16xf32>
  %y = onebit.ternary_linear %x bias %b {packed_weights = dense<[[[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]], [[15, 15, 15, 15, 15, 15, 15, 15], [-16, -16, -16, -16, -16, -16, -16, -16]]]> : tensor<16x2x8xi8>, scale = dense<0.25> : tensor<1xf32>} : tensor<?x64xf32>, tensor<16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Sign layers: one plane, add or subtract; g before the launch, h in it.
// CALL-LABEL: func.func @sign
// CALL: linalg.generic
// CALL: call @onebit_gpu_layer_sign_2x32_scale(
// CHECK-LABEL: func.func @sign
// CHECK: memref.view %{{.*}} : memref<8xi8> to memref<2x1xi32>
// CHECK: gpu.launch
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-NOT: arith.mulf
// CHECK: memref.load
// CHECK-NOT: arith.mulf
// CHECK-COUNT-256: arith.select
// CHECK-NOT: arith.mulf
// CHECK: scf.yield
// PTX: .visible .entry sign_kernel
func.func @sign(%x: tensor<?x3x32xf32>) -> tensor<?x3x2xf32> {
  %y = onebit.sign_linear %x {packed_signs = dense<5> : tensor<2x4xi8>, g = dense<2.0> : tensor<32xf32>, h = dense<[1.0, 3.0]> : tensor<2xf32>} : tensor<?x3x32xf32> -> tensor<?x3x2xf32>
  return %y : tensor<?x3x2xf32>
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
