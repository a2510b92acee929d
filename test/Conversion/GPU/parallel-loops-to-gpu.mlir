// RUN: onebit-opt %s --onebit-parallel-loops-to-gpu=block-size=128 --split-input-file | FileCheck %s

// A 2-D loop nest is one launch over ceil(rows*cols / 128) blocks of 128
// threads; thread `id` runs iteration (id / cols, id % cols), the innermost
// dimension fastest, and threads past the end do nothing.
// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[X:.*]]: memref<?x?xf32>, %[[ROWS:.*]]: index, %[[COLS:.*]]: index)
// CHECK: %[[S0:.*]] = arith.subi %[[ROWS]], %c0
// CHECK: %[[T0:.*]] = arith.ceildivsi %[[S0]], %c1
// CHECK: %[[TR:.*]] = arith.maxsi %[[T0]], %c0
// CHECK: %[[TOTAL0:.*]] = arith.muli %{{.*}}, %[[TR]]
// CHECK: %[[S1:.*]] = arith.subi %[[COLS]], %c0
// CHECK: %[[T1:.*]] = arith.ceildivsi %[[S1]], %c1
// CHECK: %[[TC:.*]] = arith.maxsi %[[T1]], %c0
// CHECK: %[[TOTAL:.*]] = arith.muli %[[TOTAL0]], %[[TC]]
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[B0:.*]] = arith.ceildivsi %[[TOTAL]], %[[C128]]
// CHECK: %[[BLOCKS:.*]] = arith.maxsi %[[B0]], %c1
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BLOCKS]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]],
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %[[C128]]
// CHECK: %[[ID:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: %[[IN:.*]] = arith.cmpi slt, %[[ID]], %[[TOTAL]]
// CHECK: scf.if %[[IN]] {
// CHECK: %[[J:.*]] = arith.remsi %[[ID]], %[[TC]]
// CHECK: %[[I:.*]] = arith.divsi %[[ID]], %[[TC]]
// CHECK: %[[JJ:.*]] = arith.muli %[[J]], %c1
// CHECK: %[[COL:.*]] = arith.addi %c0{{.*}}, %[[JJ]]
// CHECK: %[[II:.*]] = arith.muli %[[I]], %c1
// CHECK: %[[ROW:.*]] = arith.addi %c0{{.*}}, %[[II]]
// CHECK: memref.load %[[X]][%[[ROW]], %[[COL]]]
// CHECK: memref.store %{{.*}}, %[[X]][%[[ROW]], %[[COL]]]
// CHECK: }
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
func.func @add(%x: memref<?x?xf32>, %rows: index, %cols: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%rows, %cols) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<?x?xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %x[%i, %j] : memref<?x?xf32>
    scf.reduce
  }
  return
}

// -----

// A sequential reduction inside the nest stays a loop in each thread; a
// parallel loop nested inside is not a launch of its own.
// CHECK-LABEL: func.func @row_sums
// CHECK: gpu.launch
// CHECK: scf.if
// CHECK: scf.for
// CHECK: scf.parallel
// CHECK-NOT: gpu.launch
func.func @row_sums(%x: memref<8x16xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %k = %c0 to %c16 step %c1 {
      %v = memref.load %x[%i, %k] : memref<8x16xf32>
      %s = memref.load %y[%i] : memref<8xf32>
      %t = arith.addf %s, %v : f32
      memref.store %t, %y[%i] : memref<8xf32>
    }
    scf.parallel (%j) = (%c0) to (%c16) step (%c1) {
      scf.reduce
    }
    scf.reduce
  }
  return
}

