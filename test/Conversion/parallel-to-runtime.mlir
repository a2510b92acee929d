// RUN: onebit-opt %s --onebit-outline-parallel-loops | FileCheck %s --check-prefix=OUTLINE
// RUN: onebit-opt %s --onebit-outline-parallel-loops --convert-scf-to-cf --finalize-memref-to-llvm \
// RUN:   --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts \
// RUN:   --onebit-emit-parallel-dispatch | FileCheck %s --check-prefix=DISPATCH

// The loop becomes a call with its bounds and captured values; the scale
// constant is cloned into the body, not captured. The body loops over its
// chunk [begin, end).
// OUTLINE: func.func @scale_rows
// OUTLINE-NOT: scf.parallel
// OUTLINE: call @__onebit_parallel_dispatch_0(%c0, %[[N:.*]], %arg0) : (index, index, memref<?xf32>) -> ()
// A loop not from 0 stays where it is; outlined functions follow.
// OUTLINE: func.func @offset_loop
// OUTLINE: scf.parallel
// OUTLINE: func.func private @__onebit_parallel_body_0(%[[BEGIN:[a-z0-9]+]]: index, %[[END:[a-z0-9]+]]: index, %[[BUF:[a-z0-9]+]]: memref<?xf32>)
// OUTLINE:   %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// OUTLINE:   scf.for %[[I:.*]] = %[[BEGIN]] to %[[END]] step %c1
// OUTLINE:     memref.load %[[BUF]][%[[I]]]
// OUTLINE:     arith.mulf %{{.*}}, %[[TWO]]
// OUTLINE: func.func private @__onebit_parallel_dispatch_0(index, index, memref<?xf32>)

// In the LLVM dialect the dispatch packs the descriptor fields into a struct
// and calls the runtime with a trampoline that unpacks them.
// DISPATCH: llvm.func internal @__onebit_parallel_dispatch_0(%[[B:[a-z0-9]+]]: i64, %[[E:[a-z0-9]+]]: i64, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64)
// DISPATCH:   %[[CTX:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(ptr, ptr, i64, i64, i64)>
// DISPATCH-COUNT-5: llvm.store
// DISPATCH:   %[[FN:.*]] = llvm.mlir.addressof @__onebit_parallel_trampoline_0
// DISPATCH:   llvm.call @onebit_parallel_for(%[[FN]], %[[CTX]], %[[B]], %[[E]])
// DISPATCH: llvm.func internal @__onebit_parallel_trampoline_0(%[[C:[a-z0-9]+]]: !llvm.ptr, %[[TB:[a-z0-9]+]]: i64, %[[TE:[a-z0-9]+]]: i64)
// DISPATCH-COUNT-5: llvm.load
// DISPATCH:   llvm.call @__onebit_parallel_body_0(%[[TB]], %[[TE]],
// DISPATCH: llvm.func @onebit_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64)

func.func @scale_rows(%buf: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  %n = memref.dim %buf, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %buf[%i] : memref<?xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %buf[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

func.func @offset_loop(%buf: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c1) to (%c8) step (%c1) {
    memref.store %zero, %buf[%i] : memref<8xf32>
    scf.reduce
  }
  return
}
