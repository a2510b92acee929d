//===- GraphImporter.cpp - ONNX graph to one func.func --------------------===//
//
// Walks the graph once to list every node it cannot import (all of them, not
// only the first), then declares the function, and imports the nodes in
// their (topological) order, each through its registered function.
// Initializers are materialized lazily, at first use, so that a weight that
// only feeds onebit.linear is read once, directly into the layout the layer
// wants.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "ModelLoader.h"
#include "onebit/Dialect/OnebitDialect.h"
#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Import/OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cctype>

using namespace mlir;
using namespace onebit;
using namespace onebit::importer;

// Oldest and newest default-domain opsets whose op versions the importer
// knows. The target is 13 to 21 (what the PyTorch exporters write); older
// models import too where every op's version is handled (each importer
// checks its own version differences).
static constexpr int64_t kMinOpset = 7;
static constexpr int64_t kMaxOpset = 21;

//===----------------------------------------------------------------------===//
// OpRegistry
//===----------------------------------------------------------------------===//

StringRef onebit::importer::canonicalDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef("") : domain;
}

static std::string registryKey(StringRef domain, StringRef opType) {
  return (canonicalDomain(domain) + "::" + opType).str();
}

void OpRegistry::add(StringRef opType, ConvertFn fn, StringRef domain) {
  ops[registryKey(domain, opType)] = fn;
}

ConvertFn OpRegistry::lookup(StringRef opType, StringRef domain) const {
  auto it = ops.find(registryKey(domain, opType));
  return it == ops.end() ? nullptr : it->second;
}

std::vector<std::string> OpRegistry::names() const {
  std::vector<std::string> result;
  for (const auto &entry : ops)
    result.push_back(entry.getKey().str());
  llvm::sort(result);
  return result;
}

const OpRegistry &onebit::importer::getOpRegistry() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseOps(r);
    registerLinearOps(r);
    registerReductionOps(r);
    registerShapeOps(r);
    registerIndexingOps(r);
    return r;
  }();
  return registry;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

std::string NodeContext::describe() const {
  if (!node.name().empty())
    return node.name();
  if (node.output_size() > 0)
    return "<output " + node.output(0) + ">";
  return "<unnamed>";
}

InFlightDiagnostic NodeContext::emitError() {
  InFlightDiagnostic diag = mlir::emitError(loc);
  diag << node.op_type() << " node '" << describe() << "' (domain '"
       << (node.domain().empty() ? "ai.onnx" : node.domain()) << "', opset "
       << opset << "): ";
  return diag;
}

void NodeContext::checkAtRunTime(Value holds, const Twine &what,
                                 Value value) {
  onebit::CheckOp::create(
      b, loc, holds,
      b.getStringAttr(node.op_type() + " node '" + describe() + "': " + what),
      value);
}

Value NodeContext::input(unsigned i) {
  if (!hasInput(i))
    return {};
  return graph.lookup(node.input(i), loc);
}

Value NodeContext::requiredInput(unsigned i) {
  if (!hasInput(i)) {
    emitError() << "missing required input #" << i;
    return {};
  }
  return input(i);
}

const KnownInts *NodeContext::known(unsigned i) {
  Value v = input(i);
  return v ? graph.known(v) : nullptr;
}

std::optional<SmallVector<int64_t>> NodeContext::constantInts(unsigned i) {
  const KnownInts *ints = known(i);
  if (!ints)
    return std::nullopt;
  SmallVector<int64_t> result;
  for (std::optional<int64_t> v : *ints) {
    if (!v)
      return std::nullopt;
    result.push_back(*v);
  }
  return result;
}

