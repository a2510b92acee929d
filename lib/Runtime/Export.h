//===- Export.h - Which runtime symbols a model.so exports ------*- C++ -*-===//
//
// The runtime is compiled with hidden visibility so that a model.so exports
// exactly the C API of onebit_runtime.h (plus the few MLIR support symbols
// the generated code calls) and nothing of its C++ insides.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_EXPORT_H
#define ONEBIT_LIB_RUNTIME_EXPORT_H

#define ONEBIT_EXPORT __attribute__((visibility("default")))

#endif // ONEBIT_LIB_RUNTIME_EXPORT_H
