//===- QuantizeEmbeddings.h - int8 / int4 embedding tables, as a library -*- C++ -*-===//
//
// The onebit-quantize-embeddings pass is a thin wrapper over
// quantizeEmbeddings; onebit-compile calls it directly for its reports.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_TRANSFORMS_QUANTIZEEMBEDDINGS_H
#define ONEBIT_TRANSFORMS_QUANTIZEEMBEDDINGS_H

#include "onebit/Transforms/Ternarize.h"

#include <vector>

namespace onebit {

struct EmbeddingQuantizationOptions {
  /// 8 or 4.
  int bits = 8;
  /// Tables with fewer elements stay in float.
  int64_t minElements = 0;
  /// Compute each table's relative error (costs a dequantization).
  bool measureErrors = false;
};

/// Stores every embedding table under `root` (a 2-d f32 constant that a
/// gather reads element by element, and that is otherwise only the weight
/// of onebit.linear layers, as a tied LM head is; gathered by a model input
/// or tied to a layer, see the pass's description) as `bits`-bit integers
/// with a scale per row: the gathers read the packed table and the layers
/// become onebit.quantized_linear over it. One report per table, named after
/// the layer that reads it (the initializer's name) or its blob.
std::vector<LayerQuantReport>
quantizeEmbeddings(mlir::Operation *root,
                   const EmbeddingQuantizationOptions &options);

/// `layers` with the float entries of layers that a table in `tables` now
/// covers replaced by that table's entry (the others appended).
void mergeEmbeddingReports(std::vector<LayerQuantReport> &layers,
                           llvm::ArrayRef<LayerQuantReport> tables);

} // namespace onebit

#endif // ONEBIT_TRANSFORMS_QUANTIZEEMBEDDINGS_H
