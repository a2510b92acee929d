// A model.so exports the runtime's C API
// (the model's own ABI symbols stay inside the object and hidden), and
// depends on nothing but the C and C++ runtimes.
// RUN: onebit-compile %S/../../examples/mlp.mlir --quantize=absmean -o %t.so
// RUN: nm -D --defined-only %t.so | FileCheck %s --check-prefix=EXPORTS
// RUN: ldd %t.so | FileCheck %s --check-prefix=DEPS
// RUN: onebit-compile %S/../../examples/mlp.mlir --emit=obj -o %t.o
// RUN: nm %t.o | FileCheck %s --check-prefix=OBJ

// EXPORTS-DAG: T onebit_free_outputs
// EXPORTS-DAG: T onebit_input_info
// EXPORTS-DAG: T onebit_num_inputs
// EXPORTS-DAG: T onebit_output_info
// EXPORTS-DAG: T onebit_run

// DEPS-NOT: libMLIR
// DEPS-NOT: libLLVM
// DEPS-NOT: libomp

// OBJ-DAG: T onebit_model_entry
// OBJ-DAG: R onebit_model_signature
// OBJ-NOT: onebit_run
