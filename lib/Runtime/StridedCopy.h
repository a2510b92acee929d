//===- StridedCopy.h - Copy between strided buffers -------------*- C++ -*-===//
#ifndef ONEBIT_LIB_RUNTIME_STRIDEDCOPY_H
#define ONEBIT_LIB_RUNTIME_STRIDEDCOPY_H

#include <cstddef>
#include <cstdint>

namespace onebit::runtime {

/// Copies a `rank`-dimensional box of `sizes` elements of `elementSize` bytes
/// from `source` to `destination`, whose strides are counted in elements (as
/// in a memref descriptor) and may be anything, zero or negative included.
/// Nothing is read or written when any size is 0. The two must not overlap.
void copyStrided(size_t elementSize, int64_t rank, const int64_t *sizes,
                 const char *source, const int64_t *sourceStrides,
                 char *destination, const int64_t *destinationStrides);

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_STRIDEDCOPY_H
