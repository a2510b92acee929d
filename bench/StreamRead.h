//===- StreamRead.h - The machine's streaming read bandwidth -------------===//
//
// The yardstick for memory-bound kernels: how fast `threads` threads can read
// a buffer far larger than the caches, each summing its own contiguous slice
// with wide loads and several independent accumulators (so neither the adds
// nor one dependency chain limit it). A GEMV at M = 1 reads every weight
// once, so its time can be no better than its weight bytes at this rate.
//
//===----------------------------------------------------------------------===//

#ifndef ONEBIT_BENCH_STREAMREAD_H
#define ONEBIT_BENCH_STREAMREAD_H

#include <cstddef>
#include <cstdint>

namespace onebit::bench {

/// Reads `bytes` (a multiple of 256) at `data` once with `threads` threads
/// and returns a value that depends on every byte, so no load is dropped.
uint64_t streamRead(const void *data, size_t bytes, int threads);

} // namespace onebit::bench

#endif // ONEBIT_BENCH_STREAMREAD_H
