// --weights=file moves the big constants (the float weights of the MLP,
// 64x128 f32 and more) into model.weights beside the .so: the .so keeps
// the table, the slots and the file's name (local symbols), the file starts
// with its magic. An embedded build has none of them.
// RUN: rm -rf %t && mkdir %t
// RUN: onebit-compile %S/../../examples/mlp.mlir --quantize=none --weights=file -o %t/mlp.so -v 2>&1 | FileCheck %s --check-prefix=LOG
// RUN: onebit-compile %S/../../examples/mlp.mlir --quantize=none --weights=embedded -o %t/embedded.so
// RUN: nm %t/mlp.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: head -c 8 %t/mlp.weights | FileCheck %s --check-prefix=MAGIC
// RUN: nm %t/embedded.so | FileCheck %s --check-prefix=EMBEDDED
// RUN: not ls %t/embedded.weights
// RUN: strings %t/mlp.so | FileCheck %s --check-prefix=NAME
// RUN: not onebit-compile %S/../../examples/mlp.mlir --weights=file --emit=obj -o %t/mlp.o 2>&1 | FileCheck %s --check-prefix=NOTSO
// RUN: not ls %t/mlp.o

// LOG: [5/7] Lowering to LLVM
// LOG: {{[0-9]+}} constants, {{.*}} MiB, to {{.*}}mlp.weights
// LOG: wrote {{.*}}mlp.so
// LOG-NEXT: wrote {{.*}}mlp.weights

// SYMBOLS-DAG: b onebit_weights_slots
// SYMBOLS-DAG: r onebit_weights_table
// SYMBOLS-DAG: r onebit_weights_file

// MAGIC: ONEBITW1

// EMBEDDED: t onebit_model_entry
// EMBEDDED-NOT: onebit_weights_table

// NAME: mlp.weights

// NOTSO: --weights=file applies to CPU shared objects
