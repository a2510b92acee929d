//===- Errors.cpp - Fatal and per-thread errors of the CUDA runtime -------===//
#include "Errors.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace onebit::cuda {
namespace {

// Only trivially destructible state: a model.so may be dlclose'd, and a
// thread_local with a destructor would pin it in memory until every thread
// that touched it has exited.
std::atomic<const char *> fatalMessage{nullptr};

constexpr size_t kMessageSize = 1024;
thread_local bool runErrorPending = false;
thread_local char runError[kMessageSize];
thread_local char takenError[kMessageSize];

} // namespace

void setFatalError(const char *format, ...) {
  if (fatalMessage.load(std::memory_order_acquire))
    return;
  char text[kMessageSize];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof(text), format, args);
  va_end(args);
  // Kept for the life of the process: callers hold on to the pointer.
  char *copy = strdup(text);
  const char *message =
      copy ? copy : "CUDA runtime error (no memory left for its message)";
  const char *expected = nullptr;
  if (!fatalMessage.compare_exchange_strong(expected, message,
                                            std::memory_order_acq_rel))
    std::free(copy); // Another thread's error came first.
}

const char *fatalError() {
  return fatalMessage.load(std::memory_order_acquire);
}

void recordError(const char *format, ...) {
  if (runErrorPending)
    return;
  va_list args;
  va_start(args, format);
  std::vsnprintf(runError, sizeof(runError), format, args);
  va_end(args);
  runErrorPending = true;
}

void recordDriverError(const char *what, CUresult result) {
  char description[512];
  recordError("CUDA error in %s: %s", what,
              describe(result, description, sizeof(description)));
}

bool hasError() { return runErrorPending || fatalError(); }

const char *takeError() {
  if (runErrorPending) {
    std::memcpy(takenError, runError, sizeof(takenError));
    runErrorPending = false;
    return takenError;
  }
  return fatalError();
}

} // namespace onebit::cuda
