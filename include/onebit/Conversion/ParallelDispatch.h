//===- ParallelDispatch.h - Names shared by the parallel-loop passes -*- C++ -*-=//
#ifndef ONEBIT_CONVERSION_PARALLELDISPATCH_H
#define ONEBIT_CONVERSION_PARALLELDISPATCH_H

#include "onebit/Runtime/ModelABI.h"

#include <string>

namespace onebit {

inline constexpr const char *kParallelDispatchPrefix =
    "__onebit_parallel_dispatch_";
inline constexpr const char *kParallelBodyPrefix = "__onebit_parallel_body_";
inline constexpr const char *kParallelTrampolinePrefix =
    "__onebit_parallel_trampoline_";
/// void onebit_parallel_for(void (*)(void *, int64_t, int64_t), void *,
///                          int64_t begin, int64_t end), in the runtime.
inline constexpr const char *kParallelForSymbol = abi::kParallelForSymbol;

inline std::string parallelDispatchName(unsigned index) {
  return kParallelDispatchPrefix + std::to_string(index);
}
inline std::string parallelBodyName(unsigned index) {
  return kParallelBodyPrefix + std::to_string(index);
}
inline std::string parallelTrampolineName(unsigned index) {
  return kParallelTrampolinePrefix + std::to_string(index);
}

} // namespace onebit

#endif // ONEBIT_CONVERSION_PARALLELDISPATCH_H
