//===- onnx_import_fuzzer.cpp - libFuzzer harness for the ONNX importer ---===//
//
// Feeds arbitrary bytes to the importer, as a binary ModelProto and (when the
// input starts with '<', like every textual model) as ONNX textual syntax.
// Any outcome but a module or a reported error -- a crash, an assertion, a
// sanitizer report, a leak, an imported module that does not verify -- is a
// bug.
//
//===----------------------------------------------------------------------===//

#include "onebit/Import/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // Threads only add nondeterminism here: the imported graphs are tiny.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  // Errors are the expected outcome for most inputs; keep them quiet, except
  // the importer's own "internal error" (its verifier check failed), which is
  // a bug like any crash.
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &diag) {
    std::string message = diag.str();
    if (llvm::StringRef(message).starts_with("internal error")) {
      std::fprintf(stderr, "onnx-import-fuzzer: %s\n", message.c_str());
      std::abort();
    }
    return mlir::success();
  });
  onebit::OnnxImportOptions options;
  // The ONNX checker is libonnx's (uninstrumented, so the fuzzer cannot steer
  // it) and only stands in front of the importer; without it every input
  // reaches the importer, as with --no-onnx-checker or an opset newer than
  // libonnx knows.
  options.runChecker = false;
  bool isText = size > 0 && data[0] == '<';
  // External data paths resolve under a directory that does not exist, so
  // fuzzed models never read files.
  (void)onebit::importOnnxModel(bytes, isText,
                                "/nonexistent-onebit-fuzz/model.onnx",
                                &context, options);
  return 0;
}
