//===- ParallelFor.cpp - The thread pool that compiled loops run on -------===//
//
// Compiled models call onebit_parallel_for for their parallel loops (see
// lib/Conversion/ParallelToRuntime). Each model.so has one pool, made on
// its first parallel loop with onebit_num_threads() threads counting the
// caller, and shared by every onebit_run of that model, concurrent ones
// included (see ThreadPool.h).
//
// The pool is a function-local static, so it is destroyed (its workers
// stopped and joined) by the C++ runtime when the model.so is unloaded or
// the process exits: no worker is left running code that dlclose unmaps.
// Fork handlers keep a forked child from inheriting a pool whose workers
// it does not have.
//
//===----------------------------------------------------------------------===//
#include "ParallelFor.h"
#include "ThreadPool.h"

#include "onebit/Runtime/onebit_runtime.h"

#include <pthread.h>

#include <atomic>

using namespace onebit::runtime;

namespace {

/// The live pool, for the fork handlers; null before it is made and once
/// it is destroyed.
std::atomic<ThreadPool *> livePool{nullptr};

void prepareFork() {
  if (ThreadPool *pool = livePool.load())
    pool->prepareFork();
}
void afterForkInParent() {
  if (ThreadPool *pool = livePool.load())
    pool->afterForkInParent();
}
void afterForkInChild() {
  if (ThreadPool *pool = livePool.load())
    pool->afterForkInChild();
}

struct ModelPool {
  ThreadPool pool;

  ModelPool() : pool(onebit_num_threads()) {
    livePool = &pool;
    // glibc drops the handlers of a shared object when it is unloaded.
    pthread_atfork(prepareFork, afterForkInParent, afterForkInChild);
  }
  ~ModelPool() { livePool = nullptr; }
};

ThreadPool &modelPool() {
  static ModelPool instance;
  return instance.pool;
}

} // namespace

extern "C" void onebit_parallel_for(void (*body)(void *, int64_t, int64_t),
                                    void *ctx, int64_t begin, int64_t end) {
  if (end <= begin)
    return;
  // A loop of one iteration has nothing to share: run it without making
  // the pool. (Unsigned: the distance may not fit in int64_t.)
  if (uint64_t(end) - uint64_t(begin) < 2) {
    body(ctx, begin, end);
    return;
  }
  modelPool().parallelFor(body, ctx, begin, end);
}
