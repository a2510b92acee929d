// RUN: onebit-opt %s --onebit-vectorize-generics --canonicalize --cse --split-input-file | FileCheck %s
// RUN: onebit-opt %s --onebit-vectorize-generics="vector-width=8" --canonicalize --split-input-file | FileCheck %s --check-prefix=W8
// RUN: not onebit-opt %s --onebit-vectorize-generics="vector-width=0" 2>&1 | FileCheck %s --check-prefix=BADWIDTH

// BADWIDTH: error: onebit-vectorize-generics: vector-width must be positive, got 0

// Elementwise with a broadcast operand (an RMSNorm's per-row factor): the
// last dimension steps by 4 vectors, then by 1, then a masked tail; the row
// factor is loaded once and broadcast. The output's old value is not read.
// CHECK-LABEL: func @broadcast_mul
// CHECK-SAME: (%[[X:.*]]: memref<?x?xf32>, %[[R:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<?x?xf32>)
// CHECK:     %[[COLS:.*]] = memref.dim %[[X]], %c1
// CHECK:     scf.for %[[I:.*]] = %c0 to %{{.*}} step %c1 {
// CHECK:       %[[MAIN:.*]] = arith.subi %[[COLS]], %{{.*}} : index
// CHECK:       %[[FULL:.*]] = arith.subi %[[COLS]], %{{.*}} : index
// CHECK:       scf.for %[[J:.*]] = %c0 to %[[MAIN]] step %c64 {
// CHECK:         %[[V:.*]] = vector.load %[[X]][%[[I]], %[[J]]] : memref<?x?xf32>, vector<16xf32>
// CHECK:         %[[S:.*]] = memref.load %[[R]][%[[I]]] : memref<?xf32>
// CHECK:         %[[B:.*]] = vector.broadcast %[[S]] : f32 to vector<16xf32>
// CHECK:         %[[P:.*]] = arith.mulf %[[V]], %[[B]] : vector<16xf32>
// CHECK-COUNT-3: arith.mulf %{{.*}}, %[[B]] : vector<16xf32>
// CHECK:         vector.store %[[P]], %[[OUT]][%[[I]], %[[J]]] : memref<?x?xf32>, vector<16xf32>
// CHECK-COUNT-3: vector.store
// CHECK:       scf.for %{{.*}} = %[[MAIN]] to %[[FULL]] step %c16 {
// CHECK:       %[[HAS_TAIL:.*]] = arith.cmpi ult, %[[FULL]], %[[COLS]] : index
// CHECK:       scf.if %[[HAS_TAIL]] {
// CHECK:         %[[LEFT:.*]] = arith.subi %[[COLS]], %[[FULL]] : index
// CHECK:         %[[MASK:.*]] = vector.create_mask %[[LEFT]] : vector<16xi1>
// CHECK:         vector.maskedload %[[X]][%[[I]], %[[FULL]]], %[[MASK]]
// CHECK:         vector.maskedstore %[[OUT]][%[[I]], %[[FULL]]], %[[MASK]]
// CHECK-NOT: linalg.generic
// W8-LABEL: func @broadcast_mul
// W8: scf.for %{{.*}} step %c32 {
// W8: vector.load {{.*}} : memref<?x?xf32>, vector<8xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @broadcast_mul(%x: memref<?x?xf32>, %r: memref<?xf32>, %out: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %r : memref<?x?xf32>, memref<?xf32>) outs(%out : memref<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A batched matmul (attention's P V): the loop over the output's columns
// sits outside the reduction, whose partial sums are loop-carried vectors
// (4 independent chains) instead of a load and a store of the output per
// step. Each lane does the scalar loop's multiply and add in its order.
// CHECK-LABEL: func @batch_matmul
// CHECK-SAME: (%[[A:.*]]: memref<2x5x7xf32>, %[[B:.*]]: memref<2x7x64xf32>, %[[C:.*]]: memref<2x5x64xf32>)
// CHECK: scf.for %[[BATCH:.*]] = %c0 to %c2 step %c1 {
// CHECK:   scf.for %[[I:.*]] = %c0 to %c5 step %c1 {
// CHECK:     %[[C0:.*]] = vector.load %[[C]][%[[BATCH]], %[[I]], %c0] : memref<2x5x64xf32>, vector<16xf32>
// CHECK-COUNT-3: vector.load %[[C]]
// CHECK:     %[[SUMS:.*]]:4 = scf.for %[[K:.*]] = %c0 to %c7 step %c1 iter_args(%[[ACC:.*]] = %[[C0]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:       %[[AK:.*]] = memref.load %[[A]][%[[BATCH]], %[[I]], %[[K]]] : memref<2x5x7xf32>
// CHECK:       %[[AV:.*]] = vector.broadcast %[[AK]] : f32 to vector<16xf32>
// CHECK:       %[[BV:.*]] = vector.load %[[B]][%[[BATCH]], %[[K]], %c0] : memref<2x7x64xf32>, vector<16xf32>
// CHECK:       %[[PROD:.*]] = arith.mulf %[[AV]], %[[BV]] : vector<16xf32>
// CHECK:       %[[NEXT:.*]] = arith.addf %[[ACC]], %[[PROD]] : vector<16xf32>
// CHECK:       scf.yield %[[NEXT]], %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
// CHECK:     vector.store %[[SUMS]]#0, %[[C]][%[[BATCH]], %[[I]], %c0] : memref<2x5x64xf32>, vector<16xf32>
// CHECK-NOT: linalg.generic
#a = affine_map<(b, i, j, k) -> (b, i, k)>
#b = affine_map<(b, i, j, k) -> (b, k, j)>
#c = affine_map<(b, i, j, k) -> (b, i, j)>
func.func @batch_matmul(%a: memref<2x5x7xf32>, %b: memref<2x7x64xf32>, %c: memref<2x5x64xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<2x5x7xf32>, memref<2x7x64xf32>) outs(%c : memref<2x5x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Integer remainder in the tail: the lanes past the end are padded with 1,
// not 0, so the division there cannot trap. Constants in the body and values
// from above the generic become splats.
// CHECK-LABEL: func @int_remainder
// CHECK-DAG: %[[ONES:.*]] = arith.constant dense<1> : vector<16xi32>
// CHECK-DAG: %[[SEVENS:.*]] = arith.constant dense<7> : vector<16xi32>
// With static sizes the loops fold away: one full vector, then the tail of
// 4 lanes.
// CHECK: %[[OFF:.*]] = vector.broadcast %arg3 : i32 to vector<16xi32>
// CHECK: vector.store %{{.*}}, %arg2[%c0]
// CHECK: %[[MASK:.*]] = vector.constant_mask [4] : vector<16xi1>
// CHECK: %[[N:.*]] = vector.maskedload %arg0[%c16], %[[MASK]], %[[ONES]]
// CHECK: %[[D:.*]] = vector.maskedload %arg1[%c16], %[[MASK]], %[[ONES]]
// CHECK: %[[SUM:.*]] = arith.addi %[[N]], %[[SEVENS]] : vector<16xi32>
// CHECK: %[[REM:.*]] = arith.remsi %[[SUM]], %[[D]] : vector<16xi32>
// CHECK: %[[T:.*]] = arith.addi %[[REM]], %[[OFF]] : vector<16xi32>
// CHECK: vector.maskedstore %arg2[%c16], %[[MASK]], %[[T]]
#v = affine_map<(d0) -> (d0)>
func.func @int_remainder(%n: memref<20xi32>, %d: memref<20xi32>, %out: memref<20xi32>, %offset: i32) {
  linalg.generic {indexing_maps = [#v, #v, #v], iterator_types = ["parallel"]}
      ins(%n, %d : memref<20xi32>, memref<20xi32>) outs(%out : memref<20xi32>) {
  ^bb0(%a: i32, %b: i32, %o: i32):
    %seven = arith.constant 7 : i32
    %s = arith.addi %a, %seven : i32
    %r = arith.remsi %s, %b : i32
    %t = arith.addi %r, %offset : i32
    linalg.yield %t : i32
  }
  return
}

// -----

// A reduction over the last dimension (softmax's row maximum): the output
// has no parallel last index, so the reduction loop is vectorized instead,
// into 4 vectors of partial maxima started at the neutral element (-inf),
// combined with each other, across lanes, and last with the output's old
// value. The tail's lanes past the end contribute -inf.
// CHECK-LABEL: func @row_max
// CHECK-DAG: %[[LOWEST:.*]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK:     scf.for %[[I:.*]] = %c0 to %c8 step %c1 {
// CHECK:       %[[P:.*]]:4 = scf.for %[[J:.*]] = %c0 to %{{.*}} step %c64 iter_args(%[[A:.*]] = %[[LOWEST]], %{{.*}} = %[[LOWEST]], %{{.*}} = %[[LOWEST]], %{{.*}} = %[[LOWEST]]) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:         %[[V:.*]] = vector.load %arg0[%[[I]], %[[J]]] : memref<8x?xf32>, vector<16xf32>
// CHECK:         %[[E:.*]] = math.exp %[[V]] : vector<16xf32>
// CHECK:         %[[M:.*]] = arith.maximumf %[[A]], %[[E]] : vector<16xf32>
// CHECK:         scf.yield %[[M]],
// CHECK:       %[[M01:.*]] = arith.maximumf %[[P]]#0, %[[P]]#1 : vector<16xf32>
// CHECK:       %[[M23:.*]] = arith.maximumf %[[P]]#2, %[[P]]#3 : vector<16xf32>
// CHECK:       %[[M0123:.*]] = arith.maximumf %[[M01]], %[[M23]] : vector<16xf32>
// CHECK:       %[[SINGLE:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %[[M0123]]) -> (vector<16xf32>) {
// CHECK:       %[[ALL:.*]] = scf.if %{{.*}} -> (vector<16xf32>) {
// CHECK:         %[[MASK:.*]] = vector.create_mask
// CHECK:         %[[T:.*]] = vector.maskedload %arg0[%[[I]], %{{.*}}], %[[MASK]]
// CHECK:         %[[TE:.*]] = math.exp %[[T]] : vector<16xf32>
// CHECK:         %[[KEPT:.*]] = arith.select %[[MASK]], %[[TE]], %[[LOWEST]]
// CHECK:         %[[TM:.*]] = arith.maximumf %[[SINGLE]], %[[KEPT]] : vector<16xf32>
// CHECK:         scf.yield %[[TM]]
// CHECK:       } else {
// CHECK:         scf.yield %[[SINGLE]]
// CHECK:       %[[LANES:.*]] = vector.reduction <maximumf>, %[[ALL]] : vector<16xf32> into f32
// CHECK:       %[[OLD:.*]] = memref.load %arg1[%[[I]], %c0] : memref<8x1xf32>
// CHECK:       %[[NEW:.*]] = arith.maximumf %[[OLD]], %[[LANES]] : f32
// CHECK:       memref.store %[[NEW]], %arg1[%[[I]], %c0] : memref<8x1xf32>
#elements = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0, 0)>
func.func @row_max(%x: memref<8x?xf32>, %out: memref<8x1xf32>) {
  linalg.generic {indexing_maps = [#elements, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x?xf32>) outs(%out : memref<8x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %e = math.exp %a : f32
    %m = arith.maximumf %acc, %e : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Q K^T with K read in place (rows of K contiguous along the reduction, not
// along the output's last index): vectorizing that index would gather K, so
// the reduction is vectorized instead, a dot product per score.
// CHECK-LABEL: func @scores_from_untransposed_keys
// CHECK:     scf.for %[[I:.*]] = %c0 to %c4 step %c1 {
// CHECK:       scf.for %[[J:.*]] = %c0 to %{{.*}} step %c1 {
// CHECK:         %[[P:.*]]:4 = scf.for %[[D:.*]] = %c0 to %c128 step %c64 iter_args(
// CHECK:           vector.load %arg0[%[[I]], %[[D]]] : memref<4x128xf32>, vector<16xf32>
// CHECK:           vector.load %arg1[%[[J]], %[[D]]] : memref<?x128xf32>, vector<16xf32>
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:       vector.reduction <add>
// CHECK:       memref.store %{{.*}}, %arg2[%[[I]], %[[J]]] : memref<4x?xf32>
// CHECK-NOT: linalg.generic
#q = affine_map<(i, j, d) -> (i, d)>
#k = affine_map<(i, j, d) -> (j, d)>
#s = affine_map<(i, j, d) -> (i, j)>
func.func @scores_from_untransposed_keys(%q: memref<4x128xf32>, %k: memref<?x128xf32>, %out: memref<4x?xf32>) {
  linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<4x128xf32>, memref<?x128xf32>) outs(%out : memref<4x?xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Left for convert-linalg-to-loops: the vector loop indexing an input other
// than as its last dimension (a transpose, which would be a gather), a body
// that reads its indices, a reduction that is not one combining op (a
// decaying sum, which could not be reassociated), i1 elements, and a last
// dimension too short to fill a quarter of a vector.
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: vector.
#t = affine_map<(d0, d1) -> (d1, d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#first = affine_map<(d0, d1) -> (d0, 0)>
func.func @left_alone(%x: memref<8x32xf32>, %xt: memref<32x8xf32>, %y: memref<8x32xf32>,
                      %sums: memref<8x1xf32>, %flags: memref<8x32xi1>, %nots: memref<8x32xi1>,
                      %narrow: memref<32x2xf32>, %narrowOut: memref<32x2xf32>) {
  linalg.generic {indexing_maps = [#t, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%xt : memref<32x8xf32>) outs(%y : memref<8x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<8x32xf32>) outs(%y : memref<8x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    %s = arith.addf %a, %jf : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id2, #first], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x32xf32>) outs(%sums : memref<8x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %half = arith.constant 0.5 : f32
    %decayed = arith.mulf %acc, %half : f32
    %s = arith.addf %decayed, %a : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%flags : memref<8x32xi1>) outs(%nots : memref<8x32xi1>) {
  ^bb0(%a: i1, %o: i1):
    %true = arith.constant true
    %n = arith.xori %a, %true : i1
    linalg.yield %n : i1
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%narrow : memref<32x2xf32>) outs(%narrowOut : memref<32x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  }
  return
}