ElementsAttr NodeContext::constantAttr(unsigned i) {
  Value v = input(i);
  if (!v)
    return {};
  if (auto constant = v.getDefiningOp<arith::ConstantOp>())
    return dyn_cast<ElementsAttr>(constant.getValue());
  return {};
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::intAttr(StringRef name, int64_t dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : dflt;
}

float NodeContext::floatAttr(StringRef name, float dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeContext::stringAttr(StringRef name, StringRef dflt) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : dflt.str();
}

std::optional<SmallVector<int64_t>>
NodeContext::intsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

void NodeContext::setOutput(unsigned i, Value value) {
  if (hasOutput(i))
    graph.values[node.output(i)] = value;
}

LogicalResult NodeContext::setKnownOutput(unsigned i, const KnownInts &ints,
                                          ArrayRef<int64_t> shape,
                                          Type elementType,
                                          llvm::function_ref<Value()> runtime) {
  bool allKnown = llvm::all_of(ints, [](auto v) { return v.has_value(); });
  Value result;
  if (allKnown) {
    auto type = RankedTensorType::get(shape, elementType);
    SmallVector<APInt> elements;
    unsigned width = elementType.getIntOrFloatBitWidth();
    for (std::optional<int64_t> v : ints)
      elements.push_back(APInt(width, *v, /*isSigned=*/true,
                               /*implicitTrunc=*/true));
    result = arith::ConstantOp::create(b, loc,
                                       DenseElementsAttr::get(type, elements));
  } else {
    result = runtime();
    if (!result)
      return failure();
  }
  graph.setKnown(result, ints);
  setOutput(i, result);
  return success();
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank,
                                              StringRef what) {
  if (axis < -rank || axis >= rank ||
      (rank == 0 && axis != 0 && axis != -1)) {
    emitError() << what << " " << axis << " is out of range for rank "
                << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(
    MLIRContext *context, onnx::ModelProto &model, StringRef modelPath,
    const llvm::StringMap<SmallVector<int64_t>> &inputShapes)
    : context(context), builder(context),
      weights(llvm::sys::path::parent_path(modelPath).str()), model(model),
      modelPath(modelPath.str()), inputShapes(inputShapes) {
  for (const onnx::OperatorSetIdProto &opset : model.opset_import())
    opsets[canonicalDomain(opset.domain())] = opset.version();
  defaultOpset = opsets.lookup("");
  for (onnx::TensorProto &tensor : *model.mutable_graph()->mutable_initializer())
    initializers[tensor.name()] = &tensor;
  for (const onnx::NodeProto &node : model.graph().node())
    for (const std::string &name : node.input())
      if (!name.empty())
        ++uses[name];
  for (const onnx::ValueInfoProto &output : model.graph().output())
    ++uses[output.name()];
}

onnx::TensorProto *GraphImporter::initializer(StringRef name) {
  return initializers.lookup(name);
}

StringRef GraphImporter::initializerNameOf(Value value) const {
  auto it = initializerNames.find(value);
  return it == initializerNames.end() ? StringRef() : StringRef(it->second);
}

KnownInts *GraphImporter::known(Value value) {
  auto it = knownInts.find(value);
  return it == knownInts.end() ? nullptr : &it->second;
}

void GraphImporter::setKnown(Value value, KnownInts ints) {
  knownInts[value] = std::move(ints);
}

ArrayRef<Value> GraphImporter::elements(Value value) const {
  auto it = elementValues.find(value);
  return it == elementValues.end() ? ArrayRef<Value>() : it->second;
}

void GraphImporter::setElements(Value value, SmallVector<Value> elements) {
  elementValues[value] = std::move(elements);
}

SmallVector<Value> NodeContext::elementIndices(unsigned i) {
  SmallVector<Value> result;
  auto type = inputType(i);
  int64_t n = type.getRank() == 0 ? 1 : type.getDimSize(0);
  for (int64_t e = 0; e < n; ++e)
    result.push_back(extractIndex(*this, i, e));
  return result;
}

int64_t GraphImporter::useCount(StringRef name) const {
  return uses.lookup(name);
}

std::optional<KnownInts> onebit::importer::knownFromAttr(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.getElementType().isSignlessInteger() || type.getRank() > 1 ||
      type.getNumElements() > kMaxKnownElements)
    return std::nullopt;
  auto dense = dyn_cast<DenseIntElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  KnownInts ints;
  bool isBool = type.getElementType().isInteger(1);
  for (const APInt &v : dense.getValues<APInt>())
    ints.push_back(isBool ? (int64_t)v.getBoolValue() : v.getSExtValue());
  return ints;
}

Value GraphImporter::lookup(StringRef name, Location loc) {
  if (Value v = values.lookup(name))
    return v;
  onnx::TensorProto *tensor = initializers.lookup(name);
  if (!tensor)
    return {};
  ElementsAttr attr = weights.read(*tensor, loc);
  if (!attr)
    return {};
  // Constants go to the top of the function so that every later node, in
  // whatever block position, can use them.
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(builder.getInsertionBlock());
  Value v = arith::ConstantOp::create(builder, NameLoc::get(
                                                   builder.getStringAttr(name)),
                                      cast<TypedAttr>(attr));
  values[name] = v;
  initializerNames[v] = name.str();
  if (std::optional<KnownInts> ints = knownFromAttr(attr))
    knownInts[v] = std::move(*ints);
  return v;
}

LogicalResult GraphImporter::checkSupported() {
  bool ok = true;
  auto it = opsets.find("");
  if (it == opsets.end()) {
    // Still list the nodes below: they say what the model needs.
    emitError(UnknownLoc::get(context))
        << "model imports no default-domain (ai.onnx) opset";
    ok = false;
  } else if (defaultOpset < kMinOpset || defaultOpset > kMaxOpset) {
    emitError(UnknownLoc::get(context))
        << "ai.onnx opset " << defaultOpset << " is not supported (supported: "
        << kMinOpset << " to " << kMaxOpset << ")";
    ok = false;
  }
  const OpRegistry &registry = getOpRegistry();
  for (const onnx::NodeProto &node : model.graph().node()) {
    StringRef domain = canonicalDomain(node.domain());
    auto opset = opsets.find(domain);
    std::string where = "node '" +
                        (node.name().empty() && node.output_size()
                             ? "<output " + node.output(0) + ">"
                             : node.name()) +
                        "'";
    if (opset == opsets.end()) {
      emitError(NameLoc::get(builder.getStringAttr(node.name())))
          << "unsupported op " << node.op_type() << " (domain '"
          << node.domain() << "', not imported by the model) in " << where;
      ok = false;
      continue;
    }
    if (!registry.lookup(node.op_type(), domain)) {
      emitError(NameLoc::get(builder.getStringAttr(node.name())))
          << "unsupported op " << node.op_type() << " (domain '"
          << (domain.empty() ? StringRef("ai.onnx") : domain) << "', opset "
          << opset->second << ") in " << where;
      ok = false;
    }
  }
  return success(ok);
}

LogicalResult
GraphImporter::declareInputs(SmallVectorImpl<Type> &types,
                             SmallVectorImpl<std::string> &names) {
  llvm::StringSet<> graphInputs;
  for (const onnx::ValueInfoProto &input : model.graph().input()) {
    // Old exporters list initializers among the inputs too; they are
    // constants, not arguments.
    if (initializers.count(input.name()))
      continue;
    graphInputs.insert(input.name());
    if (!input.type().has_tensor_type()) {
      emitError(UnknownLoc::get(context))
          << "graph input '" << input.name() << "' is not a tensor";
      return failure();
    }
    const onnx::TypeProto::Tensor &tensorType = input.type().tensor_type();
    Type elementType = elementTypeFor(context, tensorType.elem_type());
    if (!elementType) {
      emitError(UnknownLoc::get(context))
          << "graph input '" << input.name() << "' has unsupported element type "
          << onnxTypeName(tensorType.elem_type());
      return failure();
    }
    if (!tensorType.has_shape()) {
      emitError(UnknownLoc::get(context))
          << "graph input '" << input.name()
          << "' has an unknown rank; give its shape with --input-shape";
      if (!inputShapes.count(input.name()))
        return failure();
    }
    SmallVector<int64_t> shape;
    for (const auto &dim : tensorType.shape().dim())
      shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                          : ShapedType::kDynamic);
    auto spec = inputShapes.find(input.name());
    if (spec != inputShapes.end()) {
      ArrayRef<int64_t> given = spec->second;
      if (tensorType.has_shape() && given.size() != shape.size()) {
        emitError(UnknownLoc::get(context))
            << "--input-shape for '" << input.name() << "' has rank "
            << given.size() << " but the model declares rank " << shape.size();
        return failure();
      }
      for (size_t i = 0; i < given.size() && i < shape.size(); ++i)
        if (!ShapedType::isDynamic(shape[i]) && shape[i] != given[i]) {
          emitError(UnknownLoc::get(context))
              << "--input-shape for '" << input.name() << "': dim " << i
              << " is " << given[i] << " but the model fixes it to "
              << shape[i];
          return failure();
        }
      shape.assign(given.begin(), given.end());
    }
    for (int64_t d : shape)
      if (!ShapedType::isDynamic(d) && d < 0) {
        emitError(UnknownLoc::get(context))
            << "graph input '" << input.name() << "' has negative dim " << d;
        return failure();
      }
    types.push_back(RankedTensorType::get(shape, elementType));
    names.push_back(input.name());
  }
  for (const auto &entry : inputShapes)
    if (!graphInputs.count(entry.getKey())) {
      emitError(UnknownLoc::get(context))
          << "--input-shape names '" << entry.getKey()
          << "', which is not a graph input";
      return failure();
    }
  return success();
}

/// A symbol name for the function: the graph name with anything but
/// identifier characters replaced, or "main".
static std::string functionName(const onnx::GraphProto &graph) {
  (void)graph;
  // Downstream passes and the runtime look for @main; the graph name is kept
  // as an attribute instead.
  return "main";
}

LogicalResult GraphImporter::importInto(ModuleOp module) {
  if (failed(checkSupported()))
    return failure();

  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  if (failed(declareInputs(inputTypes, inputNames)))
    return failure();

  const onnx::GraphProto &graph = model.graph();
  Location funcLoc = NameLoc::get(builder.getStringAttr(
      graph.name().empty() ? std::string("main") : graph.name()));
  builder.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(builder, funcLoc, functionName(graph),
                                   builder.getFunctionType(inputTypes, {}));
  if (!graph.name().empty())
    func->setAttr("onnx.graph_name", builder.getStringAttr(graph.name()));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(inputNames)) {
    values[name] = entry->getArgument(i);
    func.setArgAttr(i, "onnx.name", builder.getStringAttr(name));
  }
  builder.setInsertionPointToEnd(entry);

  const OpRegistry &registry = getOpRegistry();
  for (const onnx::NodeProto &node : graph.node()) {
    StringRef domain = canonicalDomain(node.domain());
    std::string locName =
        node.name().empty() && node.output_size() ? node.output(0)
                                                  : node.name();
    Location loc = NameLoc::get(builder.getStringAttr(locName));
    NodeContext ctx(*this, node, opsets.lookup(domain), loc);
    for (int i = 0; i < node.input_size(); ++i)
      if (!node.input(i).empty() && !values.count(node.input(i)) &&
          !initializers.count(node.input(i)))
        return ctx.fail("input '" + node.input(i) +
                        "' is not a graph input, an initializer or the output "
                        "of an earlier node");
    // Every op imported has a result; the converters name and set output 0.
    if (node.output_size() == 0)
      return ctx.fail("has no outputs");
    // Check the initializers a node takes before importing it, so that a
    // malformed one is reported here instead of being a null operand inside
    // a converter (which read them lazily, weights only once).
    for (int i = 0; i < node.input_size(); ++i) {
      onnx::TensorProto *tensor =
          values.count(node.input(i)) ? nullptr : initializer(node.input(i));
      if (tensor && failed(weights.check(*tensor, loc)))
        return failure();
    }
    if (failed(ctx.checkInputTypes()) || failed(ctx.checkUnsignedInputs()))
      return failure();
    if (failed(registry.lookup(node.op_type(), domain)(ctx)))
      return failure();
    for (int i = 0; i < node.output_size(); ++i)
      if (!node.output(i).empty() && !values.count(node.output(i)))
        return ctx.fail("produced no value for output '" + node.output(i) +
                        "'");
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Value v = lookup(output.name(), funcLoc);
    if (!v) {
      emitError(funcLoc) << "graph output '" << output.name()
                         << "' is not produced by any node";
      return failure();
    }
    if (output.type().has_tensor_type() &&
        output.type().tensor_type().elem_type() != 0) {
      Type declared =
          elementTypeFor(context, output.type().tensor_type().elem_type());
      Type actual = cast<RankedTensorType>(v.getType()).getElementType();
      if (declared && declared != actual) {
        emitError(funcLoc) << "graph output '" << output.name()
                           << "' is declared " << declared
                           << " but computes " << actual;
        return failure();
      }
    }
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  func::ReturnOp::create(builder, funcLoc, results);
  func.setFunctionType(builder.getFunctionType(inputTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "onnx.name", builder.getStringAttr(output.name()));

  // Import leaves behind what a later node made redundant (a transposed
  // weight folded into onebit.linear, shape values that folded to
  // constants); drop it so the module holds each weight once.
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<Operation *> dead;
    for (Operation &op : llvm::reverse(*entry))
      if (op.use_empty() && !op.hasTrait<OpTrait::IsTerminator>() &&
          isMemoryEffectFree(&op))
        dead.push_back(&op);
    for (Operation *op : dead) {
      op->erase();
      changed = true;
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

bool onebit::parseInputShapeSpec(StringRef spec, OnnxImportOptions &options,
                                 std::string &error) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty() || !spec.contains('=')) {
    error = "expected NAME=D0xD1x..., got '" + spec.str() + "'";
    return false;
  }
  SmallVector<int64_t> shape;
  SmallVector<StringRef> parts;
  // A scalar input is given as NAME= with nothing after it... but we require
  // at least one dim above; "scalar" spells rank 0.
  if (dims != "scalar")
    dims.split(parts, 'x');
  for (StringRef part : parts) {
    int64_t d;
    if (part.getAsInteger(10, d) || d < 0) {
      error = "bad dimension '" + part.str() + "' in --input-shape '" +
              spec.str() + "'";
      return false;
    }
    shape.push_back(d);
  }
  options.inputShapes[name] = shape;
  return true;
}

void onebit::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, scf::SCFDialect, tensor::TensorDialect,
                  onebit::OnebitDialect>();
}

OwningOpRef<ModuleOp> onebit::importOnnxModel(StringRef bytes, bool isText,
                                              StringRef modelPath,
                                              MLIRContext *context,
                                              const OnnxImportOptions &options) {
  DialectRegistry registry;
  registerOnnxImportDialects(registry);
  context->appendDialectRegistry(registry);
  context->loadAllAvailableDialects();

  Location fileLoc = FileLineColLoc::get(context, modelPath, 0, 0);
  std::string error;
  std::unique_ptr<onnx::ModelProto> model =
      parseModel(std::string_view(bytes.data(), bytes.size()), isText, error);
  if (!model) {
    emitError(fileLoc) << error;
    return nullptr;
  }
  if (options.runChecker) {
    std::string skipped;
    if (!checkModel(*model, error, skipped)) {
      // The checker's messages span lines (they print the node); keep the
      // diagnostic on one.
      std::string oneLine;
      for (char c : error)
        if (!(std::isspace((unsigned char)c) && !oneLine.empty() &&
              oneLine.back() == ' '))
          oneLine += std::isspace((unsigned char)c) ? ' ' : c;
      emitError(fileLoc) << "ONNX checker rejected the model: "
                         << StringRef(oneLine).trim();
      return nullptr;
    }
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  GraphImporter importer(context, *model, modelPath, options.inputShapes);
  if (failed(importer.importInto(*module)))
    return nullptr;
  if (failed(verify(*module))) {
    emitError(fileLoc) << "internal error: the imported module does not verify";
    return nullptr;
  }
  if (options.simplify) {
    PassManager pm(context);
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    // CSE merges repeated tensor.dim ops, after which selects between equal
    // sizes fold.
    pm.addPass(createCanonicalizerPass());
    if (failed(pm.run(*module)))
      return nullptr;
  }
  return module;
}

OwningOpRef<ModuleOp> onebit::importOnnxFile(StringRef path,
                                             MLIRContext *context,
                                             const OnnxImportOptions &options) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(UnknownLoc::get(context))
        << "cannot read '" << path << "': " << buffer.getError().message();
    return nullptr;
  }
  bool isText = path.ends_with(".onnxtxt");
  return importOnnxModel((*buffer)->getBuffer(), isText, path, context,
                         options);
}
