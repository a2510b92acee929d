//===- Importer.h - Internals shared by the ONNX op importers ---*- C++ -*-===//
//
// The graph importer walks the ONNX nodes in order and hands each to the one
// function registered for its (domain, op_type). Those functions see the node
// through NodeContext: operands as MLIR values, attributes with ONNX defaults,
// what is known at import time about small integer tensors (shape
// arithmetic), and diagnostics that name the node.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_IMPORT_IMPORTER_H
#define ONEBIT_LIB_IMPORT_IMPORTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <list>
#include <memory>
#include <optional>

namespace onebit::importer {

using namespace mlir;

/// What is known at import time about each element of a small integer tensor
/// (rank <= 1, at most kMaxKnownElements elements): shape tensors, axes,
/// indices. Shape subgraphs fold through this; unknown elements are computed
/// at run time.
using KnownInts = SmallVector<std::optional<int64_t>>;
constexpr int64_t kMaxKnownElements = 64;

/// Known elements of a small integer constant, for shape arithmetic.
std::optional<KnownInts> knownFromAttr(ElementsAttr attr);

class GraphImporter;
class NodeContext;

using ConvertFn = LogicalResult (*)(NodeContext &);

/// (domain, op_type) -> the function that imports it. Each function handles
/// every opset version of its op itself.
class OpRegistry {
public:
  void add(StringRef opType, ConvertFn fn, StringRef domain = "");
  ConvertFn lookup(StringRef opType, StringRef domain) const;
  std::vector<std::string> names() const;

private:
  llvm::StringMap<ConvertFn> ops;
};

void registerElementwiseOps(OpRegistry &registry);
void registerLinearOps(OpRegistry &registry);
void registerReductionOps(OpRegistry &registry);
void registerShapeOps(OpRegistry &registry);
void registerIndexingOps(OpRegistry &registry);
const OpRegistry &getOpRegistry();

/// Add(onebit.linear(x), c) with c a per-channel constant, where the add is
/// the layer's only user, becomes the layer's bias. True when it did.
bool foldBiasIntoLinear(NodeContext &ctx);

/// The name a linear layer goes by in reports and `skip=`: the weight
/// initializer's, unless the exporter made that up (`onnx::MatMul_12`,
/// `val_31`); then the module path the exporter recorded for the node.
std::string layerNameFor(const onnx::NodeProto &node, StringRef weightName);

/// The ONNX domain as the registry keys it ("ai.onnx" is the default "").
StringRef canonicalDomain(StringRef domain);

//===----------------------------------------------------------------------===//
// Tensors and weights
//===----------------------------------------------------------------------===//

/// The MLIR element type of an ONNX TensorProto::DataType, or null.
Type elementTypeFor(MLIRContext *context, int32_t onnxType);
/// Human-readable name of an ONNX data type ("float16").
std::string onnxTypeName(int32_t onnxType);

/// Reads initializers (typed fields, raw_data, external files) into elements
/// attributes. Big float tensors become dense_resource blobs that own or map
/// their bytes without copying them; external files are mapped once.
class WeightReader {
public:
  explicit WeightReader(std::string modelDir) : modelDir(std::move(modelDir)) {}

  /// The tensor's value; `transpose2d` stores a 2-d tensor transposed (the
  /// out x in layout onebit.linear wants). Emits an error at `loc` and returns
  /// null for a malformed tensor.
  ElementsAttr read(onnx::TensorProto &tensor, Location loc,
                    bool transpose2d = false, double scale = 1.0);
  /// The checks read() makes of the tensor's type, shape and number of
  /// values, without reading it (external files aside): a node's
  /// initializers are checked before the node is imported.
  LogicalResult check(const onnx::TensorProto &tensor, Location loc);

private:
  /// The bytes of an external tensor, mapped read-only; the returned owner
  /// keeps the mapping alive.
  FailureOr<std::pair<ArrayRef<char>, std::shared_ptr<void>>>
  readExternal(const onnx::TensorProto &tensor, size_t byteSize, Location loc);

  /// Tensors with more elements than this (except vectors) become
  /// dense_resource blobs.
  static constexpr int64_t kMaxInlineElements = 64;

  std::string modelDir;
  llvm::StringMap<std::shared_ptr<void>> mappedFiles;
  /// raw_data moved into a blob, for a second read of the same initializer.
  llvm::DenseMap<const onnx::TensorProto *, ArrayRef<char>> releasedRawData;
};

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

class GraphImporter {
public:
  GraphImporter(MLIRContext *context, onnx::ModelProto &model,
                StringRef modelPath,
                const llvm::StringMap<SmallVector<int64_t>> &inputShapes);

  /// Builds the function into `module`; false after reporting errors.
  LogicalResult importInto(ModuleOp module);

  /// The value of ONNX tensor `name` (materializing an initializer on first
  /// use), or null.
  Value lookup(StringRef name, Location loc);
  /// The initializer called `name`, if it is one.
  onnx::TensorProto *initializer(StringRef name);
  /// The name of the initializer a constant value came from ("" if none).
  StringRef initializerNameOf(Value value) const;

