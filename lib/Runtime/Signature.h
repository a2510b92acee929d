//===- Signature.h - The model's declared inputs and outputs ----*- C++ -*-===//
//
// The parsed form of the signature text that the compiler embeds in every
// model.so (its format is in include/onebit/Runtime/ModelABI.h).
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_SIGNATURE_H
#define ONEBIT_LIB_RUNTIME_SIGNATURE_H

#include "onebit/Runtime/onebit_runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace onebit::runtime {

constexpr int64_t kDynamicDim = -1;

struct TensorSignature {
  std::string name;
  onebit_dtype dtype;
  /// kDynamicDim for a dimension of any size.
  std::vector<int64_t> shape;
  /// What the C API hands out: points into `name` and `shape`, so it is
  /// filled only once the signature will not move any more.
  onebit_tensor_info info;
};

struct ModelSignature {
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
};

/// Parses ModelABI.h's signature text. On failure returns false and says in
/// `error` which line is wrong and why.
bool parseSignature(const char *text, ModelSignature &signature,
                    std::string &error);

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_SIGNATURE_H
