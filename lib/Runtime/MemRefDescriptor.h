//===- MemRefDescriptor.h - Ranked memref descriptors as words --*- C++ -*-===//
//
// MLIR's ranked memref descriptor, as the generated code reads and writes it:
//   { void *allocated; void *aligned; int64_t offset;
//     int64_t sizes[rank]; int64_t strides[rank]; }
// every field 8 bytes, no padding. The runtime handles descriptors as arrays
// of int64_t words, since their length depends on the rank.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_MEMREFDESCRIPTOR_H
#define ONEBIT_LIB_RUNTIME_MEMREFDESCRIPTOR_H

#include <cstddef>
#include <cstdint>

namespace onebit::runtime {

/// Words in the descriptor of a memref of `rank` dimensions.
constexpr size_t descriptorWords(size_t rank) { return 3 + 2 * rank; }

/// Writes the descriptor of a dense row-major tensor at `data` (offset 0, the
/// allocation being the data itself).
void writeRowMajorDescriptor(int64_t *words, void *data, size_t rank,
                             const int64_t *shape);

/// A read-only view of a descriptor the generated code wrote.
struct MemRefView {
  void *allocated;
  char *aligned;
  int64_t offset; // In elements.
  size_t rank;
  const int64_t *sizes;
  const int64_t *strides; // In elements.
};

MemRefView readDescriptor(const int64_t *words, size_t rank);

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_MEMREFDESCRIPTOR_H
