//===- TypeConstraints.cpp - Node input types against the ONNX schema -----===//
//
// The op importers build IR from their operands' types as they find them: an
// Add of f32 and i8, a Where on an f32 condition or a Not of i64 would become
// IR that does not verify. Rather than each importer repeating the ONNX
// type constraints, every node's input element types are checked against its
// libonnx schema before it is imported: inputs bound to one type parameter
// (the T of Add(A: T, B: T)) must agree, and each must be one the parameter
// allows; and an op must exist at the model's opset at all. The ONNX checker
// does not check types (only its full shape inference does), and it is
// skipped for opsets newer than libonnx knows.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "onnx/defs/data_type_utils.h"
#include "onnx/defs/schema.h"

#include "llvm/ADT/StringSet.h"

#include <map>

using namespace mlir;
using namespace onebit::importer;

namespace {

/// The ONNX name of one of the element types the importer maps ("int8").
std::string onnxNameOf(MLIRContext *context, Type elementType) {
  for (int32_t t = onnx::TensorProto::FLOAT; t <= onnx::TensorProto::BFLOAT16;
       ++t)
    if (elementTypeFor(context, t) == elementType)
      return onnxTypeName(t);
  return printed(elementType);
}

/// Whether `formal` (a schema input) admits tensors of `elementType`.
bool admits(MLIRContext *context, const onnx::OpSchema::FormalParameter &formal,
            Type elementType) {
  for (onnx::DataType allowed : formal.GetTypes()) {
    const onnx::TypeProto &proto =
        onnx::Utils::DataTypeUtils::ToTypeProto(allowed);
    if (proto.has_tensor_type() &&
        elementTypeFor(context, proto.tensor_type().elem_type()) == elementType)
      return true;
  }
  return false;
}

/// The ops whose importers handle unsigned integer (ui<N>) operands: those
/// that pick unsigned arithmetic, and those that only move elements. Any
/// other op given one is refused by name rather than built with signed
/// arithmetic (or IR that does not verify).
bool takesUnsignedIntegers(StringRef opType) {
  static const llvm::StringSet<> ops = {
      // Arithmetic and comparisons with unsigned bodies.
      "Add", "Sub", "Mul", "Div", "Mod", "Max", "Min", "Abs", "Clip", "Pow",
      "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Where",
      "Cast", "CastLike",
      // Data movement: the elements are copied, never computed on.
      "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose",
      "Concat", "Slice", "Gather", "Expand", "Shape", "Size"};
  return ops.contains(opType);
}

} // namespace

LogicalResult NodeContext::checkUnsignedInputs() {
  if (takesUnsignedIntegers(node.op_type()))
    return success();
  for (unsigned i = 0; i < numInputs(); ++i) {
    if (!hasInput(i))
      continue;
    Type elementType;
    if (Value v = graph.values.lookup(inputName(i)))
      elementType = cast<RankedTensorType>(v.getType()).getElementType();
    else if (onnx::TensorProto *tensor = graph.initializer(inputName(i)))
      elementType = elementTypeFor(context(), tensor->data_type());
    if (elementType && isUnsignedInteger(elementType))
      return fail("input '" + inputName(i) + "' has element type " +
                  onnxNameOf(context(), elementType) +
                  ": unsigned integers are not supported by the importer's " +
                  node.op_type() + " yet");
  }
  return success();
}

LogicalResult NodeContext::checkInputTypes() {
  std::string domain = canonicalDomain(node.domain()).str();
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(node.op_type(), opset, domain);
  // An op that only appears in a later opset (Where in an opset-8 model) has
  // no constraints to check here, and is not ONNX at this opset.
  if (!schema) {
    const onnx::OpSchema *latest =
        onnx::OpSchemaRegistry::Schema(node.op_type(), domain);
    if (!latest)
      return success();
    int64_t first = opset + 1;
    while (first < latest->since_version() &&
           !onnx::OpSchemaRegistry::Schema(node.op_type(), first, domain))
      ++first;
    return fail(node.op_type() + " does not exist in opset " +
                std::to_string(opset) + " (it was added in opset " +
                std::to_string(first) + ")");
  }
  if (schema->inputs().empty())
    return success();
  // For opsets newer than libonnx knows, the schema is an older version of
  // the op: same-type constraints still hold, and so do those that allow one
  // type (Not's bool, Where's bool condition), but longer lists of allowed
  // types may have grown since.
  const auto &ranges =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto range = ranges.find(domain);
  bool exactSchema = range != ranges.end() && opset <= range->second.second;

  // Type parameter -> (element type, input that bound it).
  std::map<std::string, std::pair<Type, unsigned>> bound;
  const auto &formals = schema->inputs();
  for (unsigned i = 0; i < numInputs(); ++i) {
    bool pastLast = i >= formals.size();
    const onnx::OpSchema::FormalParameter &formal =
        formals[pastLast ? formals.size() - 1 : i];
    if (pastLast &&
        formal.GetOption() != onnx::OpSchema::FormalParameterOption::Variadic)
      break; // Too many inputs: the op's importer reports what it expects.
    if (!hasInput(i))
      continue;
    // The type without materializing an initializer as a constant (a
    // weight the op stores transposed would be read twice).
    Type elementType;
    if (Value v = graph.values.lookup(inputName(i)))
      elementType = cast<RankedTensorType>(v.getType()).getElementType();
    else if (onnx::TensorProto *tensor = graph.initializer(inputName(i)))
      elementType = elementTypeFor(context(), tensor->data_type());
    if (!elementType)
      continue; // Unknown or unsupported: reported where it is read.

    if ((exactSchema || formal.GetTypes().size() == 1) &&
        !admits(context(), formal, elementType))
      return fail("input '" + inputName(i) + "' (" + formal.GetName() +
                  ") has element type " + onnxNameOf(context(), elementType) +
                  ", which " + node.op_type() + " does not accept");
    // A heterogeneous variadic input (Concat's are not; Loop's would be)
    // binds nothing.
    if (formal.GetOption() == onnx::OpSchema::FormalParameterOption::Variadic &&
        !formal.GetIsHomogeneous())
      continue;
    auto [it, inserted] =
        bound.try_emplace(formal.GetTypeStr(), elementType, i);
    if (!inserted && it->second.first != elementType)
      return fail("inputs '" + inputName(it->second.second) + "' and '" +
                  inputName(i) + "' must have the same element type (" +
                  formal.GetTypeStr() + "), got " +
                  onnxNameOf(context(), it->second.first) + " and " +
                  onnxNameOf(context(), elementType));
  }
  return success();
}
