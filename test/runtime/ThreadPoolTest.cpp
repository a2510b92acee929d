//===- ThreadPoolTest.cpp - The pool behind parallel loops ----------------===//
//
// Pools of several sizes, called directly: every iteration runs exactly once
// for any range, work is really shared, several threads may run loops on
// one pool at once, and nested loops run inline instead of deadlocking.
//
//===----------------------------------------------------------------------===//
#include "ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using onebit::runtime::ThreadPool;

namespace {

/// Counts the runs of each iteration of [begin, end), and checks every
/// chunk the body gets.
struct Coverage {
  int64_t begin, end;
  std::vector<std::atomic<int>> runs;
  std::atomic<int> badChunks{0};

  Coverage(int64_t begin, int64_t end)
      : begin(begin), end(end), runs(size_t(end > begin ? end - begin : 0)) {}

  static void body(void *ctx, int64_t first, int64_t last) {
    auto *coverage = static_cast<Coverage *>(ctx);
    if (first >= last || first < coverage->begin || last > coverage->end) {
      ++coverage->badChunks;
      return;
    }
    for (int64_t i = first; i < last; ++i)
      ++coverage->runs[size_t(i - coverage->begin)];
  }

  /// The first iteration not run exactly once, or -1.
  int64_t firstMiss() const {
    for (size_t i = 0; i < runs.size(); ++i)
      if (runs[i].load() != 1)
        return int64_t(i);
    return -1;
  }
};

void expectEachIterationOnce(ThreadPool &pool, int64_t begin, int64_t end) {
  Coverage coverage(begin, end);
  pool.parallelFor(&Coverage::body, &coverage, begin, end);
  EXPECT_EQ(coverage.badChunks.load(), 0) << "[" << begin << ", " << end << ")";
  EXPECT_EQ(coverage.firstMiss(), -1) << "[" << begin << ", " << end << ")";
}

TEST(ThreadPoolTest, RunsEachIterationOnce) {
  const int64_t ranges[][2] = {
      {0, 0},     {5, 5},        {7, 3},      {0, 1},       {0, 2},
      {0, 3},     {0, 7},        {0, 8},      {0, 9},       {0, 31},
      {0, 64},    {0, 127},      {0, 1000},   {0, 1001},    {0, 4099},
      {-50, 50},  {-7, -2},      {13, 29},    {1000, 1003},
      {INT64_MAX - 100, INT64_MAX}, {INT64_MIN, INT64_MIN + 37}};
  for (int32_t threads : {1, 2, 3, 4, 5, 8, 16}) {
    ThreadPool pool(threads);
    for (const auto &range : ranges)
      expectEachIterationOnce(pool, range[0], range[1]);
  }
}

TEST(ThreadPoolTest, StartsWorkersOnlyWhenALoopCanUseThem) {
  ThreadPool pool(4);
  EXPECT_EQ(pool.numWorkers(), 0);
  expectEachIterationOnce(pool, 0, 1);
  EXPECT_EQ(pool.numWorkers(), 0);
  expectEachIterationOnce(pool, 0, 100);
  EXPECT_EQ(pool.numWorkers(), 3);

  ThreadPool single(1);
  expectEachIterationOnce(single, 0, 100);
  EXPECT_EQ(single.numWorkers(), 0);
}

TEST(ThreadPoolTest, SingleIterationAndSingleThreadRunOnTheCaller) {
  struct Record {
    std::thread::id caller = std::this_thread::get_id();
    std::atomic<int> calls{0};
    std::atomic<bool> elsewhere{false};
    static void body(void *ctx, int64_t, int64_t) {
      auto *record = static_cast<Record *>(ctx);
      ++record->calls;
      if (std::this_thread::get_id() != record->caller)
        record->elsewhere = true;
    }
  };
  ThreadPool pool(4);
  Record one;
  pool.parallelFor(&Record::body, &one, 10, 11);
  EXPECT_EQ(one.calls.load(), 1);
  EXPECT_FALSE(one.elsewhere.load());

  ThreadPool serial(1);
  Record all;
  serial.parallelFor(&Record::body, &all, 0, 1000);
  EXPECT_EQ(all.calls.load(), 1) << "one thread: the whole range in one call";
  EXPECT_FALSE(all.elsewhere.load());
}

/// Each of the loop's two iterations waits until the other one has started:
/// this finishes only if two threads run the loop at once.
struct Rendezvous {
  std::mutex mutex;
  std::condition_variable arrived;
  int present = 0;
  std::atomic<int> timedOut{0};

