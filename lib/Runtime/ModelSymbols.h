//===- ModelSymbols.h - What the compiled model provides --------*- C++ -*-===//
//
// The two symbols of include/onebit/Runtime/ModelABI.h, defined by the object
// that onebit-compile emits and linked into the same model.so as the runtime.
// They are declared hidden: the references then bind inside model.so (never
// to another loaded model's symbols of the same name), and the linker keeps
// them out of the .so's exported symbols.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_MODELSYMBOLS_H
#define ONEBIT_LIB_RUNTIME_MODELSYMBOLS_H

extern "C" {
__attribute__((
    visibility("hidden"))) extern const char onebit_model_signature[];
__attribute__((visibility("hidden"))) void onebit_model_entry(void **inputs,
                                                              void *results);
}

#endif // ONEBIT_LIB_RUNTIME_MODELSYMBOLS_H
