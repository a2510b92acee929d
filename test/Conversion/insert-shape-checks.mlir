// RUN: onebit-opt %s --onebit-insert-shape-checks | FileCheck %s

// The messages, one global each, at the top of the module:
// CHECK-DAG: llvm.mlir.global internal constant @__onebit_shape_check_0("node_transpose_3: dimension 1 of this value is not the 4 that the model declares\00")
// CHECK-DAG: llvm.mlir.global internal constant @__onebit_shape_check_1("node_declared_four: dimension 0 of this value is not the 4 that the model declares\00")
// CHECK-DAG: llvm.mlir.global internal constant @__onebit_shape_check_2("/model/attn/Reshape_1: the reshape's target shape does not hold as many elements as its input\00")
// CHECK-DAG: llvm.mlir.global internal constant @__onebit_shape_check_3("/model/attn/Reshape_2: the reshape's target shape does not hold as many elements as its input\00")
// CHECK-DAG: llvm.mlir.global internal constant @__onebit_shape_check_4("/model/attn/c_attn/Gemm: the sizes that dimension 0 is split into do not multiply to its size\00")
// CHECK-DAG: llvm.mlir.global internal constant @__onebit_shape_check_6("Add node 'add': dimension 0 of input 'b' does not match\00")
// CHECK-DAG: llvm.mlir.global internal constant @__onebit_shape_check_7("Gather node 'embed': an index in 'ids' is out of range\00")
// CHECK-DAG: llvm.mlir.global internal constant @__onebit_shape_check_5("/model/Reshape_9: the sizes that dimension 0 is split into do not multiply to its size\00")

// A cast that makes dimension 1 static checks it at run time; a failed
// check calls the runtime with a message naming the node, and the runtime
// ends the run there.
// CHECK-LABEL: func @refining_cast
// CHECK:   %[[DIM:.*]] = memref.dim %arg0, %c1
// CHECK:   %[[HOLDS:.*]] = arith.cmpi eq, %[[DIM]], %c4
// CHECK:   %[[FAILS:.*]] = arith.xori %[[HOLDS]], %true
// CHECK:   %[[MESSAGE:.*]] = llvm.getelementptr %{{.*}}[0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<{{.*}} x i8>
// CHECK:   scf.if %[[FAILS]] {
// CHECK:     func.call @onebit_shape_check_failed(%[[MESSAGE]]) : (!llvm.ptr) -> ()
// CHECK:   }
// CHECK:   memref.cast %arg0 : memref<?x?xf32> to memref<?x4xf32>
func.func @refining_cast(%x: memref<?x?xf32>) -> memref<?x4xf32> {
  %y = memref.cast %x : memref<?x?xf32> to memref<?x4xf32> loc("node_transpose_3")
  return %y : memref<?x4xf32>
}

// On tensors alike (onebit-compile also runs the pass before any
// canonicalization, which would fold this cast into its users).
// CHECK-LABEL: func @tensor_cast
// CHECK:   %[[DIM:.*]] = tensor.dim %arg0, %c0
// CHECK:   %[[HOLDS:.*]] = arith.cmpi eq, %[[DIM]], %c4
// CHECK:   scf.if
// CHECK:     func.call @onebit_shape_check_failed
// CHECK:   tensor.cast %arg0 : tensor<?xf32> to tensor<4xf32>
func.func @tensor_cast(%x: tensor<?xf32>) -> tensor<4xf32> {
  %y = tensor.cast %x : tensor<?xf32> to tensor<4xf32> loc("node_declared_four")
  return %y : tensor<4xf32>
}

// A cast that only forgets a static size needs no check.
// CHECK-LABEL: func @widening_cast
// CHECK-NOT: scf.if
// CHECK: memref.cast
func.func @widening_cast(%x: memref<2x4xf32>) -> memref<?x4xf32> {
  %y = memref.cast %x : memref<2x4xf32> to memref<?x4xf32>
  return %y : memref<?x4xf32>
}

// A reshape checks that its shape holds as many elements as its source.
// CHECK-LABEL: func @reshape
// CHECK:   %[[D0:.*]] = memref.dim %arg0, %c0
// CHECK:   %[[D1:.*]] = memref.dim %arg0, %c1
// CHECK:   %[[S0:.*]] = memref.load %arg1[%c0
// CHECK:   %[[I0:.*]] = arith.index_cast %[[S0]] : i64 to index
// CHECK:   %[[S1:.*]] = memref.load %arg1[%c1
// CHECK:   %[[I1:.*]] = arith.index_cast %[[S1]] : i64 to index
// CHECK:   %[[P0:.*]] = arith.muli %{{.*}}, %[[D0]]
// CHECK:   %[[SOURCE:.*]] = arith.muli %[[P0]], %[[D1]]
// CHECK:   %[[Q0:.*]] = arith.muli %{{.*}}, %[[I0]]
// CHECK:   %[[TARGET:.*]] = arith.muli %[[Q0]], %[[I1]]
// CHECK:   %[[HOLDS:.*]] = arith.cmpi eq, %[[SOURCE]], %[[TARGET]]
// CHECK:   scf.if
// CHECK:     func.call @onebit_shape_check_failed
// CHECK:   memref.reshape %arg0(%arg1)
func.func @reshape(%x: memref<?x6xf32>, %shape: memref<2xi64>) -> memref<?x?xf32> {
  %y = memref.reshape %x(%shape) : (memref<?x6xf32>, memref<2xi64>) -> memref<?x?xf32> loc("/model/attn/Reshape_1")
  return %y : memref<?x?xf32>
}

