// A compiled model.so exports the runtime's C API and nothing else: not the
// entry function, its C interface or the outlined loops of the compiled
// code (onebit-compile links with a version script). The check is the one
// the fake model's exports pass (test/runtime/CheckModelExports.cmake).
// RUN: onebit-compile %S/../../examples/mlp.mlir --quantize=absmean -o %t.so
// RUN: cmake -DLIBRARY=%t.so -DNM=nm -DREADELF=readelf \
// RUN:   -P %S/../runtime/CheckModelExports.cmake 2>&1 | FileCheck %s
// The compiled functions are in the library, as local symbols.
// RUN: nm %t.so | FileCheck %s --check-prefix=LOCAL

// CHECK: exports ok

// LOCAL-DAG: t _mlir_ciface_mlp
// LOCAL-DAG: t mlp
// LOCAL-DAG: t onebit_model_entry
// LOCAL-DAG: t onebit_parallel_for
