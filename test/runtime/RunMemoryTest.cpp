//===- RunMemoryTest.cpp - The blocks of one run, freed if it fails -------===//
//
// The allocation functions compiled code calls keep malloc's and the asked
// alignment, link each block into the run active on the thread, unlink it
// when freed (from any thread), and free what is left when the run is
// abandoned; a block made outside a run, or one left when the run ends
// normally, is untracked and freed normally.
//
//===----------------------------------------------------------------------===//

#include "RunMemory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>

using namespace onebit::runtime;

namespace {

/// Makes `memory` the thread's run for its lifetime.
struct ActiveRun {
  explicit ActiveRun(RunMemory &memory) : outer(activeRunMemory()) {
    activeRunMemory() = &memory;
  }
  ~ActiveRun() { activeRunMemory() = outer; }
  RunMemory *outer;
};

bool alignedTo(void *pointer, uintptr_t alignment) {
  return reinterpret_cast<uintptr_t>(pointer) % alignment == 0;
}

} // namespace

TEST(RunMemoryTest, BlocksKeepTheirAlignmentAndAreWritable) {
  RunMemory memory;
  ActiveRun run(memory);
  void *plain = _mlir_memref_to_llvm_alloc(100);
  ASSERT_NE(plain, nullptr);
  EXPECT_TRUE(alignedTo(plain, 16));
  std::memset(plain, 0xab, 100);
  for (size_t alignment : {8, 16, 64, 128, 4096}) {
    void *block = _mlir_memref_to_llvm_aligned_alloc(alignment, 1000);
    ASSERT_NE(block, nullptr);
    EXPECT_TRUE(alignedTo(block, alignment)) << alignment;
    std::memset(block, 0xcd, 1000);
    _mlir_memref_to_llvm_free(block);
  }
  EXPECT_EQ(memory.liveBlocks(), 1u);
  _mlir_memref_to_llvm_free(plain);
  EXPECT_EQ(memory.liveBlocks(), 0u);
  _mlir_memref_to_llvm_free(nullptr);
}

TEST(RunMemoryTest, AnAbandonedRunFreesWhatItHolds) {
  RunMemory memory;
  {
    ActiveRun run(memory);
    void *first = _mlir_memref_to_llvm_alloc(64);
    void *second = _mlir_memref_to_llvm_aligned_alloc(64, 1 << 20);
    (void)_mlir_memref_to_llvm_alloc(8);
    _mlir_memref_to_llvm_free(first);
    _mlir_memref_to_llvm_free(second);
    (void)_mlir_memref_to_llvm_alloc(1 << 20);
  }
  EXPECT_EQ(memory.liveBlocks(), 2u);
  memory.releaseAll(); // (ASan would report a leak or a double free here)
  EXPECT_EQ(memory.liveBlocks(), 0u);
}

TEST(RunMemoryTest, BlocksOutsideARunAreUntracked) {
  ASSERT_EQ(activeRunMemory(), nullptr);
  void *block = _mlir_memref_to_llvm_alloc(32);
  ASSERT_NE(block, nullptr);
  _mlir_memref_to_llvm_free(block);
}

TEST(RunMemoryTest, ABlockLeftByANormalRunOutlivesIt) {
  void *block;
  {
    RunMemory memory;
    ActiveRun run(memory);
    block = _mlir_memref_to_llvm_alloc(32);
    EXPECT_EQ(memory.liveBlocks(), 1u);
  }
  // The run and its list are gone; freeing the block must not touch them.
  std::memset(block, 0, 32);
  _mlir_memref_to_llvm_free(block);
}

TEST(RunMemoryTest, ABlockFreedOnAnotherThreadLeavesTheRun) {
  RunMemory memory;
  ActiveRun run(memory);
  void *block = _mlir_memref_to_llvm_alloc(256);
  std::thread([block] { _mlir_memref_to_llvm_free(block); }).join();
  EXPECT_EQ(memory.liveBlocks(), 0u);
  // A pool worker has no run: what it allocates is its own to free.
  std::thread([&memory] {
    void *own = _mlir_memref_to_llvm_alloc(256);
    EXPECT_EQ(memory.liveBlocks(), 0u);
    _mlir_memref_to_llvm_free(own);
  }).join();
}
