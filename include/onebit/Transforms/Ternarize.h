//===- Ternarize.h - Quantize linear layers, as a library -------*- C++ -*-===//
//
// The --ternarize pass is a thin wrapper over quantizeLayers; onebit-compile
// calls it directly so that it gets the per-layer reports for --report.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_TRANSFORMS_TERNARIZE_H
#define ONEBIT_TRANSFORMS_TERNARIZE_H

#include "onebit/Quant/Svid.h"
#include "onebit/Quant/Types.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace onebit {

/// How --ternarize quantizes weights that are not already low-bit.
enum class QuantMethod { Absmean, Svid };

struct LayerQuantizationOptions {
  QuantMethod method = QuantMethod::Absmean;
  quant::Granularity granularity = quant::Granularity::PerTensor;
  quant::SvidSolver svidSolver = quant::SvidSolver::Nmf;
  /// Layers whose name fully matches this extended regex stay in float.
  std::string skip;
  int64_t minElements = 0;
  bool exactOnly = false;
  bool int8Activations = false;
  /// Compute each layer's relative weight error (costs a dequantization).
  bool measureErrors = false;
};

/// What happened to one onebit.linear.
struct LayerQuantReport {
  std::string name;
  /// "ternary", "sign", or "float" for a layer left as it was.
  std::string form;
  int64_t rows = 0, cols = 0;
  uint64_t floatBytes = 0;
  /// Packed weights, scales and value vectors; equal to floatBytes in float.
  uint64_t packedBytes = 0;
  /// ||W - W_q||_F / ||W||_F, when measured.
  double relativeError = 0;
  bool lossless = false;
};

/// Rewrites the onebit.linear layers under `root`. Fails, with a diagnostic,
/// only on invalid options (an invalid skip regex).
mlir::FailureOr<std::vector<LayerQuantReport>>
quantizeLayers(mlir::Operation *root, const LayerQuantizationOptions &options);

/// The table --ternarize=summary prints.
void printLayerReportTable(llvm::raw_ostream &os,
                           llvm::ArrayRef<LayerQuantReport> reports);

} // namespace onebit

#endif // ONEBIT_TRANSFORMS_TERNARIZE_H
