// onebit-compile -v: each phase is announced as it starts and timed as it
// ends (wall seconds and the peak memory so far), in order, then the total.
// RUN: onebit-compile -v --quantize=absmean %S/../../examples/mlp.mlir -o %t.so 2>&1 | FileCheck %s
// RUN: onebit-compile -v --quantize=none --emit=linalg %S/../../examples/mlp.mlir -o %t.mlir 2>&1 | FileCheck %s --check-prefix=LINALG

// CHECK:      [1/7] Importing {{.*}}mlp.mlir
// CHECK-NEXT: {{^      [0-9]+\.[0-9]{2} s, peak memory [0-9]+ MiB$}}
// CHECK-NEXT: [2/7] Quantizing linear layers (absmean)
// CHECK:      {{^      [0-9]+\.[0-9]{2} s, peak memory [0-9]+ MiB$}}
// CHECK-NEXT: [3/7] Lowering layers to {{(8|16)}}-lane add-only loops
// CHECK-NEXT: {{^      [0-9.]+ s, peak memory}}
// CHECK-NEXT: [4/7] Bufferizing
// CHECK-NEXT: {{^      [0-9.]+ s, peak memory}}
// CHECK-NEXT: [5/7] Lowering to LLVM
// CHECK-NEXT: {{^      [0-9.]+ s, peak memory}}
// CHECK-NEXT: [6/7] Generating code for
// CHECK-NEXT: {{^      [0-9.]+ s, peak memory}}
// CHECK-NEXT: [7/7] Linking {{.*}}.so
// CHECK-NEXT: {{^      [0-9.]+ s, peak memory}}
// CHECK-NEXT: wrote
// CHECK-NEXT: {{^total [0-9]+\.[0-9]{2} s$}}

// LINALG:      [1/3] Importing
// LINALG:      [2/3] Quantizing linear layers (none)
// LINALG:      [3/3] Lowering layers to
// LINALG-NEXT: {{^      [0-9.]+ s, peak memory}}
// LINALG-NEXT: {{^total [0-9.]+ s$}}
