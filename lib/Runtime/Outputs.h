//===- Outputs.h - Take the compiled code's outputs over --------*- C++ -*-===//
//
// The generated code returns each output as a memref descriptor over memory
// it malloc'ed, over a constant global, or over an input's or another
// output's memory (ModelABI.h). The caller gets a dense copy of every output
// in a buffer of the runtime's, and the generated allocations are freed here,
// each exactly once.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_OUTPUTS_H
#define ONEBIT_LIB_RUNTIME_OUTPUTS_H

#include "Signature.h"

#include "onebit/Runtime/onebit_runtime.h"

namespace onebit::runtime {

/// Fills `outputs` (one per declared output) with dense row-major copies of
/// the outputs described in `results`, the descriptors one after another. On
/// failure nothing is left allocated in `outputs`.
onebit_status copyOutputs(const ModelSignature &signature,
                          const int64_t *results, onebit_tensor *outputs);

/// Frees every allocation of the generated code that `results` refers to,
/// once, skipping the constant-global marker and the inputs' memory.
void freeGeneratedOutputs(const ModelSignature &signature,
                          const int64_t *results, const onebit_tensor *inputs,
                          int32_t numInputs);

/// Frees the data of `count` tensors made by copyOutputs.
void freeOutputData(onebit_tensor *outputs, size_t count);

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_OUTPUTS_H
