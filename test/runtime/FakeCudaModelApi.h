//===- FakeCudaModelApi.h - The fake cuda model.so's C API, by dlopen -----===//
//
// Both CUDA runtime test programs load the fake cuda model
// (FakeCudaModel.cpp) the way the Python session does: dlopen, then the
// C API looked up by name.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_TEST_RUNTIME_FAKECUDAMODELAPI_H
#define ONEBIT_TEST_RUNTIME_FAKECUDAMODELAPI_H

#include "onebit/Runtime/onebit_runtime.h"

#include <dlfcn.h>

#include <cstdlib>

namespace onebit::test {

/// ONEBIT_FAKE_CUDA_MODEL overrides the build's path (for a copy of the
/// tests run on another machine).
inline const char *fakeCudaModelPath() {
  const char *path = std::getenv("ONEBIT_FAKE_CUDA_MODEL");
  return path && *path ? path : ONEBIT_FAKE_CUDA_MODEL_PATH;
}

/// The C API of a model.so opened with dlopen; a null member where the
/// library lacks the symbol.
struct ModelApi {
  explicit ModelApi(void *library)
      : check(lookup<decltype(check)>(library, "onebit_check_signature")),
        run(lookup<decltype(run)>(library, "onebit_run")),
        message(lookup<decltype(message)>(library, "onebit_status_message")),
        freeStatus(lookup<decltype(freeStatus)>(library, "onebit_status_free")),
        freeOutputs(
            lookup<decltype(freeOutputs)>(library, "onebit_free_outputs")),
        numInputs(lookup<decltype(numInputs)>(library, "onebit_num_inputs")) {}

  bool complete() const {
    return check && run && message && freeStatus && freeOutputs && numInputs;
  }

  decltype(&onebit_check_signature) check;
  decltype(&onebit_run) run;
  decltype(&onebit_status_message) message;
  decltype(&onebit_status_free) freeStatus;
  decltype(&onebit_free_outputs) freeOutputs;
  decltype(&onebit_num_inputs) numInputs;

private:
  template <typename F> static F lookup(void *library, const char *name) {
    return reinterpret_cast<F>(dlsym(library, name));
  }
};

} // namespace onebit::test

#endif // ONEBIT_TEST_RUNTIME_FAKECUDAMODELAPI_H
