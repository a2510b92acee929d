//===- Status.cpp - Errors returned through the C API ---------------------===//
#include "Status.h"
#include "Export.h"

#include <cstdarg>
#include <cstdio>

namespace onebit::runtime {

onebit_status makeStatus(std::string message) {
  return new onebit_status_s{std::move(message)};
}

std::string formatString(const char *format, ...) {
  va_list args;
  va_start(args, format);
  va_list argsForLength;
  va_copy(argsForLength, args);
  int length = std::vsnprintf(nullptr, 0, format, argsForLength);
  va_end(argsForLength);
  std::string text;
  if (length > 0) {
    // vsnprintf writes a NUL after the text: size one more, then drop it.
    text.resize(static_cast<size_t>(length) + 1);
    std::vsnprintf(text.data(), text.size(), format, args);
    text.pop_back();
  }
  va_end(args);
  return text;
}

} // namespace onebit::runtime

extern "C" {

ONEBIT_EXPORT const char *onebit_status_message(onebit_status status) {
  return status ? status->message.c_str() : "";
}

ONEBIT_EXPORT void onebit_status_free(onebit_status status) { delete status; }

} // extern "C"