  KnownInts *known(Value value);
  void setKnown(Value value, KnownInts ints);
  /// Index values of the elements of a small run-time integer vector (a
  /// shape built from tensor.dim), so that consumers use them directly
  /// instead of extracting them again; null where not tracked.
  ArrayRef<Value> elements(Value value) const;
  void setElements(Value value, SmallVector<Value> elements);
  /// How many node inputs (plus graph outputs) read tensor `name`.
  int64_t useCount(StringRef name) const;

  MLIRContext *context;
  OpBuilder builder;
  WeightReader weights;
  int64_t defaultOpset = 0;

private:
  friend class NodeContext;
  LogicalResult checkSupported();
  LogicalResult declareInputs(SmallVectorImpl<Type> &types,
                              SmallVectorImpl<std::string> &names);

  onnx::ModelProto &model;
  std::string modelPath;
  const llvm::StringMap<SmallVector<int64_t>> &inputShapes;
  llvm::StringMap<int64_t> opsets;
  llvm::StringMap<Value> values;
  llvm::StringMap<onnx::TensorProto *> initializers;
  llvm::DenseMap<Value, std::string> initializerNames;
  llvm::DenseMap<Value, KnownInts> knownInts;
  llvm::DenseMap<Value, SmallVector<Value>> elementValues;
  llvm::StringMap<int64_t> uses;

public:
  /// Tensors of Constant nodes, kept at stable addresses because weight
  /// blobs may take over their raw_data.
  std::list<onnx::TensorProto> constantTensors;
  /// Weights already read for onebit.linear, keyed by initializer name,
  /// stored layout and scale.
  llvm::StringMap<Value> linearWeights;
};

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

class NodeContext {
public:
  NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
              int64_t opset, Location loc)
      : graph(graph), b(graph.builder), node(node), opset(opset), loc(loc) {}

  GraphImporter &graph;
  OpBuilder &b;
  const onnx::NodeProto &node;
  int64_t opset;
  Location loc;

  MLIRContext *context() const { return graph.context; }

  // --- Operands ------------------------------------------------------------
  unsigned numInputs() const { return node.input_size(); }
  bool hasInput(unsigned i) const {
    return i < (unsigned)node.input_size() && !node.input(i).empty();
  }
  StringRef inputName(unsigned i) const {
    return hasInput(i) ? StringRef(node.input(i)) : StringRef();
  }
  /// The operand, or null when the optional input is absent.
  Value input(unsigned i);
  /// The operand; reports an error (null result) when it is absent.
  Value requiredInput(unsigned i);
  RankedTensorType inputType(unsigned i) {
    Value v = input(i);
    return v ? cast<RankedTensorType>(v.getType()) : RankedTensorType();
  }

  /// Import-time knowledge about an integer operand of rank <= 1; a constant
  /// operand is fully known.
  const KnownInts *known(unsigned i);
  /// All elements of operand `i`, when all are known.
  std::optional<SmallVector<int64_t>> constantInts(unsigned i);
  /// Index values of all elements of operand `i` (rank <= 1, static size):
  /// known ones as constants, tracked ones as they are, others extracted.
  SmallVector<Value> elementIndices(unsigned i);
  /// The operand's elements attribute when it is an arith.constant.
  ElementsAttr constantAttr(unsigned i);

  // --- Attributes ----------------------------------------------------------
  const onnx::AttributeProto *attr(StringRef name) const;
  int64_t intAttr(StringRef name, int64_t dflt) const;
  float floatAttr(StringRef name, float dflt) const;
  std::string stringAttr(StringRef name, StringRef dflt) const;
  std::optional<SmallVector<int64_t>> intsAttr(StringRef name) const;

  // --- Results -------------------------------------------------------------
  unsigned numOutputs() const { return node.output_size(); }
  bool hasOutput(unsigned i) const {
    return i < (unsigned)node.output_size() && !node.output(i).empty();
  }
  StringRef outputName(unsigned i) const { return node.output(i); }
  void setOutput(unsigned i, Value value);
  /// Sets an integer result whose elements are (partly) known: a fully known
  /// one becomes an arith.constant, otherwise `runtime` is built.
  LogicalResult setKnownOutput(unsigned i, const KnownInts &ints,
                               ArrayRef<int64_t> shape, Type elementType,
                               llvm::function_ref<Value()> runtime);

  // --- Diagnostics ---------------------------------------------------------
  /// "<op_type> node '<name>' (domain '<d>', opset <n>): " prefixed error.
  InFlightDiagnostic emitError();
  LogicalResult fail(const Twine &message) {
    emitError() << message;
    return failure();
  }
  /// A name for the node in messages: its name, else its first output.
  std::string describe() const;
  /// Ends the run with "<Op> node '<name>': <what>" (then ": <value>" where
  /// an i64 `value` is given) unless `holds` (an i1) is true at run time
  /// (onebit.check).
  void checkAtRunTime(Value holds, const Twine &what, Value value = {});

  /// Normalizes an ONNX axis in [-rank, rank) to [0, rank); reports an
  /// out-of-range attribute.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                   StringRef what = "axis");

