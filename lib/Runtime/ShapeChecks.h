//===- ShapeChecks.h - Failed run-time shape checks end the run -*- C++ -*-===//
//
// The compiler checks at run time what the model's declared types promise
// and the data may break (a dimension the ONNX file declares static, a
// reshape's element count). A failed check calls onebit_shape_check_failed,
// which must not return: the code after it would read out of bounds. It
// jumps back to onebit_run, which reports the message as the run's error.
// The buffers the compiled code allocated before the check are freed there
// (RunMemory.h).
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_SHAPECHECKS_H
#define ONEBIT_LIB_RUNTIME_SHAPECHECKS_H

#include <csetjmp>
#include <cstdint>

namespace onebit::runtime {

/// Where a failed check on this thread jumps to, and what it said.
struct ShapeCheckGuard {
  std::jmp_buf resume;
  const char *message = nullptr;
};

/// The guard of the run in progress on this thread, if any. A check that
/// fails anywhere else (a thread pool worker) aborts with its message.
ShapeCheckGuard *&activeShapeCheckGuard();

} // namespace onebit::runtime

extern "C" {
/// Called by compiled code when a check fails. Never returns.
[[noreturn]] __attribute__((visibility("hidden"))) void
onebit_shape_check_failed(const char *message);
/// The same, the message followed by ": <value>" (an offending index).
[[noreturn]] __attribute__((visibility("hidden"))) void
onebit_shape_check_failed_at(const char *message, int64_t value);
}

#endif // ONEBIT_LIB_RUNTIME_SHAPECHECKS_H