  static void body(void *ctx, int64_t begin, int64_t end) {
    auto *rendezvous = static_cast<Rendezvous *>(ctx);
    for (int64_t i = begin; i < end; ++i) {
      std::unique_lock<std::mutex> lock(rendezvous->mutex);
      ++rendezvous->present;
      rendezvous->arrived.notify_all();
      if (!rendezvous->arrived.wait_for(lock, std::chrono::seconds(20), [&] {
            return rendezvous->present >= 2;
          }))
        ++rendezvous->timedOut;
    }
  }
};

TEST(ThreadPoolTest, SharesALoopBetweenThreads) {
  for (int32_t threads : {2, 4}) {
    ThreadPool pool(threads);
    Rendezvous rendezvous;
    pool.parallelFor(&Rendezvous::body, &rendezvous, 0, 2);
    EXPECT_EQ(rendezvous.present, 2);
    EXPECT_EQ(rendezvous.timedOut.load(), 0)
        << threads << " threads: the two iterations never ran at once";
  }
}

TEST(ThreadPoolTest, ConcurrentCallersShareOnePool) {
  for (int32_t threads : {2, 3, 8}) {
    ThreadPool pool(threads);
    std::atomic<int> failures{0};
    std::vector<std::thread> callers;
    for (int caller = 0; caller < 6; ++caller)
      callers.emplace_back([&, caller] {
        for (int loop = 0; loop < 150; ++loop) {
          int64_t begin = (caller * 37 + loop) % 11 - 5;
          int64_t end = begin + (caller * 131 + loop * 17) % 300;
          Coverage coverage(begin, end);
          pool.parallelFor(&Coverage::body, &coverage, begin, end);
          if (coverage.badChunks.load() != 0 || coverage.firstMiss() != -1)
            ++failures;
        }
      });
    for (std::thread &caller : callers)
      caller.join();
    EXPECT_EQ(failures.load(), 0) << threads << " threads";
  }
}

/// An outer loop whose iterations each run an inner loop, on the same pool
/// or on another one.
struct Nested {
  ThreadPool *innerPool;
  int64_t innerCount;
  std::vector<std::atomic<int>> runs;
  std::atomic<int> innerElsewhere{0};

  Nested(ThreadPool *innerPool, int64_t outerCount, int64_t innerCount)
      : innerPool(innerPool), innerCount(innerCount),
        runs(size_t(outerCount * innerCount)) {}

  struct Inner {
    Nested *nested;
    int64_t row;
    std::thread::id outerThread;
  };

  static void inner(void *ctx, int64_t begin, int64_t end) {
    auto *in = static_cast<Inner *>(ctx);
    if (std::this_thread::get_id() != in->outerThread)
      ++in->nested->innerElsewhere;
    for (int64_t j = begin; j < end; ++j)
      ++in->nested->runs[size_t(in->row * in->nested->innerCount + j)];
  }

  static void outer(void *ctx, int64_t begin, int64_t end) {
    auto *nested = static_cast<Nested *>(ctx);
    for (int64_t row = begin; row < end; ++row) {
      Inner in{nested, row, std::this_thread::get_id()};
      nested->innerPool->parallelFor(&Nested::inner, &in, 0,
                                     nested->innerCount);
    }
  }
};

TEST(ThreadPoolTest, NestedLoopsRunInline) {
  ThreadPool pool(4), other(3);
  for (ThreadPool *innerPool : {&pool, &other}) {
    Nested nested(innerPool, 64, 50);
    pool.parallelFor(&Nested::outer, &nested, 0, 64);
    for (size_t i = 0; i < nested.runs.size(); ++i)
      ASSERT_EQ(nested.runs[i].load(), 1) << "iteration " << i;
    EXPECT_EQ(nested.innerElsewhere.load(), 0)
        << "an inner loop left the thread of its outer iteration";
  }
}

TEST(ThreadPoolTest, DestroysCleanlyWhetherStartedOrNot) {
  for (int round = 0; round < 20; ++round) {
    ThreadPool idle(4);
    ThreadPool used(4);
    expectEachIterationOnce(used, 0, 64);
  }
}

} // namespace
