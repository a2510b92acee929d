//===- InputValidation.h - Check inputs against the signature ---*- C++ -*-===//
#ifndef ONEBIT_LIB_RUNTIME_INPUTVALIDATION_H
#define ONEBIT_LIB_RUNTIME_INPUTVALIDATION_H

#include "Signature.h"

#include "onebit/Runtime/onebit_runtime.h"

namespace onebit::runtime {

/// NULL when `inputs` match the signature's inputs in count, dtype, rank and
/// every static dimension, and each has data unless it is empty; otherwise
/// a status naming the input, what was expected and what was given. The
/// compiled code assumes all of this, so nothing reaches it unchecked.
onebit_status validateInputs(const ModelSignature &signature,
                             const onebit_tensor *inputs, int32_t numInputs);

/// The number of elements of a validated tensor.
int64_t elementCount(const onebit_tensor &tensor);

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_INPUTVALIDATION_H
