//===- SignatureQueries.cpp - The C API's view of the signature -----------===//
#include "Export.h"
#include "LoadedSignature.h"
#include "Status.h"
#include "TargetHooks.h"

using namespace onebit::runtime;

namespace {

const onebit_tensor_info *infoAt(const std::vector<TensorSignature> &tensors,
                                 int32_t index) {
  if (index < 0 || static_cast<size_t>(index) >= tensors.size())
    return nullptr;
  return &tensors[static_cast<size_t>(index)].info;
}

} // namespace

extern "C" {

ONEBIT_EXPORT onebit_status onebit_check_signature(void) {
  const LoadedSignature &loaded = loadedSignature();
  if (!loaded.error.empty())
    return makeStatus(loaded.error);
  // A GPU model also needs its GPU (null on CPU models: no target runtime).
  if (&onebit_target_check)
    if (const char *error = onebit_target_check())
      return makeStatus(error);
  return nullptr;
}

ONEBIT_EXPORT int32_t onebit_num_inputs(void) {
  return static_cast<int32_t>(loadedSignature().signature.inputs.size());
}

ONEBIT_EXPORT int32_t onebit_num_outputs(void) {
  return static_cast<int32_t>(loadedSignature().signature.outputs.size());
}

ONEBIT_EXPORT const onebit_tensor_info *onebit_input_info(int32_t index) {
  return infoAt(loadedSignature().signature.inputs, index);
}

ONEBIT_EXPORT const onebit_tensor_info *onebit_output_info(int32_t index) {
  return infoAt(loadedSignature().signature.outputs, index);
}

} // extern "C"
