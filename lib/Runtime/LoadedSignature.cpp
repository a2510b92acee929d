//===- LoadedSignature.cpp - This model's signature, parsed once ----------===//
#include "LoadedSignature.h"
#include "ModelSymbols.h"
#include "WeightsFile.h"

#include <mutex>

namespace onebit::runtime {

const LoadedSignature &loadedSignature() {
  // Parsed lazily rather than in a static initializer, so that loading a
  // model.so runs no code of ours and a malformed signature becomes an
  // error the caller sees instead of a crash at dlopen.
  static std::once_flag parsed;
  static LoadedSignature loaded;
  std::call_once(parsed, [] {
    std::string error;
    if (!parseSignature(onebit_model_signature, loaded.signature, error))
      loaded.error = "the model's signature is malformed: " + error;
    else
      // Weights in a side file are mapped with the signature, so that a
      // session reports a missing file when it is created.
      loaded.error = weightsFileError();
  });
  return loaded;
}

} // namespace onebit::runtime
