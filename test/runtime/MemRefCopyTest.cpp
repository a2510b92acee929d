//===- MemRefCopyTest.cpp - The memrefCopy that generated code calls ------===//
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

namespace {

struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

} // namespace

// Exported by the fake model's runtime, as by every model.so.
extern "C" void memrefCopy(int64_t elementSize, UnrankedMemRef *source,
                           UnrankedMemRef *destination);

namespace {

/// A ranked descriptor as words: allocated, aligned, offset, sizes, strides.
std::vector<int64_t> descriptor(void *data, int64_t offset,
                                std::vector<int64_t> sizes,
                                std::vector<int64_t> strides) {
  std::vector<int64_t> words = {int64_t(reinterpret_cast<intptr_t>(data)),
                                int64_t(reinterpret_cast<intptr_t>(data)),
                                offset};
  words.insert(words.end(), sizes.begin(), sizes.end());
  words.insert(words.end(), strides.begin(), strides.end());
  return words;
}

void copy(int64_t elementSize, int64_t rank, std::vector<int64_t> &from,
          std::vector<int64_t> &to) {
  UnrankedMemRef source{rank, from.data()};
  UnrankedMemRef destination{rank, to.data()};
  memrefCopy(elementSize, &source, &destination);
}

TEST(MemRefCopyTest, Scalar) {
  double from = 2.5, to = 0.0;
  auto source = descriptor(&from, 0, {}, {});
  auto destination = descriptor(&to, 0, {}, {});
  copy(sizeof(double), 0, source, destination);
  EXPECT_EQ(to, 2.5);
}

TEST(MemRefCopyTest, ContiguousWithOffsets) {
  std::vector<int32_t> from(20), to(20, -1);
  std::iota(from.begin(), from.end(), 0);
  auto source = descriptor(from.data(), 4, {2, 3}, {3, 1});
  auto destination = descriptor(to.data(), 10, {2, 3}, {3, 1});
  copy(sizeof(int32_t), 2, source, destination);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(to[size_t(10 + i)], 4 + i);
  EXPECT_EQ(to[9], -1);
  EXPECT_EQ(to[16], -1);
}

TEST(MemRefCopyTest, TransposedSourceIntoDenseDestination) {
  // A 3x4 row-major matrix read as its 4x3 transpose.
  std::vector<float> from(12), to(12, -1.0f);
  std::iota(from.begin(), from.end(), 0.0f);
  auto source = descriptor(from.data(), 0, {4, 3}, {1, 4});
  auto destination = descriptor(to.data(), 0, {4, 3}, {3, 1});
  copy(sizeof(float), 2, source, destination);
  for (int row = 0; row < 4; ++row)
    for (int column = 0; column < 3; ++column)
      EXPECT_EQ(to[size_t(row * 3 + column)], float(column * 4 + row));
}

TEST(MemRefCopyTest, StridedRank3IntoPaddedDestination) {
  // Every other element of a 2x3x4 box, into rows padded to 5 elements.
  std::vector<int16_t> from(2 * 3 * 8), to(2 * 3 * 5, -1);
  std::iota(from.begin(), from.end(), int16_t(0));
  auto source = descriptor(from.data(), 0, {2, 3, 4}, {24, 8, 2});
  auto destination = descriptor(to.data(), 0, {2, 3, 4}, {15, 5, 1});
  copy(sizeof(int16_t), 3, source, destination);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(to[size_t(i * 15 + j * 5 + k)], i * 24 + j * 8 + k * 2);
      EXPECT_EQ(to[size_t(i * 15 + j * 5 + 4)], -1) << "padding overwritten";
    }
}

TEST(MemRefCopyTest, BroadcastSourceWithZeroStride) {
  std::vector<int64_t> from = {7, 8}, to(6, 0);
  auto source = descriptor(from.data(), 0, {3, 2}, {0, 1});
  auto destination = descriptor(to.data(), 0, {3, 2}, {2, 1});
  copy(sizeof(int64_t), 2, source, destination);
  EXPECT_EQ(to, (std::vector<int64_t>{7, 8, 7, 8, 7, 8}));
}

TEST(MemRefCopyTest, EmptyCopiesNothing) {
  // Null data is fine: nothing may be touched when a size is 0.
  auto source = descriptor(nullptr, 0, {3, 0}, {1, 3});
  auto destination = descriptor(nullptr, 0, {3, 0}, {0, 1});
  copy(4, 2, source, destination);
}

} // namespace
