//===- RunMemory.h - A run's buffers, freed if it fails ---*- C++ -*-===//
//
// Compiled code allocates its buffers with _mlir_memref_to_llvm_alloc and
// frees them with _mlir_memref_to_llvm_free (finalize-memref-to-llvm's
// generic functions), which the runtime defines here. Each block carries a
// header that links it into the RunMemory of the run that allocated it, so
// that a run a failed check ends early (a longjmp past the frees the
// compiled code would have done: see ShapeChecks.h) frees everything it
// still holds. A run that returns normally has freed its intermediates; its
// outputs are freed by the runtime after copying (Outputs.cpp).
//
// Blocks allocated where no run is active on the thread (the thread pool's
// workers inside a parallel loop, which free what they allocate before the
// loop ends) are not tracked. Checks never sit inside a parallel loop, so
// no run ends while a worker holds such a block.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_RUNMEMORY_H
#define ONEBIT_LIB_RUNTIME_RUNMEMORY_H

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace onebit::runtime {

struct BlockHeader;

/// The live blocks of one run. Made by onebit_run on its stack and made
/// active on its thread for the call into the compiled code.
class RunMemory {
public:
  RunMemory();
  RunMemory(const RunMemory &) = delete;
  RunMemory &operator=(const RunMemory &) = delete;
  /// Unlinks what is left (a normal run's blocks live on untracked).
  ~RunMemory();

  /// Frees every block still held: the run ended early.
  void releaseAll();
  /// How many blocks the run holds now.
  size_t liveBlocks();

  void link(BlockHeader *block);
  void unlink(BlockHeader *block);

private:
  std::mutex mutex;
  BlockHeader *first = nullptr;
  size_t count = 0;
};

/// The run in progress on this thread (null on pool workers, and outside
/// onebit_run).
RunMemory *&activeRunMemory();

/// Frees a block the compiled code allocated (nullptr is fine).
void freeGenerated(void *pointer);

} // namespace onebit::runtime

extern "C" {
// What finalize-memref-to-llvm{use-generic-functions} calls.
__attribute__((visibility("hidden"))) void *
_mlir_memref_to_llvm_alloc(size_t bytes);
__attribute__((visibility("hidden"))) void *
_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes);
__attribute__((visibility("hidden"))) void _mlir_memref_to_llvm_free(void *);
}

#endif // ONEBIT_LIB_RUNTIME_RUNMEMORY_H
