//===- ShapeChecks.cpp - Failed run-time shape checks end the run ---------===//
#include "ShapeChecks.h"

#include <cstdio>
#include <cstdlib>

namespace onebit::runtime {

ShapeCheckGuard *&activeShapeCheckGuard() {
  static thread_local ShapeCheckGuard *guard = nullptr;
  return guard;
}

} // namespace onebit::runtime

using namespace onebit::runtime;

extern "C" void onebit_shape_check_failed_at(const char *message,
                                             int64_t value) {
  // The run's error is copied from here before this thread runs again.
  static thread_local char text[1024];
  std::snprintf(text, sizeof(text), "%s: %lld", message,
                static_cast<long long>(value));
  onebit_shape_check_failed(text);
}

extern "C" void onebit_shape_check_failed(const char *message) {
  ShapeCheckGuard *guard = activeShapeCheckGuard();
  if (!guard) {
    std::fprintf(stderr, "onebit: %s\n", message);
    std::abort();
  }
  guard->message = message;
  std::longjmp(guard->resume, 1);
}
