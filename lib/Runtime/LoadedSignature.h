//===- LoadedSignature.h - This model's signature, parsed once --*- C++ -*-===//
#ifndef ONEBIT_LIB_RUNTIME_LOADEDSIGNATURE_H
#define ONEBIT_LIB_RUNTIME_LOADEDSIGNATURE_H

#include "Signature.h"

#include <string>

namespace onebit::runtime {

struct LoadedSignature {
  /// Empty when the text is malformed.
  ModelSignature signature;
  /// Why the text is malformed; empty when it is not.
  std::string error;
};

/// The signature of the model this runtime is linked into, parsed on first
/// use (thread-safe) and never changed after.
const LoadedSignature &loadedSignature();

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_LOADEDSIGNATURE_H
