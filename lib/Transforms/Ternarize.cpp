//===- Ternarize.cpp - Quantize linear layers into low-bit form -----------===//
//
// Rewrites onebit.linear layers with constant weights into ternary_linear
// (BitNet b1.58 absmean) or sign_linear (OneBit SVID). The math lives in the
// MLIR-free quantization library; this file only reads weights out of the IR,
// picks the form, and writes packed dense_resource blobs back.
//
//===----------------------------------------------------------------------===//

#include "onebit/Transforms/Ternarize.h"
#include "onebit/Dialect/OnebitOps.h"
#include "onebit/Dialect/PackedWeights.h"
#include "onebit/Quant/Absmean.h"
#include "onebit/Quant/Error.h"
#include "onebit/Quant/ExactDetection.h"
#include "onebit/Quant/Packing.h"
#include "onebit/Quant/Svid.h"
#include "onebit/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Regex.h"

namespace onebit {
#define GEN_PASS_DEF_TERNARIZE
#include "onebit/Passes.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;

namespace {

/// The f32 values of a constant 2-d weight, row-major and in place, or
/// nullopt if the weight is not an f32 constant whose data is at hand.
std::optional<ArrayRef<float>>
readConstantWeights(Value weight, SmallVectorImpl<float> &storage) {
  ElementsAttr attr;
  if (!matchPattern(weight, m_Constant(&attr)))
    return std::nullopt;
  return getF32Values(attr, storage);
}

std::string layerNameOf(LinearOp layer) {
  return layer.getLayerName() ? layer.getLayerName()->str() : "";
}

/// The packed blob's name: the layer's (createPackedAttr makes it bare).
std::string blobNameFor(LinearOp layer) {
  return layer.getLayerName() ? layerNameOf(layer) : "weight";
}

DenseElementsAttr f32Vector(MLIRContext *context, ArrayRef<float> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    Float32Type::get(context));
  return DenseElementsAttr::get(type, values);
}

bool allOnes(ArrayRef<float> values) {
  return llvm::all_of(values, [](float v) { return v == 1.0f; });
}

/// Rewrites one layer at a time and keeps the report of each.
class LayerQuantizer {
public:
  LayerQuantizer(const LayerQuantizationOptions &options, const llvm::Regex *skip)
      : options(options), skip(skip) {}

  void rewrite(LinearOp layer) {
    RankedTensorType weightType = layer.getWeight().getType();
    LayerQuantReport report;
    report.name = layerNameOf(layer);
    report.form = "float";
    report.rows = weightType.getDimSize(0);
    report.cols = weightType.getDimSize(1);
    if (weightType.hasStaticShape()) {
      report.floatBytes =
          weightType.getNumElements() *
          (weightType.getElementType().getIntOrFloatBitWidth() / 8);
      report.packedBytes = report.floatBytes;
    }
    reports.push_back(report);

    if (isSkipped(layer) || !weightType.hasStaticShape() ||
        weightType.getNumElements() < options.minElements ||
        !layer.getInput().getType().getElementType().isF32())
      return;
    SmallVector<float> storage;
    std::optional<ArrayRef<float>> weights =
        readConstantWeights(layer.getWeight(), storage);
    if (!weights)
      return;
    quant::MatrixView view{weights->data(), report.rows, report.cols};

    OpBuilder builder(layer);
    refineInputFeatures(builder, layer);
    Value replacement = quantizeLossless(builder, layer, view);
    if (!replacement && options.exactOnly)
      return;
    if (replacement) {
      reports.back().lossless = true;
    } else if (options.method == QuantMethod::Absmean) {
      replacement =
          createTernary(builder, layer, view,
                        quant::absmeanTernarize(view, options.granularity));
    } else {
      quant::SvidOptions svid;
      svid.solver = options.svidSolver;
      replacement =
          createSign(builder, layer, view, quant::svidDecompose(view, svid));
    }

    Value oldWeight = layer.getWeight();
    layer.getResult().replaceAllUsesWith(replacement);
    layer.erase();
    // The float weight is usually the biggest thing in the module: drop it
    // as soon as nothing reads it.
    if (auto def = oldWeight.getDefiningOp<arith::ConstantOp>())
      if (def->use_empty()) {
        dropped.push_back(def.getValue());
        def->erase();
      }
  }

