//===- QuantizeEmbeddings.cpp - int8 / int4 embedding tables --------------===//
//
// An LLM's embedding table is its biggest float tensor, and a tied LM head
// reads all of it for every token generated. This pass stores such tables
// as symmetric int8 or int4 with a scale per row (the math in lib/Quant):
// each element read of a gather becomes a read of the packed byte (and
// nibble), a conversion and a multiply by the row's scale, and each linear
// layer over the table an onebit.quantized_linear over the same packed
// constant, so that the table is stored once.
//
//===----------------------------------------------------------------------===//

#include "onebit/Transforms/QuantizeEmbeddings.h"
#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Dialect/PackedWeights.h"
#include "onebit/Quant/Error.h"
#include "onebit/Quant/RowScaled.h"
#include "onebit/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace onebit {
#define GEN_PASS_DEF_QUANTIZEEMBEDDINGS
#include "onebit/Passes.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

/// What reads a table: element reads (the gathers' bodies) and the layers
/// that take it as their weight.
struct TableReaders {
  SmallVector<tensor::ExtractOp> extracts;
  SmallVector<LinearOp> layers;
};

/// Whether `extract` is in the body of a gather over a model input: a
/// linalg.generic that reads a function argument (the token ids). Tables
/// gathered by computed indices (the rotary cos/sin caches, position
/// tables) are not token embeddings and keep their precision.
bool gathersByModelInput(tensor::ExtractOp extract) {
  auto gather = extract->getParentOfType<linalg::GenericOp>();
  if (!gather)
    return false;
  return llvm::any_of(gather.getDpsInputs(), [](Value input) {
    auto argument = dyn_cast<BlockArgument>(input);
    return argument &&
           isa<FunctionOpInterface>(argument.getOwner()->getParentOp());
  });
}

/// The readers of `table`, or nullopt if it is no embedding table: gathered
/// by no model input and read by no layer, or read by something other than
/// a gather or a layer's weight.
std::optional<TableReaders> readersOf(arith::ConstantOp table) {
  TableReaders readers;
  bool byModelInput = false;
  for (OpOperand &use : table->getUses()) {
    Operation *user = use.getOwner();
    if (auto extract = dyn_cast<tensor::ExtractOp>(user)) {
      readers.extracts.push_back(extract);
      byModelInput |= gathersByModelInput(extract);
      continue;
    }
    auto layer = dyn_cast<LinearOp>(user);
    if (layer && use.get() == layer.getWeight() &&
        use.get() != layer.getInput() &&
        layer.getInput().getType().getElementType().isF32()) {
      readers.layers.push_back(layer);
      continue;
    }
    return std::nullopt;
  }
  if (readers.extracts.empty() || (!byModelInput && readers.layers.empty()))
    return std::nullopt;
  return readers;
}

std::string tableName(arith::ConstantOp table, const TableReaders &readers) {
  for (LinearOp layer : readers.layers)
    if (layer.getLayerName())
      return layer.getLayerName()->str();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(table.getValue()))
    return resource.getRawHandle().getKey().str();
  return "embedding";
}

/// table[row, col] = scale[row] * q[row, col], q read from the packed bytes.
Value readElement(OpBuilder &b, Location loc, Value packed, Value scales,
                  Value row, Value col, int bits) {
  Value q = emitQuantizedValue(b, loc, packed, row, col, bits);
  Value value = arith::SIToFPOp::create(b, loc, b.getF32Type(), q);
  Value scale = tensor::ExtractOp::create(b, loc, scales, ValueRange{row});
  return arith::MulFOp::create(b, loc, scale, value);
}

