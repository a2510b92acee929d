//===- ModelLoader.h - Parse and check ONNX protobufs -----------*- C++ -*-===//
//
// The only code that calls into libonnx's parser and checker, which report
// through C++ exceptions; it is compiled with exceptions on and turns them
// into error strings.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_IMPORT_MODELLOADER_H
#define ONEBIT_LIB_IMPORT_MODELLOADER_H

#include "onnx/onnx_pb.h"

#include <memory>
#include <string>
#include <string_view>

namespace onebit::importer {

/// Parses a binary ModelProto or ONNX textual syntax; null with `error` set
/// when the bytes are not a model.
std::unique_ptr<onnx::ModelProto> parseModel(std::string_view bytes,
                                             bool isText, std::string &error);

/// Runs onnx::checker::check_model when every opset and the IR version are
/// ones this libonnx knows; returns false with `error` set when the checker
/// rejects the model. `skippedReason` says why the checker did not run.
bool checkModel(const onnx::ModelProto &model, std::string &error,
                std::string &skippedReason);

} // namespace onebit::importer

#endif // ONEBIT_LIB_IMPORT_MODELLOADER_H
