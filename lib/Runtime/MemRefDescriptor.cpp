//===- MemRefDescriptor.cpp - Ranked memref descriptors as words ----------===//
#include "MemRefDescriptor.h"

#include <cstring>

namespace onebit::runtime {

static_assert(sizeof(void *) == sizeof(int64_t),
              "memref descriptors assume 64-bit pointers");

namespace {

int64_t pointerWord(void *pointer) {
  int64_t word;
  std::memcpy(&word, &pointer, sizeof(word));
  return word;
}

void *wordPointer(int64_t word) {
  void *pointer;
  std::memcpy(&pointer, &word, sizeof(pointer));
  return pointer;
}

} // namespace

void writeRowMajorDescriptor(int64_t *words, void *data, size_t rank,
                             const int64_t *shape) {
  words[0] = pointerWord(data);
  words[1] = pointerWord(data);
  words[2] = 0;
  int64_t *sizes = words + 3;
  int64_t *strides = words + 3 + rank;
  int64_t stride = 1;
  for (size_t dim = rank; dim-- > 0;) {
    sizes[dim] = shape[dim];
    strides[dim] = stride;
    stride *= shape[dim];
  }
}

MemRefView readDescriptor(const int64_t *words, size_t rank) {
  MemRefView view;
  view.allocated = wordPointer(words[0]);
  view.aligned = static_cast<char *>(wordPointer(words[1]));
  view.offset = words[2];
  view.rank = rank;
  view.sizes = words + 3;
  view.strides = words + 3 + rank;
  return view;
}

} // namespace onebit::runtime