// On tensors alike (the CUDA pipeline turns reshapes into expand_shape
// ops before bufferization, so they are checked here or not at all).
// CHECK-LABEL: func @tensor_reshape
// CHECK:   %[[D0:.*]] = tensor.dim %arg0, %c0
// CHECK:   %[[S0:.*]] = tensor.extract %arg1[%c0
// CHECK:   %[[I0:.*]] = arith.index_cast %[[S0]] : i64 to index
// CHECK:   %[[S1:.*]] = tensor.extract %arg1[%c1
// CHECK:   arith.cmpi eq
// CHECK:   scf.if
// CHECK:     func.call @onebit_shape_check_failed
// CHECK:   tensor.reshape %arg0(%arg1)
func.func @tensor_reshape(%x: tensor<?x6xf32>, %shape: tensor<2xi64>) -> tensor<?x?xf32> {
  %y = tensor.reshape %x(%shape) : (tensor<?x6xf32>, tensor<2xi64>) -> tensor<?x?xf32> loc("/model/attn/Reshape_2")
  return %y : tensor<?x?xf32>
}

// An expand_shape promises that each group of its sizes multiplies to the
// source dimension it splits: dimension 0 into %a x 4 is checked, dimension
// 1 (6 into 2 x 3, all static) is not.
// CHECK-LABEL: func @expand_shape
// CHECK:   %[[D0:.*]] = tensor.dim %arg0, %c0
// CHECK:   %[[P:.*]] = arith.muli %{{.*}}, %arg1
// CHECK:   %[[GROUP:.*]] = arith.muli %[[P]], %c4
// CHECK:   %[[HOLDS:.*]] = arith.cmpi eq, %[[D0]], %[[GROUP]]
// CHECK:   scf.if
// CHECK:     func.call @onebit_shape_check_failed
// CHECK-NOT: scf.if
// CHECK:   tensor.expand_shape %arg0
func.func @expand_shape(%x: tensor<?x6xf32>, %a: index) -> tensor<?x4x2x3xf32> {
  %y = tensor.expand_shape %x [[0, 1], [2, 3]] output_shape [%a, 4, 2, 3] : tensor<?x6xf32> into tensor<?x4x2x3xf32> loc("/model/attn/c_attn/Gemm")
  return %y : tensor<?x4x2x3xf32>
}

// On buffers alike.
// CHECK-LABEL: func @expand_buffer
// CHECK:   %[[D0:.*]] = memref.dim %arg0, %c0
// CHECK:   %[[HOLDS:.*]] = arith.cmpi eq, %[[D0]], %{{.*}}
// CHECK:   scf.if
// CHECK:     func.call @onebit_shape_check_failed
// CHECK:   memref.expand_shape %arg0
func.func @expand_buffer(%x: memref<?xf32>, %a: index) -> memref<?x3xf32> {
  %y = memref.expand_shape %x [[0, 1]] output_shape [%a, 3] : memref<?xf32> into memref<?x3xf32> loc("/model/Reshape_9")
  return %y : memref<?x3xf32>
}

// The importer's own checks (onebit.check) become the same branch; one
// with a value calls the variant that appends it to the message.
// CHECK-LABEL: func @importer_checks
// CHECK-SAME: (%[[EQUAL:[^:]*]]: i1, %[[IN_RANGE:[^:]*]]: i1, %[[INDEX:[^:]*]]: i64)
// CHECK:   %[[FAILS:.*]] = arith.xori %[[EQUAL]], %true
// CHECK:   llvm.mlir.addressof @__onebit_shape_check_6
// CHECK:   scf.if %[[FAILS]] {
// CHECK:     func.call @onebit_shape_check_failed(%{{.*}}) : (!llvm.ptr) -> ()
// CHECK:   %[[FAILS_TOO:.*]] = arith.xori %[[IN_RANGE]], %true
// CHECK:   llvm.mlir.addressof @__onebit_shape_check_7
// CHECK:   scf.if %[[FAILS_TOO]] {
// CHECK:     func.call @onebit_shape_check_failed_at(%{{.*}}, %[[INDEX]]) : (!llvm.ptr, i64) -> ()
// CHECK-NOT: onebit.check
// CHECK:   return

// The runtime's functions, declared once each.
// CHECK: func.func private @onebit_shape_check_failed(!llvm.ptr)
// CHECK: func.func private @onebit_shape_check_failed_at(!llvm.ptr, i64)
// CHECK-NOT: @onebit_shape_check_failed
func.func @importer_checks(%equal: i1, %in_range: i1, %index: i64) {
  onebit.check %equal, "Add node 'add': dimension 0 of input 'b' does not match"
  onebit.check %in_range, "Gather node 'embed': an index in 'ids' is out of range" at %index : i64
  return
}
