//===- MemRefCopy.cpp - memref.copy support for generated code ------------===//
//
// MLIR lowers a memref.copy between non-contiguous memrefs to a call of
// `memrefCopy`, normally found in libmlir_c_runner_utils. A model.so must
// need no MLIR library, so the runtime provides it.
//
//===----------------------------------------------------------------------===//
#include "Export.h"
#include "StridedCopy.h"

#include <cstdint>

namespace {

/// MLIR's unranked memref: the rank and a pointer to a ranked descriptor
/// { allocated, aligned, offset, sizes[rank], strides[rank] }.
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

/// The fields of a ranked descriptor of any rank.
struct DescriptorView {
  char *aligned;
  int64_t offset;
  const int64_t *sizes;
  const int64_t *strides;
};

DescriptorView viewOf(const UnrankedMemRef &memref) {
  auto *words = static_cast<int64_t *>(memref.descriptor);
  DescriptorView view;
  // words[0] is the allocated pointer, which a copy does not need.
  view.aligned = reinterpret_cast<char *>(words[1]);
  view.offset = words[2];
  view.sizes = words + 3;
  view.strides = words + 3 + memref.rank;
  return view;
}

} // namespace

extern "C" ONEBIT_EXPORT void memrefCopy(int64_t elementSize,
                                         UnrankedMemRef *source,
                                         UnrankedMemRef *destination) {
  static_assert(sizeof(void *) == sizeof(int64_t),
                "memref descriptors assume 64-bit pointers");
  DescriptorView from = viewOf(*source);
  DescriptorView to = viewOf(*destination);
  // Both have the same shape; a rank-0 memref holds a single element, which
  // copyStrided handles as the empty product.
  onebit::runtime::copyStrided(
      static_cast<size_t>(elementSize), source->rank, from.sizes,
      from.aligned + from.offset * elementSize, from.strides,
      to.aligned + to.offset * elementSize, to.strides);
}
