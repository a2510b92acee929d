//===- ParallelFor.h - The runtime entry of parallel loops ------*- C++ -*-===//
//
// Declared hidden: compiled code in the same model.so calls it (see
// include/onebit/Runtime/ModelABI.h), and nothing outside the .so may.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_PARALLELFOR_H
#define ONEBIT_LIB_RUNTIME_PARALLELFOR_H

#include <cstdint>

extern "C" __attribute__((visibility("hidden"))) void
onebit_parallel_for(void (*body)(void *ctx, int64_t begin, int64_t end),
                    void *ctx, int64_t begin, int64_t end);

#endif // ONEBIT_LIB_RUNTIME_PARALLELFOR_H
