//===- ParallelForTest.cpp - onebit_parallel_for, the model's pool --------===//
//
// The entry point compiled loops call, with its one lazily made pool: it
// honours ONEBIT_NUM_THREADS, covers every iteration once, and survives a
// fork (the child gets working loops, not the parent's vanished workers).
//
//===----------------------------------------------------------------------===//
#include "ParallelFor.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <dirent.h>
#include <mutex>
#include <thread>
#include <vector>

#include "ThreadCount.h"

namespace {

constexpr int kPoolThreads = 3;

/// The pool reads ONEBIT_NUM_THREADS once, when the process's first
/// parallel loop makes it; every test here sets it first.
void usePoolOfThree() { setenv("ONEBIT_NUM_THREADS", "3", 1); }

using onebit::test::countThreads;
using onebit::test::threadsInProcess;

struct Coverage {
  std::vector<std::atomic<int>> runs;
  explicit Coverage(size_t count) : runs(count) {}
  static void body(void *ctx, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      ++static_cast<Coverage *>(ctx)->runs[size_t(i)];
  }
  bool eachOnce() const {
    for (const std::atomic<int> &run : runs)
      if (run.load() != 1)
        return false;
    return true;
  }
};

/// Two iterations that each wait for the other to start: done only when two
/// threads run the loop at once.
struct Rendezvous {
  std::mutex mutex;
  std::condition_variable arrived;
  int present = 0;
  bool timedOut = false;
  static void body(void *ctx, int64_t begin, int64_t end) {
    auto *r = static_cast<Rendezvous *>(ctx);
    for (int64_t i = begin; i < end; ++i) {
      std::unique_lock<std::mutex> lock(r->mutex);
      ++r->present;
      r->arrived.notify_all();
      if (!r->arrived.wait_for(lock, std::chrono::seconds(20),
                               [&] { return r->present >= 2; }))
        r->timedOut = true;
    }
  }
};

TEST(ParallelForTest, CoversEachIterationOnceOnTheConfiguredThreads) {
  usePoolOfThree();
  for (int64_t count : {0, 1, 2, 5, 64, 1000}) {
    Coverage coverage{size_t(count)};
    onebit_parallel_for(&Coverage::body, &coverage, 0, count);
    EXPECT_TRUE(coverage.eachOnce()) << count << " iterations";
  }
  Rendezvous rendezvous;
  onebit_parallel_for(&Rendezvous::body, &rendezvous, 0, 2);
  EXPECT_FALSE(rendezvous.timedOut) << "the loop ran on one thread";
}

TEST(ParallelForTest, ForkedChildStartsItsOwnWorkers) {
  usePoolOfThree();
  Coverage warmup(100);
  onebit_parallel_for(&Coverage::body, &warmup, 0, 100);
  ASSERT_TRUE(warmup.eachOnce());
  int before = countThreads();

  pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    // Exit codes say which check failed; exit() (not _exit) also runs the
    // pool's destructor, which must not wait for the parent's workers.
    if (countThreads() != 1)
      std::exit(10);
    Coverage coverage(500);
    onebit_parallel_for(&Coverage::body, &coverage, 0, 500);
    if (!coverage.eachOnce())
      std::exit(11);
    Rendezvous rendezvous;
    onebit_parallel_for(&Rendezvous::body, &rendezvous, 0, 2);
    if (rendezvous.timedOut)
      std::exit(12);
    if (threadsInProcess(kPoolThreads) != kPoolThreads)
      std::exit(13);
    std::exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of a signal";
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10: threads after fork, 11: coverage, 12: no worker joined in, "
         "13: wrong number of threads";

  // The parent's pool is untouched by the fork.
  EXPECT_EQ(threadsInProcess(before), before);
  Coverage after(300);
  onebit_parallel_for(&Coverage::body, &after, 0, 300);
  EXPECT_TRUE(after.eachOnce());
}

} // namespace
