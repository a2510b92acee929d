// RUN: onebit-opt %s --onebit-expand-bfloat16 | FileCheck %s

// f32 to bf16 rounds to nearest even in integer arithmetic: add 0x7fff
// plus the lowest kept bit, keep the high half (a NaN stays a NaN).
// CHECK-LABEL: func @truncate
// CHECK-NOT: arith.truncf
// CHECK: %[[NAN:.*]] = arith.cmpf une, %[[X:.*]], %[[X]] : f32
// CHECK: %[[BITS:.*]] = arith.bitcast %[[X]] : f32 to i32
// CHECK: %[[LOW:.*]] = arith.shrui %[[BITS]], %c16_i32 : i32
// CHECK: %[[ODD:.*]] = arith.andi %[[LOW]], %c1_i32 : i32
// CHECK: %[[BIAS:.*]] = arith.addi %[[ODD]], %c32767_i32 : i32
// CHECK: %[[ROUNDED:.*]] = arith.addi %[[BITS]], %[[BIAS]] : i32
// CHECK: %[[HIGH:.*]] = arith.shrui %[[ROUNDED]], %c16_i32 : i32
// CHECK: %[[HALF:.*]] = arith.trunci %[[HIGH]] : i32 to i16
// CHECK: %[[KEPT:.*]] = arith.select %[[NAN]], %c32704_i16, %[[HALF]] : i16
// CHECK: arith.bitcast %[[KEPT]] : i16 to bf16
func.func @truncate(%x: f32) -> bf16 {
  %y = arith.truncf %x : f32 to bf16
  return %y : bf16
}

// Vectors alike, and bf16 to f32 is a shift into the high half.
// CHECK-LABEL: func @vectors
// CHECK-NOT: arith.truncf
// CHECK-NOT: arith.extf
// CHECK: arith.bitcast %{{.*}} : vector<8xf32> to vector<8xi32>
// CHECK: arith.bitcast %{{.*}} : vector<8xi16> to vector<8xbf16>
// CHECK: arith.bitcast %{{.*}} : vector<8xbf16> to vector<8xi16>
// CHECK: arith.extui %{{.*}} : vector<8xi16> to vector<8xi32>
// CHECK: arith.shli
// CHECK: arith.bitcast %{{.*}} : vector<8xi32> to vector<8xf32>
func.func @vectors(%x: vector<8xf32>) -> vector<8xf32> {
  %y = arith.truncf %x : vector<8xf32> to vector<8xbf16>
  %z = arith.extf %y : vector<8xbf16> to vector<8xf32>
  return %z : vector<8xf32>
}

// Other float conversions stay for LLVM.
// CHECK-LABEL: func @half
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @half(%x: f32) -> f16 {
  %y = arith.truncf %x : f32 to f16
  return %y : f16
}
