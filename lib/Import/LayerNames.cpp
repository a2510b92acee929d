//===- LayerNames.cpp - The names linear layers go by ---------------------===//
//
// Reports and `--ternarize=skip=<regex>` address layers by name, so the name
// should be the one the model's author knows. The exporters do not always
// keep it on the weight: TorchScript names a pre-transposed weight
// `onnx::MatMul_673`, and the dynamo exporter's optimizer folds the
// transpose into an initializer called `val_31`. Both record the module path
// elsewhere: TorchScript in the node name (`/model/layers.0/self_attn/
// q_proj/MatMul`), dynamo in the node's `pkg.torch.onnx.name_scopes`
// metadata (`['', 'blocks.0', 'blocks.0.q', 'linear']`). That metadata is
// NodeProto field 9 (ONNX IR 10), newer than Debian's libonnx 1.12, so it
// is read from the message's unknown fields.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "llvm/Support/Regex.h"

#include <google/protobuf/unknown_field_set.h>

using namespace mlir;

namespace {

/// Names exporters make up for tensors they created.
bool isGeneratedName(StringRef name) {
  static const llvm::Regex generated("^(onnx::.*|val_[0-9]+|_v_[0-9]+)$");
  return name.empty() || generated.match(name);
}

/// The value of metadata entry `key` of `node`, if present.
std::optional<std::string> nodeMetadata(const onnx::NodeProto &node,
                                        StringRef key) {
  constexpr int kMetadataPropsField = 9;
  const google::protobuf::UnknownFieldSet &unknown =
      node.GetReflection()->GetUnknownFields(node);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const google::protobuf::UnknownField &field = unknown.field(i);
    if (field.number() != kMetadataPropsField ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
      continue;
    onnx::StringStringEntryProto entry;
    if (entry.ParseFromString(field.length_delimited()) && entry.key() == key)
      return entry.value();
  }
  return std::nullopt;
}

/// The innermost module of dynamo's name scopes, a printed Python list whose
/// last element is the op itself: ['', 'blocks.0', 'blocks.0.q', 'linear']
/// -> blocks.0.q.
std::string moduleFromNameScopes(StringRef scopes) {
  SmallVector<StringRef> items;
  while (true) {
    size_t open = scopes.find('\'');
    if (open == StringRef::npos)
      break;
    size_t close = scopes.find('\'', open + 1);
    if (close == StringRef::npos)
      break;
    items.push_back(scopes.slice(open + 1, close));
    scopes = scopes.drop_front(close + 1);
  }
  return items.size() >= 2 ? items[items.size() - 2].str() : std::string();
}

/// TorchScript's node names are module paths: /model/layers.0/mlp/MatMul
/// -> model.layers.0.mlp.
std::string moduleFromNodeName(StringRef name) {
  if (!name.consume_front("/"))
    return {};
  size_t last = name.rfind('/');
  if (last == StringRef::npos)
    return {};
  std::string path = name.take_front(last).str();
  std::replace(path.begin(), path.end(), '/', '.');
  return path;
}

} // namespace

std::string onebit::importer::layerNameFor(const onnx::NodeProto &node,
                                           StringRef weightName) {
  if (!isGeneratedName(weightName))
    return weightName.str();
  std::string module;
  if (std::optional<std::string> scopes =
          nodeMetadata(node, "pkg.torch.onnx.name_scopes"))
    module = moduleFromNameScopes(*scopes);
  if (module.empty())
    module = moduleFromNodeName(node.name());
  return module.empty() ? weightName.str() : module;
}