/// Rewrites one table and its readers; the report of it, or nullopt where
/// it is left as it is.
std::optional<LayerQuantReport>
quantizeTable(arith::ConstantOp table, Operation *root,
              const EmbeddingQuantizationOptions &options) {
  auto type = dyn_cast<RankedTensorType>(table.getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape() ||
      !type.getElementType().isF32() ||
      type.getNumElements() < options.minElements)
    return std::nullopt;
  std::optional<TableReaders> readers = readersOf(table);
  if (!readers)
    return std::nullopt;
  SmallVector<float> storage;
  std::optional<ArrayRef<float>> values =
      getF32Values(cast<ElementsAttr>(table.getValue()), storage);
  if (!values)
    return std::nullopt;

  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  quant::MatrixView view{values->data(), rows, cols};
  quant::RowScaledWeights quantized =
      quant::quantizeRowsSymmetric(view, options.bits);
  std::vector<uint8_t> bytes = quant::packRowScaled(quantized);

  LayerQuantReport report;
  report.name = tableName(table, *readers);
  report.form = options.bits == 8 ? "int8" : "int4";
  report.rows = rows;
  report.cols = cols;
  report.floatBytes = rows * cols * sizeof(float);
  report.packedBytes = bytes.size() + rows * sizeof(float);
  if (options.measureErrors) {
    std::vector<float> approx = quant::dequantize(quantized);
    report.relativeError =
        quant::relativeFrobeniusError(view.data, approx.data(), approx.size());
  }

  MLIRContext *context = table.getContext();
  OpBuilder b(table);
  Location loc = table.getLoc();
  Value packed = arith::ConstantOp::create(
      b, loc,
      cast<TypedAttr>(createPackedAttr(
          context, {rows, quant::rowScaledBytesPerRow(cols, options.bits)},
          bytes, report.name + ".q" + std::to_string(options.bits))));
  Value scales = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({rows}, Float32Type::get(context)),
          ArrayRef<float>(quantized.scales)));

  for (tensor::ExtractOp extract : readers->extracts) {
    OpBuilder eb(extract);
    extract.replaceAllUsesWith(
        readElement(eb, extract.getLoc(), packed, scales,
                    extract.getIndices()[0], extract.getIndices()[1],
                    options.bits));
    extract.erase();
  }
  for (LinearOp layer : readers->layers) {
    OpBuilder lb(layer);
    Value replacement = QuantizedLinearOp::create(
        lb, layer.getLoc(), layer.getType(), layer.getInput(), packed, scales,
        layer.getBias(), options.bits, layer.getLayerNameAttr());
    layer.replaceAllUsesWith(replacement);
    layer.erase();
  }
  Attribute floatValues = table.getValue();
  table.erase();
  releaseDroppedBlobs(root, floatValues);
  return report;
}

struct QuantizeEmbeddingsPass
    : onebit::impl::QuantizeEmbeddingsBase<QuantizeEmbeddingsPass> {
  using QuantizeEmbeddingsBase::QuantizeEmbeddingsBase;

  void runOnOperation() override {
    if (bits != 8 && bits != 4) {
      getOperation()->emitError("onebit-quantize-embeddings: bits must be 8 "
                                "or 4, got ")
          << static_cast<int>(bits);
      return signalPassFailure();
    }
    EmbeddingQuantizationOptions options;
    options.bits = bits;
    options.minElements = minElements;
    options.measureErrors = printSummary;
    std::vector<LayerQuantReport> reports =
        quantizeEmbeddings(getOperation(), options);
    if (printSummary)
      printLayerReportTable(llvm::errs(), reports);
  }
};

} // namespace

std::vector<LayerQuantReport>
onebit::quantizeEmbeddings(Operation *root,
                           const EmbeddingQuantizationOptions &options) {
  SmallVector<arith::ConstantOp> tables;
  root->walk([&](arith::ConstantOp constant) { tables.push_back(constant); });
  std::vector<LayerQuantReport> reports;
  for (arith::ConstantOp table : tables)
    if (std::optional<LayerQuantReport> report = quantizeTable(table, root, options))
      reports.push_back(std::move(*report));
  return reports;
}

void onebit::mergeEmbeddingReports(std::vector<LayerQuantReport> &layers,
                                   ArrayRef<LayerQuantReport> tables) {
  for (const LayerQuantReport &table : tables) {
    auto covered = llvm::find_if(layers, [&](const LayerQuantReport &layer) {
      return layer.form == "float" && layer.name == table.name;
    });
    if (covered != layers.end())
      *covered = table;
    else
      layers.push_back(table);
  }
}
