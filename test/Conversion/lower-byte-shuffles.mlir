// RUN: onebit-opt %s --onebit-lower-byte-shuffles --split-input-file --verify-diagnostics | FileCheck %s

// The byte ops become the x86 intrinsics of their width.

// CHECK-LABEL: func.func @avx2
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%arg0, %arg1) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%arg0, %{{.*}}) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
func.func @avx2(%t: vector<32xi8>, %i: vector<32xi8>) -> vector<16xi16> {
  %v = onebit.byte_lookup %t, %i : vector<32xi8>
  %s = onebit.pair_sum %t, %v : vector<32xi8> -> vector<16xi16>
  return %s : vector<16xi16>
}

// CHECK-LABEL: func.func @avx512
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.pmaddubs.w.512"
func.func @avx512(%t: vector<64xi8>, %i: vector<64xi8>) -> vector<32xi16> {
  %v = onebit.byte_lookup %t, %i : vector<64xi8>
  %s = onebit.pair_sum %t, %v : vector<64xi8> -> vector<32xi16>
  return %s : vector<32xi16>
}

// CHECK-LABEL: func.func @lanes
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.permps"(%arg0, %arg1) : (vector<8xf32>, vector<8xi32>) -> vector<8xf32>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"(%arg2, %arg3) : (vector<16xf32>, vector<16xi32>) -> vector<16xf32>
func.func @lanes(%t: vector<8xf32>, %i: vector<8xi32>, %u: vector<16xf32>, %j: vector<16xi32>) -> (vector<8xf32>, vector<16xf32>) {
  %v = onebit.lane_lookup %t, %i : vector<8xf32>, vector<8xi32>
  %w = onebit.lane_lookup %u, %j : vector<16xf32>, vector<16xi32>
  return %v, %w : vector<8xf32>, vector<16xf32>
}

// -----

func.func @sse(%t: vector<16xi8>, %i: vector<16xi8>) -> vector<16xi8> {
  // expected-error @+1 {{has no x86 instruction for 'vector<16xi8>' (32 bytes need AVX2, 64 AVX-512)}}
  %v = onebit.byte_lookup %t, %i : vector<16xi8>
  return %v : vector<16xi8>
}

// -----

// The wide-table lookup is vpermi2ps, whose intrinsic takes the indices
// between the table's halves.
// CHECK-LABEL: func.func @pair_lanes
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.ps.512"(%arg0, %arg2, %arg1) : (vector<16xf32>, vector<16xi32>, vector<16xf32>) -> vector<16xf32>
func.func @pair_lanes(%lo: vector<16xf32>, %hi: vector<16xf32>, %i: vector<16xi32>) -> vector<16xf32> {
  %v = onebit.pair_lane_lookup %lo, %hi, %i : vector<16xf32>, vector<16xi32>
  return %v : vector<16xf32>
}

// -----

func.func @pair_lanes_avx2(%lo: vector<8xf32>, %hi: vector<8xf32>, %i: vector<8xi32>) -> vector<8xf32> {
  // expected-error @+1 {{has no x86 instruction for 'vector<8xf32>' (vpermi2ps takes 16 lanes, AVX-512)}}
  %v = onebit.pair_lane_lookup %lo, %hi, %i : vector<8xf32>, vector<8xi32>
  return %v : vector<8xf32>
}