  /// Checks the inputs' element types against the op's ONNX type
  /// constraints (TypeConstraints.cpp); reports the first violation.
  LogicalResult checkInputTypes();
  /// Refuses unsigned integer inputs to an op whose importer has no
  /// unsigned arithmetic (TypeConstraints.cpp).
  LogicalResult checkUnsignedInputs();
};

//===----------------------------------------------------------------------===//
// Building blocks shared by the op families
//===----------------------------------------------------------------------===//

using BodyFn =
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange operands)>;

/// ONNX (numpy) broadcasting of static/dynamic shapes; an error names
/// `tensorName` when static sizes clash.
FailureOr<SmallVector<int64_t>> broadcastShapes(NodeContext &ctx,
                                                ArrayRef<Value> operands);

/// One linalg.generic over the broadcast shape of `operands`: each operand is
/// read through an indexing map that broadcasts it (missing leading dims are
/// dropped, static size-1 dims read index 0), all iterators parallel, and
/// `body` computes one element.
Value buildElementwise(NodeContext &ctx, ArrayRef<Value> operands,
                       Type resultElementType, BodyFn body);

/// tensor.empty of `shape`, its dynamic sizes taken from `dynamicSizes` (one
/// index value per dynamic dim, in order).
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType, ValueRange dynamicSizes);
/// A tensor of `shape` (dynamic sizes as for emptyTensor) whose every
/// element is what `element` returns, built at the element's position (read
/// with linalg.index): a linalg.generic with no inputs, all loops parallel.
Value generateTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                     Type elementType, ValueRange dynamicSizes,
                     llvm::function_ref<Value(OpBuilder &, Location)> element);
/// Size `dim` of `tensor` as an index value (a constant when static).
Value dimSize(OpBuilder &b, Location loc, Value tensor, int64_t dim);
/// Dynamic sizes of `tensor`, in order.
SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value tensor);

/// Unsigned ONNX tensors (uint8..uint64) carry `ui<N>` elements through the
/// import; arith works on signless integers only, so scalar code reads them
/// through these casts (unrealized_conversion_cast, dropped with the
/// signedness when the module is lowered) and picks the unsigned ops itself.
bool isUnsignedInteger(Type type);
/// `value` as a signless integer of its width (unchanged unless unsigned).
Value toSignless(OpBuilder &b, Location loc, Value value);
/// A signless `value` as `to` (unchanged unless `to` is unsigned).
Value fromSignless(OpBuilder &b, Location loc, Value value, Type to);

Value indexConstant(OpBuilder &b, Location loc, int64_t value);
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);
/// An i64 vector or scalar constant.
Value i64TensorConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> values,
                        bool scalar = false);
/// Converts a scalar between element types with ONNX Cast semantics.
Value castScalar(OpBuilder &b, Location loc, Value value, Type to);
/// Converts an integer scalar to/from index.
Value toIndex(OpBuilder &b, Location loc, Value value);
Value fromIndex(OpBuilder &b, Location loc, Value index, Type to);
/// Element `i` of a rank-0/1 integer tensor as an index value; the constant
/// when known.
Value extractIndex(NodeContext &ctx, unsigned operand, int64_t i);

/// linalg.fill of a new tensor.
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type elementType, ValueRange dynSizes, Value fill);

/// The neutral/initial scalar for reductions and the like.
Value identityValue(OpBuilder &b, Location loc, Type type, StringRef kind);

/// Collapses/expands to `shape` by tensor.reshape with a shape operand built
/// from `sizes` (index values, one per result dim).
Value reshapeTo(OpBuilder &b, Location loc, Value source,
                ArrayRef<int64_t> shape, ArrayRef<Value> sizes);

/// The elements of operand `operand`, axes known only at run time, each
/// wrapped into [0, rank) when negative (out-of-range ones then name no dim);
/// reports an operand that is not 1-d of static length.
FailureOr<SmallVector<Value>> runtimeAxisValues(NodeContext &ctx,
                                                unsigned operand,
                                                int64_t rank);
/// The static dims of a tensor of `sizes`: those that folded to constants;
/// the other sizes are appended to `dynamicSizes`.
SmallVector<int64_t> staticShapeOf(ArrayRef<Value> sizes,
                                   SmallVectorImpl<Value> &dynamicSizes);
/// Whether one of the run-time `axes` names dim `d` (an i1).
Value namesDim(OpBuilder &b, Location loc, ArrayRef<Value> axes, int64_t d);
/// The `sizes` whose `dropped` flag (i1) is false, in order, as
/// `resultRank` index values: how Squeeze and keepdims=0 reductions with
/// run-time axes compact their shapes.
SmallVector<Value> keptSizes(OpBuilder &b, Location loc, ArrayRef<Value> sizes,
                             ArrayRef<Value> dropped, int64_t resultRank);

/// The printed form of an MLIR type or attribute, for messages.
template <typename T> std::string printed(T value) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << value;
  return text;
}

} // namespace onebit::importer

#endif // ONEBIT_LIB_IMPORT_IMPORTER_H
