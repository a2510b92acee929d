//===- Outputs.cpp - Take the compiled code's outputs over ----------------===//
#include "Outputs.h"
#include "DType.h"
#include "MemRefDescriptor.h"
#include "RunMemory.h"
#include "Status.h"
#include "StridedCopy.h"

#include "onebit/Runtime/ModelABI.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace onebit::runtime {

namespace {

/// Output buffers are aligned for the widest vector loads a caller may use.
constexpr size_t kOutputAlignment = 64;

/// Checks what the generated code returned against the declared output and
/// computes its size in bytes. A mismatch is a compiler bug, but reporting
/// it beats copying garbage.
onebit_status checkOutput(const TensorSignature &expected,
                          const MemRefView &view, size_t &bytes) {
  int64_t total = static_cast<int64_t>(dtypeSize(expected.dtype));
  for (size_t dim = 0; dim < view.rank; ++dim) {
    int64_t size = view.sizes[dim];
    int64_t wanted = expected.shape[dim];
    if (size < 0 || (wanted != kDynamicDim && size != wanted))
      return makeStatus(formatString(
          "output '%s': the compiled code returned dimension %zu of size "
          "%lld, but the signature declares %lld",
          expected.name.c_str(), dim, static_cast<long long>(size),
          static_cast<long long>(wanted)));
    if (__builtin_mul_overflow(total, size, &total))
      return makeStatus(formatString("output '%s': the tensor is too large",
                                     expected.name.c_str()));
  }
  bytes = static_cast<size_t>(total);
  return nullptr;
}

/// A 64-byte aligned buffer, never NULL even for an empty tensor, so callers
/// need no special case.
void *allocateOutputBuffer(size_t bytes) {
  size_t rounded = std::max<size_t>((bytes + kOutputAlignment - 1) /
                                        kOutputAlignment * kOutputAlignment,
                                    kOutputAlignment);
  if (rounded < bytes)
    return nullptr; // The rounding overflowed.
  return std::aligned_alloc(kOutputAlignment, rounded);
}

} // namespace

onebit_status copyOutputs(const ModelSignature &signature,
                          const int64_t *results, onebit_tensor *outputs) {
  const int64_t *words = results;
  for (size_t i = 0; i < signature.outputs.size(); ++i) {
    const TensorSignature &expected = signature.outputs[i];
    size_t rank = expected.shape.size();
    MemRefView view = readDescriptor(words, rank);
    words += descriptorWords(rank);

    size_t bytes = 0;
    onebit_status status = checkOutput(expected, view, bytes);
    void *buffer = status ? nullptr : allocateOutputBuffer(bytes);
    if (!status && !buffer)
      status = makeStatus(
          formatString("output '%s': out of memory allocating %zu bytes",
                       expected.name.c_str(), bytes));
    if (status) {
      freeOutputData(outputs, i);
      return status;
    }

    onebit_tensor &output = outputs[i];
    output.data = buffer;
    output.dtype = expected.dtype;
    output.rank = static_cast<int32_t>(rank);
    int64_t denseStrides[ONEBIT_MAX_RANK] = {};
    int64_t stride = 1;
    for (size_t dim = rank; dim-- > 0;) {
      output.shape[dim] = view.sizes[dim];
      denseStrides[dim] = stride;
      stride *= view.sizes[dim];
    }
    for (size_t dim = rank; dim < ONEBIT_MAX_RANK; ++dim)
      output.shape[dim] = 0;
    if (bytes == 0)
      continue; // An empty tensor's descriptor may hold any pointer.
    size_t elementSize = dtypeSize(expected.dtype);
    copyStrided(elementSize, static_cast<int64_t>(rank), view.sizes,
                view.aligned + view.offset * static_cast<int64_t>(elementSize),
                view.strides, static_cast<char *>(buffer), denseStrides);
  }
  return nullptr;
}

void freeGeneratedOutputs(const ModelSignature &signature,
                          const int64_t *results, const onebit_tensor *inputs,
                          int32_t numInputs) {
  // Outputs number in the ones or tens: linear scans beat a set. (Sized
  // once, never grown: see the note on containers in Signature.cpp.)
  std::vector<void *> freed(signature.outputs.size());
  size_t freedCount = 0;
  const int64_t *words = results;
  for (const TensorSignature &output : signature.outputs) {
    size_t rank = output.shape.size();
    void *allocated = readDescriptor(words, rank).allocated;
    words += descriptorWords(rank);
    if (!allocated ||
        reinterpret_cast<uintptr_t>(allocated) == abi::kGlobalMemrefMarker)
      continue;
    bool isInput = false;
    for (int32_t i = 0; i < numInputs; ++i)
      isInput |= inputs[i].data == allocated;
    auto freedEnd = freed.begin() + static_cast<ptrdiff_t>(freedCount);
    if (isInput || std::find(freed.begin(), freedEnd, allocated) != freedEnd)
      continue;
    freed[freedCount++] = allocated;
    freeGenerated(allocated);
  }
}

void freeOutputData(onebit_tensor *outputs, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    std::free(outputs[i].data);
    outputs[i].data = nullptr;
  }
}

} // namespace onebit::runtime
