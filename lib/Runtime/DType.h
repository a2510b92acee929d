//===- DType.h - Element types of the runtime API ---------------*- C++ -*-===//
#ifndef ONEBIT_LIB_RUNTIME_DTYPE_H
#define ONEBIT_LIB_RUNTIME_DTYPE_H

#include "onebit/Runtime/onebit_runtime.h"

#include <cstddef>
#include <cstdint>

namespace onebit::runtime {

/// Whether `value` is one of the onebit_dtype enumerators.
bool isKnownDType(int64_t value);

/// The name users see in messages ("float32", "int64", ...), matching numpy's
/// names; "unknown" for anything else.
const char *dtypeName(int64_t dtype);

/// Bytes per element; 0 for an unknown dtype. A bool takes one byte, as in
/// numpy and in MLIR's lowering of memrefs of i1.
size_t dtypeSize(int64_t dtype);

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_DTYPE_H
