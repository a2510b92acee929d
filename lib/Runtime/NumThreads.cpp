//===- NumThreads.cpp - How many threads parallel loops may use -----------===//
#include "Export.h"

#include "onebit/Runtime/onebit_runtime.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <thread>

namespace {

/// A positive decimal integer that fits in int32_t, or 0. Strict (no sign,
/// no spaces): a typo should not quietly pick some other count.
int32_t parsePositiveCount(const char *text) {
  if (!text || !std::isdigit(static_cast<unsigned char>(*text)))
    return 0;
  errno = 0;
  char *end = nullptr;
  long long value = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || value <= 0 || value > INT32_MAX)
    return 0;
  return static_cast<int32_t>(value);
}

} // namespace

extern "C" ONEBIT_EXPORT int32_t onebit_num_threads(void) {
  // Read on every call, not cached: the thread pool (ParallelFor.cpp)
  // reads it once, when it is made, and tests may change it between calls.
  if (int32_t requested = parsePositiveCount(std::getenv("ONEBIT_NUM_THREADS")))
    return requested;
  unsigned cores = std::thread::hardware_concurrency();
  // hardware_concurrency() may not know: one thread is always right.
  return cores ? static_cast<int32_t>(cores) : 1;
}
