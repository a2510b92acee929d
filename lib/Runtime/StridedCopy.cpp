//===- StridedCopy.cpp - Copy between strided buffers ---------------------===//
#include "StridedCopy.h"

#include <cstring>
#include <vector>

namespace onebit::runtime {

namespace {

/// Whether strides are the row-major ones of `sizes`: then the whole box is
/// one contiguous block. Dimensions of size 1 may have any stride.
bool isRowMajor(int64_t rank, const int64_t *sizes, const int64_t *strides) {
  int64_t expected = 1;
  for (int64_t dim = rank - 1; dim >= 0; --dim) {
    if (sizes[dim] != 1 && strides[dim] != expected)
      return false;
    expected *= sizes[dim];
  }
  return true;
}

} // namespace

void copyStrided(size_t elementSize, int64_t rank, const int64_t *sizes,
                 const char *source, const int64_t *sourceStrides,
                 char *destination, const int64_t *destinationStrides) {
  int64_t count = 1;
  for (int64_t dim = 0; dim < rank; ++dim)
    count *= sizes[dim];
  if (count == 0)
    return;
  if (isRowMajor(rank, sizes, sourceStrides) &&
      isRowMajor(rank, sizes, destinationStrides)) {
    std::memcpy(destination, source, static_cast<size_t>(count) * elementSize);
    return;
  }

  // Walk the outer dimensions like an odometer and move one innermost row at
  // a time: a memcpy when the row is contiguous on both sides, else element
  // by element.
  int64_t innerDim = rank - 1;
  int64_t rowLength = sizes[innerDim];
  int64_t sourceStep = sourceStrides[innerDim] * int64_t(elementSize);
  int64_t destinationStep = destinationStrides[innerDim] * int64_t(elementSize);
  bool contiguousRows =
      sourceStrides[innerDim] == 1 && destinationStrides[innerDim] == 1;
  std::vector<int64_t> index(static_cast<size_t>(innerDim), 0);
  int64_t sourceOffset = 0, destinationOffset = 0; // In bytes.
  while (true) {
    const char *from = source + sourceOffset;
    char *to = destination + destinationOffset;
    if (contiguousRows) {
      std::memcpy(to, from, static_cast<size_t>(rowLength) * elementSize);
    } else {
      for (int64_t i = 0; i < rowLength; ++i)
        std::memcpy(to + i * destinationStep, from + i * sourceStep,
                    elementSize);
    }
    // Advance to the next row, carrying into outer dimensions.
    int64_t dim = innerDim - 1;
    for (; dim >= 0; --dim) {
      size_t d = static_cast<size_t>(dim);
      sourceOffset += sourceStrides[dim] * int64_t(elementSize);
      destinationOffset += destinationStrides[dim] * int64_t(elementSize);
      if (++index[d] < sizes[dim])
        break;
      sourceOffset -= sizes[dim] * sourceStrides[dim] * int64_t(elementSize);
      destinationOffset -=
          sizes[dim] * destinationStrides[dim] * int64_t(elementSize);
      index[d] = 0;
    }
    if (dim < 0)
      return;
  }
}

} // namespace onebit::runtime
