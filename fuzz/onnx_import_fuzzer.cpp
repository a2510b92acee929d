//===- onnx_import_fuzzer.cpp - libFuzzer harness for the ONNX importer ---===//
//
// Feeds arbitrary bytes to the importer, as a binary ModelProto and (when the
// input starts with '<', like every textual model) as ONNX textual syntax.
// Any outcome but a module or a reported error -- a crash, an assertion, a
// sanitizer report, a verifier failure -- is a bug.
//
//===----------------------------------------------------------------------===//

#include "onebit/Import/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  mlir::MLIRContext context;
  // Errors are the expected outcome for most inputs; keep them quiet.
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  onebit::OnnxImportOptions options;
  bool isText = size > 0 && data[0] == '<';
  // External data paths resolve under a directory that does not exist, so
  // fuzzed models never read files.
  (void)onebit::importOnnxModel(bytes, isText,
                                "/nonexistent-onebit-fuzz/model.onnx",
                                &context, options);
  return 0;
}
