//===- onebit-translate.cpp - ONNX to MLIR --------------------------------===//
//
//   onebit-translate --import-onnx model.onnx [-o out.mlir]
//                    [--input-shape NAME=1x128 ...] [--no-onnx-checker]
//
// Prints the imported module only when the whole import succeeded, so an
// error never leaves a partial output file behind; every error goes to
// stderr as "<model>: error: ..." and the exit code is 1.
//
//===----------------------------------------------------------------------===//

#include "onebit/Import/OnnxImporter.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::OptionCategory category("onebit-translate options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<model.onnx|model.onnxtxt>"),
                                          cl::init("-"), cl::cat(category));
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"), cl::cat(category));
static cl::opt<bool> importOnnx(
    "import-onnx",
    cl::desc("Import an ONNX model (binary, or textual syntax for files "
             "ending in .onnxtxt)"),
    cl::cat(category));
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Specialize graph input NAME to static dims D0xD1x... "
             "(repeatable, or comma separated)"),
    cl::value_desc("NAME=DIMS"), cl::CommaSeparated, cl::cat(category));
static cl::opt<bool> noChecker("no-onnx-checker",
                               cl::desc("Do not run the ONNX checker"),
                               cl::cat(category));
static cl::opt<bool> noSimplify(
    "no-simplify",
    cl::desc("Print the importer's raw output, without canonicalize and cse"),
    cl::cat(category));
static cl::opt<bool> splitInputFile(
    "split-input-file",
    cl::desc("Import each '# -----'-separated chunk of a textual model as a "
             "model of its own (for tests)"),
    cl::cat(category));
static cl::opt<bool> emitBytecode("emit-bytecode",
                                  cl::desc("Write MLIR bytecode"),
                                  cl::cat(category));

/// --split-input-file: every chunk is imported and printed (or its errors
/// reported) in turn; the exit code is 1 if any chunk failed.
/// The -o file, opened only once there is something to write (a failed
/// import leaves no file behind); null after reporting why it cannot be.
static std::unique_ptr<ToolOutputFile> openOutput() {
  std::string error;
  std::unique_ptr<ToolOutputFile> output =
      mlir::openOutputFile(outputFilename, &error);
  if (!output)
    errs() << "onebit-translate: " << error << "\n";
  return output;
}

static int importChunks(mlir::MLIRContext &context,
                        const onebit::OnnxImportOptions &options) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFileOrSTDIN(inputFilename);
  if (!buffer) {
    errs() << "onebit-translate: cannot read '" << inputFilename
           << "': " << buffer.getError().message() << "\n";
    return 1;
  }
  SmallVector<StringRef> chunks;
  StringRef rest = (*buffer)->getBuffer();
  while (true) {
    size_t split = rest.find("\n# -----");
    if (split == StringRef::npos) {
      chunks.push_back(rest);
      break;
    }
    chunks.push_back(rest.take_front(split + 1));
    rest = rest.drop_front(split + 1);
    rest = rest.drop_front(std::min(rest.size(), rest.find('\n')));
  }
  std::string text;
  raw_string_ostream os(text);
  bool ok = true;
  for (StringRef chunk : chunks) {
    mlir::OwningOpRef<mlir::ModuleOp> module =
        onebit::importOnnxModel(chunk, /*isText=*/true, inputFilename,
                                &context, options);
    if (!module) {
      ok = false;
    } else {
      module->print(os);
      os << "\n";
    }
    os << "// -----\n";
  }
  std::unique_ptr<ToolOutputFile> output = openOutput();
  if (!output)
    return 1;
  output->os() << text;
  output->keep();
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions({&category, &cl::getGeneralCategory()});
  cl::ParseCommandLineOptions(argc, argv, "onebit ONNX importer\n");

  if (!importOnnx) {
    errs() << "onebit-translate: choose a translation (--import-onnx)\n";
    return 1;
  }
  onebit::OnnxImportOptions options;
  options.runChecker = !noChecker;
  options.simplify = !noSimplify;
  for (const std::string &spec : inputShapes) {
    std::string error;
    if (!onebit::parseInputShapeSpec(spec, options, error)) {
      errs() << "onebit-translate: --input-shape: " << error << "\n";
      return 1;
    }
  }

  mlir::MLIRContext context;
  std::string modelName =
      inputFilename == "-" ? std::string("<stdin>") : inputFilename.getValue();
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    StringRef severity = diag.getSeverity() == mlir::DiagnosticSeverity::Error
                             ? "error"
                         : diag.getSeverity() ==
                                 mlir::DiagnosticSeverity::Warning
                             ? "warning"
                             : "note";
    errs() << modelName << ": " << severity << ": " << diag.str() << "\n";
    for (const mlir::Diagnostic &note : diag.getNotes())
      errs() << modelName << ": note: " << note.str() << "\n";
    return mlir::success();
  });

  if (splitInputFile)
    return importChunks(context, options);

  mlir::OwningOpRef<mlir::ModuleOp> module =
      onebit::importOnnxFile(inputFilename, &context, options);
  if (!module)
    return 1;

  std::unique_ptr<ToolOutputFile> output = openOutput();
  if (!output)
    return 1;
  if (emitBytecode) {
    if (mlir::failed(mlir::writeBytecodeToFile(*module, output->os())))
      return 1;
  } else {
    module->print(output->os(), mlir::OpPrintingFlags());
    output->os() << "\n";
  }
  output->keep();
  return 0;
}