  std::vector<LayerQuantReport> takeReports() { return std::move(reports); }

  /// The values of the weight constants erased so far.
  ArrayRef<Attribute> droppedWeights() const { return dropped; }

private:
  /// The packed layers need the input's feature count statically; a linear
  /// layer's input has as many features as its weight has columns, so an
  /// input whose last dim is dynamic (an exporter's reshape the importer
  /// could not resolve) is cast to that size.
  void refineInputFeatures(OpBuilder &builder, LinearOp layer) {
    RankedTensorType inputType = layer.getInput().getType();
    if (!ShapedType::isDynamic(inputType.getShape().back()))
      return;
    SmallVector<int64_t> shape(inputType.getShape());
    shape.back() = layer.getWeight().getType().getDimSize(1);
    Value refined = tensor::CastOp::create(
        builder, layer.getLoc(), inputType.clone(shape), layer.getInput());
    layer.getInputMutable().assign(refined);
  }

  bool isSkipped(LinearOp layer) {
    return skip && layer.getLayerName() && skip->match(*layer.getLayerName());
  }

  /// Binary weights become sign_linear and ternary ones ternary_linear, with
  /// the exact magnitudes as scales; null if the weights are neither.
  Value quantizeLossless(OpBuilder &builder, LinearOp layer,
                         quant::MatrixView view) {
    if (std::optional<quant::SignWeights> binary =
            quant::detectExactBinary(view))
      return createSign(builder, layer, view, *binary);
    for (quant::Granularity g :
         {quant::Granularity::PerTensor, quant::Granularity::PerChannel})
      if (std::optional<quant::TernaryWeights> ternary =
              quant::detectExactTernary(view, g))
        return createTernary(builder, layer, view, *ternary);
    return nullptr;
  }

  Value createTernary(OpBuilder &builder, LinearOp layer,
                      quant::MatrixView original,
                      const quant::TernaryWeights &ternary) {
    MLIRContext *context = builder.getContext();
    std::vector<uint8_t> packed = quant::packTernaryBitplanes(
        ternary.trits.data(), ternary.rows, ternary.cols);
    ElementsAttr packedAttr = createPackedAttr(
        context, {ternary.rows, 2, quant::bitPlaneBytes(ternary.cols)},
        packed, blobNameFor(layer));
    record(original, "ternary",
           packed.size() + ternary.scales.size() * sizeof(float),
           [&] { return quant::dequantize(ternary); });
    return TernaryLinearOp::create(
        builder, layer.getLoc(), layer.getResult().getType(),
        layer.getInput(), layer.getBias(), packedAttr,
        f32Vector(context, ternary.scales),
        options.int8Activations ? builder.getUnitAttr() : nullptr,
        layer.getLayerNameAttr());
  }

  Value createSign(OpBuilder &builder, LinearOp layer,
                   quant::MatrixView original, const quant::SignWeights &sign) {
    MLIRContext *context = builder.getContext();
    std::vector<uint8_t> packed =
        quant::packSignBits(sign.positive.data(), sign.rows, sign.cols);
    ElementsAttr packedAttr =
        createPackedAttr(context, {sign.rows, quant::bitPlaneBytes(sign.cols)},
                         packed, blobNameFor(layer));
    // An all-ones value vector is the same as none, and costs nothing.
    DenseElementsAttr g = allOnes(sign.g) ? nullptr : f32Vector(context, sign.g);
    DenseElementsAttr h = allOnes(sign.h) ? nullptr : f32Vector(context, sign.h);
    record(original, "sign",
           packed.size() + ((g ? sign.g.size() : 0) + (h ? sign.h.size() : 0)) *
                               sizeof(float),
           [&] { return quant::dequantize(sign); });
    return SignLinearOp::create(builder, layer.getLoc(),
                                layer.getResult().getType(), layer.getInput(),
                                layer.getBias(), packedAttr, g, h,
                                layer.getLayerNameAttr());
  }

