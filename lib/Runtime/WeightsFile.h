//===- WeightsFile.h - Map the side file of a model's weights ---*- C++ -*-===//
//
// A model compiled with its weights in a side file (ModelABI.h) reads them
// through slots that are null until this maps the file. The compiled code
// defines the symbols; a model.so with its weights inside does not, and
// the weak references below are then null.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_WEIGHTSFILE_H
#define ONEBIT_LIB_RUNTIME_WEIGHTSFILE_H

#include <cstdint>
#include <string>

extern "C" {
__attribute__((weak, visibility("hidden"))) extern const uint64_t
    onebit_weights_table[];
__attribute__((weak, visibility("hidden"))) extern void
    *onebit_weights_slots[];
__attribute__((weak, visibility("hidden"))) extern const char
    onebit_weights_file[];
}

namespace onebit::runtime {

/// Maps the weights file and fills the slots, once (thread-safe); returns
/// why it could not (missing, truncated, of another build), or "" when it
/// could or the model needs no file. The mapping lasts until the model.so
/// is unloaded.
const std::string &weightsFileError();

} // namespace onebit::runtime

#endif // ONEBIT_LIB_RUNTIME_WEIGHTSFILE_H
