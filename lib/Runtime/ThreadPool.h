//===- ThreadPool.h - The workers behind parallel loops ---------*- C++ -*-===//
//
// A pool of worker threads that splits a loop [begin, end) into chunks. The
// calling thread always works on its own loop too, so a loop finishes even
// when every worker is busy elsewhere, and several threads may run loops on
// one pool at once: their chunks share the same workers instead of each
// call bringing threads of its own.
//
// Kept apart from onebit_parallel_for (ParallelFor.cpp), which owns the one
// pool a model.so uses, so that tests can build pools of any size.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_THREADPOOL_H
#define ONEBIT_LIB_RUNTIME_THREADPOOL_H

#include <pthread.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

namespace onebit::runtime {

/// The loop body: runs the iterations [begin, end) of the loop.
using LoopBody = void (*)(void *ctx, int64_t begin, int64_t end);

class ThreadPool {
public:
  /// Up to `threads - 1` workers (the caller is the last thread), started on
  /// the first loop that can use them.
  explicit ThreadPool(int32_t threads);
  /// Stops and joins the workers. No loop may be running on the pool.
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// Runs body over [begin, end) and returns once every iteration has run,
  /// each exactly once. Runs inline (in one call of `body`) when there is
  /// nothing to split (fewer than two iterations), no worker to share with,
  /// or when called from inside a loop body of any pool: nested loops then
  /// never wait on workers that are busy with the outer loop.
  void parallelFor(LoopBody body, void *ctx, int64_t begin, int64_t end);

  /// Workers running now (0 before the first loop that needs them).
  int32_t numWorkers();

  /// For pthread_atfork: hold the pool still while a fork copies it, and
  /// in the child, forget the workers (which the child does not have) so
  /// that its next loop starts fresh ones.
  void prepareFork();
  void afterForkInParent();
  void afterForkInChild();

private:
  struct Loop;

  void startWorkers();
  static void *workerMain(void *pool);
  void serve();
  /// The first queued loop with chunks left to claim; needs `mutex` held.
  Loop *findOpenLoop();

  // No std containers here: their out-of-line template members would be
  // emitted with default visibility (libstdc++ declares namespace std so)
  // and exported from every model.so; a weak unique one would even keep
  // dlclose from unloading it.
  const int32_t maxWorkers;
  std::mutex mutex;
  /// Signalled when a loop is queued or the pool stops.
  std::condition_variable wake;
  /// The loops whose callers are still claiming chunks, oldest first,
  /// linked through Loop::next and Loop::previous.
  Loop *queueHead = nullptr;
  Loop *queueTail = nullptr;
  std::unique_ptr<pthread_t[]> workers;
  int32_t numStarted = 0;
  bool started = false;
  bool stopping = false;
};

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_THREADPOOL_H