  void record(quant::MatrixView original, StringRef form, uint64_t packedBytes,
              function_ref<std::vector<float>()> dequantize) {
    LayerQuantReport &report = reports.back();
    report.form = form.str();
    report.packedBytes = packedBytes;
    if (options.measureErrors) {
      std::vector<float> approx = dequantize();
      report.relativeError = quant::relativeFrobeniusError(
          original.data, approx.data(), approx.size());
    }
  }

  const LayerQuantizationOptions &options;
  const llvm::Regex *skip;
  std::vector<LayerQuantReport> reports;
  SmallVector<Attribute> dropped;
};

struct TernarizePass : onebit::impl::TernarizeBase<TernarizePass> {
  using TernarizeBase::TernarizeBase;

  void runOnOperation() override {
    LayerQuantizationOptions options;
    options.method = method;
    options.granularity = granularity;
    options.svidSolver = svidSolver;
    options.skip = skip;
    options.minElements = minElements;
    options.exactOnly = exactOnly;
    options.int8Activations = int8Activations;
    options.measureErrors = printSummary;
    FailureOr<std::vector<LayerQuantReport>> reports =
        quantizeLayers(getOperation(), options);
    if (failed(reports))
      return signalPassFailure();
    if (printSummary)
      printLayerReportTable(llvm::errs(), *reports);
  }
};

} // namespace

FailureOr<std::vector<LayerQuantReport>>
onebit::quantizeLayers(Operation *root, const LayerQuantizationOptions &options) {
  std::optional<llvm::Regex> skip;
  if (!options.skip.empty()) {
    skip.emplace("^(" + options.skip + ")$");
    std::string error;
    if (!skip->isValid(error))
      return root->emitError("ternarize: invalid skip regex '")
             << options.skip << "': " << error;
  }
  SmallVector<LinearOp> layers;
  root->walk([&](LinearOp layer) { layers.push_back(layer); });
  LayerQuantizer quantizer(options, skip ? &*skip : nullptr);
  for (LinearOp layer : layers)
    quantizer.rewrite(layer);
  releaseDroppedBlobs(root, quantizer.droppedWeights());
  return quantizer.takeReports();
}

void onebit::printLayerReportTable(llvm::raw_ostream &os,
                                   ArrayRef<LayerQuantReport> reports) {
  uint64_t floatBytes = 0, packedBytes = 0;
  size_t quantized = 0;
  os << llvm::formatv("{0,-32} {1,-8} {2,12} {3,12} {4,10}\n", "layer", "form",
                      "shape", "bits/weight", "rel. error");
  for (const LayerQuantReport &r : reports) {
    if (r.form == "float")
      continue;
    ++quantized;
    uint64_t weights = r.rows * r.cols;
    floatBytes += r.floatBytes;
    packedBytes += r.packedBytes;
    std::string shape = llvm::formatv("{0}x{1}", r.rows, r.cols).str();
    std::string error = r.lossless
                            ? "lossless"
                            : llvm::formatv("{0:f4}", r.relativeError).str();
    os << llvm::formatv("{0,-32} {1,-8} {2,12} {3,12:f3} {4,10}\n", r.name,
                        r.form, shape, 8.0 * r.packedBytes / weights, error);
  }
  if (quantized == 0)
    os << "no layer quantized\n";
  else
    os << llvm::formatv("{0} layers: {1} bytes of f32 weights -> {2} bytes "
                        "packed ({3:f2}x smaller)\n",
                        quantized, floatBytes, packedBytes,
                        double(floatBytes) / packedBytes);
  if (size_t left = reports.size() - quantized)
    os << left << " layers left in float\n";
}
