//===- ModelLoader.cpp - Parse and check ONNX protobufs -------------------===//

#include "ModelLoader.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"
#include "onnx/defs/schema.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>
#include <exception>

namespace onebit::importer {

std::unique_ptr<onnx::ModelProto> parseModel(std::string_view bytes,
                                             bool isText, std::string &error) {
  auto model = std::make_unique<onnx::ModelProto>();
  try {
    if (isText) {
      // The parser wants a NUL-terminated string.
      std::string text(bytes);
      onnx::Common::Status status =
          onnx::OnnxParser::Parse(*model, text.c_str());
      if (!status.IsOK()) {
        error = "cannot parse ONNX textual syntax: " + status.ErrorMessage();
        return nullptr;
      }
      return model;
    }
    if (bytes.size() > static_cast<size_t>(INT_MAX)) {
      error = "model protobuf is over 2 GB; store the weights as external "
              "data (onnx.save(..., save_as_external_data=True))";
      return nullptr;
    }
    google::protobuf::io::ArrayInputStream stream(
        bytes.data(), static_cast<int>(bytes.size()));
    google::protobuf::io::CodedInputStream coded(&stream);
    coded.SetTotalBytesLimit(INT_MAX);
    if (!model->ParseFromCodedStream(&coded) ||
        !coded.ConsumedEntireMessage()) {
      error = "malformed ONNX protobuf (not a ModelProto)";
      return nullptr;
    }
    if (!model->has_graph()) {
      error = "ONNX model has no graph";
      return nullptr;
    }
    return model;
  } catch (const std::exception &e) {
    error = std::string("cannot read ONNX model: ") + e.what();
    return nullptr;
  }
}

bool checkModel(const onnx::ModelProto &model, std::string &error,
                std::string &skippedReason) {
  const auto &ranges =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
    std::string domain = opset.domain().empty() ? onnx::ONNX_DOMAIN
                                                : opset.domain();
    if (domain == "ai.onnx")
      domain = onnx::ONNX_DOMAIN;
    auto it = ranges.find(domain);
    if (it == ranges.end()) {
      skippedReason = "opset domain '" + domain + "' unknown to libonnx";
      return true;
    }
    if (opset.version() > it->second.second) {
      skippedReason = "opset " + std::to_string(opset.version()) +
                      " is newer than libonnx's " +
                      std::to_string(it->second.second);
      return true;
    }
  }
  if (model.ir_version() > onnx::IR_VERSION) {
    skippedReason = "IR version " + std::to_string(model.ir_version()) +
                    " is newer than libonnx's";
    return true;
  }
  // check_model(ModelProto) resolves external data against the working
  // directory rather than the model's; the importer checks those files
  // itself (location, offset, length).
  for (const onnx::TensorProto &tensor : model.graph().initializer())
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
      skippedReason = "the model has external data";
      return true;
    }
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  }
  return true;
}

} // namespace onebit::importer
