//===- InputValidation.cpp - Check inputs against the signature -----------===//
#include "InputValidation.h"
#include "DType.h"
#include "Status.h"

#include <cstring>

namespace onebit::runtime {

namespace {

/// The dtype field as the integer the caller stored. Read as an enum, a
/// value outside onebit_dtype (easily passed from C or Python) would be
/// undefined behaviour in C++.
int dtypeValue(const onebit_tensor &tensor) {
  static_assert(sizeof(onebit_dtype) == sizeof(int),
                "onebit_dtype is an int-sized C enum");
  int value;
  std::memcpy(&value, &tensor.dtype, sizeof(value));
  return value;
}

onebit_status checkInput(const TensorSignature &expected,
                         const onebit_tensor &input) {
  const char *name = expected.name.c_str();
  int dtype = dtypeValue(input);
  if (dtype != expected.dtype) {
    if (!isKnownDType(dtype))
      return makeStatus(
          formatString("input '%s': expected dtype %s, got unknown dtype %d",
                       name, dtypeName(expected.dtype), dtype));
    return makeStatus(formatString("input '%s': expected dtype %s, got %s",
                                   name, dtypeName(expected.dtype),
                                   dtypeName(dtype)));
  }
  int64_t expectedRank = static_cast<int64_t>(expected.shape.size());
  if (input.rank < 0 || input.rank > ONEBIT_MAX_RANK)
    return makeStatus(formatString(
        "input '%s': rank %d is out of range [0, %d] (expected rank %lld)",
        name, input.rank, ONEBIT_MAX_RANK,
        static_cast<long long>(expectedRank)));
  if (input.rank != expectedRank)
    return makeStatus(formatString("input '%s': expected rank %lld, got %d",
                                   name, static_cast<long long>(expectedRank),
                                   input.rank));
  // The byte size must fit in a size_t for the compiled code's index math.
  int64_t bytes = static_cast<int64_t>(dtypeSize(dtype));
  for (int32_t dim = 0; dim < input.rank; ++dim) {
    int64_t size = input.shape[dim];
    int64_t wanted = expected.shape[static_cast<size_t>(dim)];
    if (size < 0)
      return makeStatus(
          formatString("input '%s': dimension %d is %lld, must be >= 0", name,
                       dim, static_cast<long long>(size)));
    if (wanted != kDynamicDim && size != wanted)
      return makeStatus(formatString(
          "input '%s': dimension %d is %lld, expected %lld", name, dim,
          static_cast<long long>(size), static_cast<long long>(wanted)));
    if (bytes != 0 && __builtin_mul_overflow(bytes, size, &bytes))
      return makeStatus(
          formatString("input '%s': the tensor is too large to address", name));
  }
  if (!input.data && bytes != 0)
    return makeStatus(formatString(
        "input '%s': data is NULL but the tensor has %lld elements", name,
        static_cast<long long>(elementCount(input))));
  return nullptr;
}

} // namespace

int64_t elementCount(const onebit_tensor &tensor) {
  int64_t count = 1;
  for (int32_t dim = 0; dim < tensor.rank; ++dim)
    count *= tensor.shape[dim];
  return count;
}

onebit_status validateInputs(const ModelSignature &signature,
                             const onebit_tensor *inputs, int32_t numInputs) {
  size_t expectedCount = signature.inputs.size();
  if (numInputs < 0 || static_cast<size_t>(numInputs) != expectedCount)
    return makeStatus(
        formatString("expected %zu inputs, got %d", expectedCount, numInputs));
  if (!inputs && numInputs > 0)
    return makeStatus(formatString(
        "the inputs array is NULL (expected %d inputs)", numInputs));
  for (size_t i = 0; i < expectedCount; ++i)
    if (onebit_status status = checkInput(signature.inputs[i], inputs[i]))
      return status;
  return nullptr;
}

} // namespace onebit::runtime
