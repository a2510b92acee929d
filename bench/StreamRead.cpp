//===- StreamRead.cpp - The machine's streaming read bandwidth -----------===//

#include "StreamRead.h"

#include <thread>
#include <vector>

using namespace onebit::bench;

namespace {

// 64-byte vectors: one AVX-512 load where the target has it, split by the
// compiler into narrower loads where it does not.
typedef uint64_t Lanes __attribute__((vector_size(64)));

uint64_t sumSlice(const Lanes *begin, size_t count) {
  // Four accumulators hide the add latency behind the loads.
  Lanes a = {}, b = {}, c = {}, d = {};
  for (size_t i = 0; i + 4 <= count; i += 4) {
    a += begin[i];
    b += begin[i + 1];
    c += begin[i + 2];
    d += begin[i + 3];
  }
  Lanes all = a + b + c + d;
  uint64_t sum = 0;
  for (int lane = 0; lane < 8; ++lane)
    sum += all[lane];
  return sum;
}

} // namespace

uint64_t onebit::bench::streamRead(const void *data, size_t bytes,
                                   int threads) {
  const Lanes *lanes = static_cast<const Lanes *>(data);
  size_t count = bytes / sizeof(Lanes);
  // Slices of whole groups of four vectors, the last thread taking the rest.
  size_t perThread = count / threads / 4 * 4;
  std::vector<uint64_t> sums(threads);
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t)
    workers.emplace_back([&, t] {
      size_t first = perThread * t;
      size_t size = t == threads - 1 ? count - first : perThread;
      sums[t] = sumSlice(lanes + first, size);
    });
  sums[0] = sumSlice(lanes, threads == 1 ? count : perThread);
  for (std::thread &worker : workers)
    worker.join();
  uint64_t total = 0;
  for (uint64_t sum : sums)
    total += sum;
  return total;
}
