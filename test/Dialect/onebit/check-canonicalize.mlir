// RUN: onebit-opt %s --canonicalize | FileCheck %s

// A check that always holds goes; one that may fail stays, and so does one
// that always fails (the run must still end there).
// CHECK-LABEL: func @checks
// CHECK-SAME: (%[[N:.*]]: index, %[[M:.*]]: index)
// CHECK-NOT: "same size"
// CHECK: %[[EQUAL:.*]] = arith.cmpi eq, %[[N]], %[[M]]
// CHECK: onebit.check %[[EQUAL]], "may differ"
// CHECK: onebit.check %false, "always fails"
// CHECK-NOT: onebit.check
func.func @checks(%n: index, %m: index) {
  %same = arith.cmpi eq, %n, %n : index
  onebit.check %same, "same size"
  %equal = arith.cmpi eq, %n, %m : index
  onebit.check %equal, "may differ"
  %false = arith.constant false
  onebit.check %false, "always fails"
  return
}
