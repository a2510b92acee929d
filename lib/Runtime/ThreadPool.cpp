//===- ThreadPool.cpp - The workers behind parallel loops -----------------===//
//
// A loop becomes a Loop record of equal chunks. Its caller queues it, wakes
// as many idle workers as there are chunks to share, and then claims chunks
// itself; workers claim chunks of the oldest queued loop that has any left.
// Chunks are claimed with an atomic counter, so each runs exactly once
// whoever takes it. Idle workers sleep on a condition variable (no
// spinning).
//
// Threads are pthreads rather than std::thread: the runtime is built without
// exceptions, and a thread that cannot be created must mean fewer workers,
// not std::terminate.
//
//===----------------------------------------------------------------------===//
#include "ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <new>

using namespace onebit::runtime;

namespace {

/// True while this thread runs a loop body, of any pool: a loop started
/// there runs inline.
thread_local bool insideLoopBody = false;

/// A few chunks per thread even out threads that get less of the CPU (the
/// machine is shared, or the loop's iterations differ in cost).
constexpr int64_t kChunksPerThread = 4;

/// More threads than this only cost memory and scheduling: a larger
/// ONEBIT_NUM_THREADS is taken as this many.
constexpr int32_t kMaxThreads = 1024;

} // namespace

struct ThreadPool::Loop {
  LoopBody body;
  void *ctx;
  int64_t begin, end, chunkSize, numChunks;
  std::atomic<int64_t> nextChunk{0};
  std::atomic<int64_t> unfinishedChunks{0};
  /// The caller's reference and one per worker working on the loop: a
  /// worker still holds the record for its last notification, after which
  /// the caller may already have returned.
  std::atomic<int32_t> references{1};
  std::mutex mutex;
  std::condition_variable finished;
  Loop *next = nullptr;
  Loop *previous = nullptr;

  bool hasChunksToClaim() const { return nextChunk.load() < numChunks; }

  void release() {
    if (--references == 0)
      delete this;
  }

  /// Claims and runs chunks until none is left to claim.
  void work() {
    bool wasInside = insideLoopBody;
    insideLoopBody = true;
    for (int64_t chunk = nextChunk++; chunk < numChunks; chunk = nextChunk++) {
      int64_t first = begin + chunk * chunkSize;
      body(ctx, first, first + std::min(chunkSize, end - first));
      if (--unfinishedChunks == 0) {
        // Under the mutex, so the caller cannot miss the notification
        // between testing the count and starting to wait.
        std::lock_guard<std::mutex> lock(mutex);
        finished.notify_all();
      }
    }
    insideLoopBody = wasInside;
  }

  void waitUntilFinished() {
    std::unique_lock<std::mutex> lock(mutex);
    finished.wait(lock, [&] { return unfinishedChunks.load() == 0; });
  }
};

ThreadPool::ThreadPool(int32_t threads)
    : maxWorkers(std::clamp(threads, 1, kMaxThreads) - 1) {}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  for (int32_t i = 0; i < numStarted; ++i)
    pthread_join(workers[i], nullptr);
}

int32_t ThreadPool::numWorkers() {
  std::lock_guard<std::mutex> lock(mutex);
  return numStarted;
}

void ThreadPool::startWorkers() {
  started = true;
  if (maxWorkers == 0)
    return;
  workers.reset(new (std::nothrow) pthread_t[size_t(maxWorkers)]);
  if (!workers)
    return;
  // Workers leave asynchronous signals to the threads the application made
  // (Python, for one, expects SIGINT on its main thread); they inherit the
  // mask in force when they are created.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  for (; numStarted < maxWorkers; ++numStarted) {
    if (pthread_create(&workers[numStarted], nullptr, &ThreadPool::workerMain,
                       this) != 0)
      break; // Out of threads: run with the ones there are.
    pthread_setname_np(workers[numStarted], "onebit-worker");
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void *ThreadPool::workerMain(void *pool) {
  static_cast<ThreadPool *>(pool)->serve();
  return nullptr;
}

ThreadPool::Loop *ThreadPool::findOpenLoop() {
  for (Loop *loop = queueHead; loop; loop = loop->next)
    if (loop->hasChunksToClaim())
      return loop;
  return nullptr;
}

void ThreadPool::serve() {
  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    Loop *loop = nullptr;
    wake.wait(lock, [&] { return stopping || (loop = findOpenLoop()); });
    if (stopping)
      return;
    // Taken while the caller, which holds the mutex to dequeue, still holds
    // its own reference: the record is alive.
    ++loop->references;
    lock.unlock();
    loop->work();
    loop->release();
    lock.lock();
  }
}

void ThreadPool::parallelFor(LoopBody body, void *ctx, int64_t begin,
                             int64_t end) {
  int64_t count;
  if (__builtin_sub_overflow(end, begin, &count) || count < 2 ||
      insideLoopBody || maxWorkers == 0) {
    if (end > begin)
      body(ctx, begin, end);
    return;
  }

  Loop *loop = new (std::nothrow) Loop;
  int32_t available = 0;
  if (loop) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!started)
      startWorkers();
    if (!stopping)
      available = numStarted;
    if (available != 0) {
      int64_t chunks =
          std::min<int64_t>(count, int64_t(available + 1) * kChunksPerThread);
      loop->body = body;
      loop->ctx = ctx;
      loop->begin = begin;
      loop->end = end;
      loop->chunkSize = count / chunks + (count % chunks != 0);
      loop->numChunks =
          count / loop->chunkSize + (count % loop->chunkSize != 0);
      loop->unfinishedChunks = loop->numChunks;
      loop->previous = queueTail;
      (queueTail ? queueTail->next : queueHead) = loop;
      queueTail = loop;
    }
  }
  if (available == 0) {
    delete loop;
    body(ctx, begin, end);
    return;
  }
  // Wake no more workers than there are chunks for besides the caller's.
  int64_t helpers = std::min<int64_t>(available, loop->numChunks - 1);
  for (int64_t i = 0; i < helpers; ++i)
    wake.notify_one();

  loop->work();
  {
    // Every chunk is claimed: no worker needs to find this loop any more.
    std::lock_guard<std::mutex> lock(mutex);
    (loop->previous ? loop->previous->next : queueHead) = loop->next;
    (loop->next ? loop->next->previous : queueTail) = loop->previous;
  }
  loop->waitUntilFinished();
  loop->release();
}

void ThreadPool::prepareFork() { mutex.lock(); }

void ThreadPool::afterForkInParent() { mutex.unlock(); }

void ThreadPool::afterForkInChild() {
  // Only the forking thread exists in the child: the workers are gone, and
  // so are the callers of any queued loop (whose records simply leak). The
  // mutex and condition variable may hold state of those threads, so they
  // are made anew rather than unlocked or signalled.
  new (&mutex) std::mutex();
  new (&wake) std::condition_variable();
  queueHead = queueTail = nullptr;
  workers.reset(); // Those pthread_t values mean nothing here.
  numStarted = 0;
  started = false;
}
