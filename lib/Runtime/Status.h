//===- Status.h - Errors returned through the C API -------------*- C++ -*-===//
#ifndef ONEBIT_LIB_RUNTIME_STATUS_H
#define ONEBIT_LIB_RUNTIME_STATUS_H

#include "onebit/Runtime/onebit_runtime.h"

#include <string>

struct onebit_status_s {
  std::string message;
};

namespace onebit::runtime {

/// A heap status carrying `message`, for the caller to free with
/// onebit_status_free.
onebit_status makeStatus(std::string message);

/// printf-style formatting into a std::string: the runtime has no iostreams,
/// so a model.so pulls in no static initializers for them.
std::string formatString(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_STATUS_H
