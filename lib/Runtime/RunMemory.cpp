//===- RunMemory.cpp - The buffers one run allocates, freed if it fails ---===//
#include "RunMemory.h"

#include <cstdlib>

namespace onebit::runtime {

/// Sits right before the block handed out. 32 bytes, so that a block from
/// plain malloc keeps malloc's 16-byte alignment.
struct alignas(16) BlockHeader {
  BlockHeader *previous;
  BlockHeader *next;
  RunMemory *owner;
  void *base; // what malloc/aligned_alloc returned
};
static_assert(sizeof(BlockHeader) == 32);

namespace {

BlockHeader *headerOf(void *pointer) {
  return reinterpret_cast<BlockHeader *>(pointer) - 1;
}

/// Fills in the header ending at `pointer` and links it into the thread's
/// run, if any.
void *track(void *base, void *pointer) {
  BlockHeader *header = headerOf(pointer);
  header->base = base;
  header->owner = activeRunMemory();
  header->previous = header->next = nullptr;
  if (header->owner)
    header->owner->link(header);
  return pointer;
}

} // namespace

RunMemory::RunMemory() = default;

RunMemory::~RunMemory() {
  std::lock_guard<std::mutex> lock(mutex);
  for (BlockHeader *block = first; block;) {
    BlockHeader *next = block->next;
    block->owner = nullptr;
    block->previous = block->next = nullptr;
    block = next;
  }
}

void RunMemory::link(BlockHeader *block) {
  std::lock_guard<std::mutex> lock(mutex);
  block->next = first;
  if (first)
    first->previous = block;
  first = block;
  ++count;
}

void RunMemory::unlink(BlockHeader *block) {
  std::lock_guard<std::mutex> lock(mutex);
  if (block->previous)
    block->previous->next = block->next;
  else
    first = block->next;
  if (block->next)
    block->next->previous = block->previous;
  --count;
}

void RunMemory::releaseAll() {
  std::lock_guard<std::mutex> lock(mutex);
  for (BlockHeader *block = first; block;) {
    BlockHeader *next = block->next;
    std::free(block->base);
    block = next;
  }
  first = nullptr;
  count = 0;
}

size_t RunMemory::liveBlocks() {
  std::lock_guard<std::mutex> lock(mutex);
  return count;
}

RunMemory *&activeRunMemory() {
  static thread_local RunMemory *active = nullptr;
  return active;
}

void freeGenerated(void *pointer) {
  if (!pointer)
    return;
  BlockHeader *header = headerOf(pointer);
  if (header->owner)
    header->owner->unlink(header);
  std::free(header->base);
}

} // namespace onebit::runtime

using namespace onebit::runtime;

extern "C" void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  void *base = std::malloc(sizeof(BlockHeader) + bytes);
  if (!base)
    return nullptr;
  return track(base, static_cast<BlockHeader *>(base) + 1);
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                    size_t bytes) {
  if (alignment < alignof(BlockHeader))
    alignment = alignof(BlockHeader);
  // The header fills the start of the first `offset` bytes; the block
  // starts aligned after it. aligned_alloc wants a multiple of alignment.
  size_t offset = (sizeof(BlockHeader) + alignment - 1) / alignment * alignment;
  size_t total = (offset + bytes + alignment - 1) / alignment * alignment;
  void *base = std::aligned_alloc(alignment, total);
  if (!base)
    return nullptr;
  return track(base, static_cast<char *>(base) + offset);
}

extern "C" void _mlir_memref_to_llvm_free(void *pointer) {
  freeGenerated(pointer);
}
