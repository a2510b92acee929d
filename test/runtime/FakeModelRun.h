//===- FakeModelRun.h - Calling the fake model in tests ---------*- C++ -*-===//
#ifndef ONEBIT_TEST_RUNTIME_FAKEMODELRUN_H
#define ONEBIT_TEST_RUNTIME_FAKEMODELRUN_H

#include "onebit/Runtime/onebit_runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace onebit::test {

/// The fake model's outputs, in signature order.
enum FakeOutput { kY, kYTransposed, kXEcho, kTable, kIdsDoubled, kBatch };
constexpr int kNumFakeOutputs = 6;

/// Inputs for the fake model: x of shape [batch, 8] and input_ids of [3].
struct FakeInputs {
  std::vector<float> x;
  int64_t ids[3] = {1, -2, 5};
  onebit_tensor tensors[2] = {};

  explicit FakeInputs(int64_t batch) : x(size_t(batch) * 8) {
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = 0.5f * float(i) - 3.0f;
    tensors[0].data = x.empty() ? nullptr : x.data();
    tensors[0].dtype = ONEBIT_FLOAT32;
    tensors[0].rank = 2;
    tensors[0].shape[0] = batch;
    tensors[0].shape[1] = 8;
    tensors[1].data = ids;
    tensors[1].dtype = ONEBIT_INT64;
    tensors[1].rank = 1;
    tensors[1].shape[0] = 3;
  }
};

/// The outputs of one onebit_run, freed when it goes out of scope.
class RunResult {
public:
  RunResult(const onebit_tensor *inputs, int32_t numInputs) {
    onebit_status status = onebit_run(inputs, numInputs, &outputs);
    if (status) {
      error = onebit_status_message(status);
      onebit_status_free(status);
    }
  }
  ~RunResult() { onebit_free_outputs(outputs); }
  RunResult(const RunResult &) = delete;
  RunResult &operator=(const RunResult &) = delete;

  bool ok() const { return error.empty(); }
  const onebit_tensor &operator[](int index) const { return outputs[index]; }
  template <typename T> const T *data(int index) const {
    return static_cast<const T *>(outputs[index].data);
  }

  onebit_tensor *outputs = nullptr;
  std::string error;
};

} // namespace onebit::test

#endif // ONEBIT_TEST_RUNTIME_FAKEMODELRUN_H
