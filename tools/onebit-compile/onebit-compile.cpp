//===- onebit-compile.cpp - ONNX (or MLIR) model to a shared library ------===//
//
//   onebit-compile model.onnx -o model.so [--quantize=auto|none|absmean|svid]
//
// Runs the phases in order, each one a pipeline that onebit-opt can also run:
// import, quantize, lower the layers, bufferize, lower to LLVM, generate code,
// link. -v prints each phase as it starts; --report writes what was done per
// layer and per phase as JSON. The output file appears only when everything
// has succeeded.
//
//===----------------------------------------------------------------------===//

#include "onebit/Compiler/Backend.h"
#include "onebit/Compiler/EntryPoint.h"
#include "onebit/Compiler/Linker.h"
#include "onebit/Compiler/Pipelines.h"
#include "onebit/Compiler/WeightsFile.h"
#include "onebit/Conversion/Passes.h"
#include "onebit/Dialect/OnebitDialect.h"
#include "onebit/Import/OnnxImporter.h"
#include "onebit/Transforms/Passes.h"
#include "onebit/Transforms/QuantizeEmbeddings.h"
#include "onebit/Transforms/Ternarize.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <sys/resource.h>

using namespace mlir;
using namespace onebit;
namespace cl = llvm::cl;

namespace {

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

enum class Target { Cpu, Cuda };
enum class Quantize { Auto, None, Absmean, Svid };
enum class EmbeddingBits { None = 0, Int8 = 8, Int4 = 4 };
enum class WeightsPlace { Auto, Embedded, File };
enum class Emit { OnnxIR, Onebit, Linalg, LLVM, Obj, So };

cl::OptionCategory category("onebit-compile options");

cl::opt<std::string>
    inputPath(cl::Positional, cl::Required,
              cl::desc("<model.onnx | model.onnxtxt | model.mlir>"),
              cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                cl::value_desc("path"), cl::Required,
                                cl::cat(category));
cl::opt<Target>
    target("target", cl::desc("Where the model runs"), cl::init(Target::Cpu),
           cl::values(clEnumValN(Target::Cpu, "cpu", "this CPU"),
                      clEnumValN(Target::Cuda, "cuda", "an NVIDIA GPU")),
           cl::cat(category));
cl::opt<Quantize> quantize(
    "quantize", cl::desc("How linear layers are quantized"),
    cl::init(Quantize::Auto),
    cl::values(clEnumValN(Quantize::Auto, "auto",
                          "pack weights that are already ternary or binary "
                          "losslessly, leave the rest in float"),
               clEnumValN(Quantize::None, "none", "keep every layer in float"),
               clEnumValN(Quantize::Absmean, "absmean",
                          "BitNet b1.58 absmean ternarization"),
               clEnumValN(Quantize::Svid, "svid",
                          "OneBit sign and value vectors")),
    cl::cat(category));
cl::opt<EmbeddingBits> quantizeEmbeddings(
    "quantize-embeddings",
    cl::desc("How embedding tables (and an LM head tied to one) are stored"),
    cl::init(EmbeddingBits::None),
    cl::values(clEnumValN(EmbeddingBits::None, "none", "in float"),
               clEnumValN(EmbeddingBits::Int8, "int8",
                          "int8 with a scale per row"),
               clEnumValN(EmbeddingBits::Int4, "int4",
                          "int4 with a scale per row")),
    cl::cat(category));
cl::opt<WeightsPlace> weightsPlace(
    "weights", cl::desc("Where the model's constants go"),
    cl::init(WeightsPlace::Auto),
    cl::values(
        clEnumValN(WeightsPlace::Auto, "auto",
                   "a side file when they come to 256 MiB or more, else "
                   "inside the .so"),
        clEnumValN(WeightsPlace::Embedded, "embedded", "inside the .so"),
        clEnumValN(WeightsPlace::File, "file",
                   "a side file beside the .so (OUTPUT without .so, plus "
                   ".weights), mapped at load")),
    cl::cat(category));
cl::opt<quant::Granularity> granularity(
    "granularity", cl::desc("absmean scale granularity"),
    cl::init(quant::Granularity::PerTensor),
    cl::values(clEnumValN(quant::Granularity::PerTensor, "tensor", ""),
               clEnumValN(quant::Granularity::PerChannel, "channel", "")),
    cl::cat(category));
cl::opt<quant::SvidSolver>
    svidSolver("svid-solver", cl::desc("SVID rank-1 solver"),
               cl::init(quant::SvidSolver::Nmf),
               cl::values(clEnumValN(quant::SvidSolver::Nmf, "nmf", ""),
                          clEnumValN(quant::SvidSolver::Svd, "svd", "")),
               cl::cat(category));
cl::opt<std::string> skip("skip",
                          cl::desc("Leave layers whose name fully matches "
                                   "this regex in float"),
                          cl::cat(category));
cl::opt<int64_t> minElements("min-elements",
                             cl::desc("Leave smaller layers in float"),
                             cl::init(0), cl::cat(category));
cl::list<std::string> lastPositionOnly(
    "last-position-only",
    cl::desc("Compute these outputs (a decoder's logits) at the last "
             "position only: [B, S, V] becomes [B, 1, V], and prefill "
             "skips the LM head for all other positions"),
    cl::value_desc("output[,output...]"), cl::CommaSeparated,
    cl::cat(category));
cl::opt<bool> int8Activations("int8-activations",
                              cl::desc("W1.58A8: int8 per-token activations "
                                       "in ternary layers"),
                              cl::cat(category));
cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Specialize an input: NAME=D0xD1x... (repeatable)"),
                cl::value_desc("NAME=DIMS"), cl::cat(category));
cl::opt<Emit> emit(
    "emit", cl::desc("What to write"), cl::init(Emit::So),
    cl::values(clEnumValN(Emit::OnnxIR, "onnx-ir", "the imported MLIR"),
               clEnumValN(Emit::Onebit, "onebit", "MLIR after quantization"),
               clEnumValN(Emit::Linalg, "linalg",
                          "MLIR with the layers lowered, on tensors"),
               clEnumValN(Emit::LLVM, "llvm", "optimized LLVM IR"),
               clEnumValN(Emit::Obj, "obj", "an object file"),
               clEnumValN(Emit::So, "so", "a shared library (default)")),
    cl::cat(category));
cl::opt<unsigned> optLevel("O", cl::desc("Optimization level (0-3)"),
                           cl::Prefix, cl::init(2), cl::cat(category));
cl::opt<std::string> mcpu("mcpu", cl::desc("Target CPU (default: the host)"),
                          cl::init("native"), cl::cat(category));
cl::opt<std::string> lookupTables(
    "lookup-tables",
    cl::desc("CPU kernel of the low-bit layers: auto (the table-lookup "
             "kernels of the widest ISA the target has: AVX-512BW, else "
             "AVX2), none (the masked-add kernel), avx2, avx512"),
    cl::init("auto"), cl::cat(category));
cl::opt<std::string> cudaArch("cuda-arch",
                              cl::desc("GPU architecture for --target=cuda"),
                              cl::init("sm_90"), cl::cat(category));
cl::opt<std::string> reportPath("report",
                                cl::desc("Write a JSON report of layers and "
                                         "phases"),
                                cl::value_desc("file.json"), cl::cat(category));
cl::opt<bool> verbose("v", cl::desc("Print each phase as it runs"),
                      cl::cat(category));

//===----------------------------------------------------------------------===//
// Phases
//===----------------------------------------------------------------------===//

/// Prints "[k/n] what" under -v as each phase starts and its wall time (with
/// the process's peak memory so far) as it ends, and keeps the times for the
/// report. Big models take minutes: the user sees where they go.
class PhaseLog {
public:
  explicit PhaseLog(unsigned total) : total(total) {}
  ~PhaseLog() {
    finish();
    if (verbose && index == total) {
      double sum = 0;
      for (const auto &phase : times)
        sum += phase.second;
      llvm::errs() << llvm::formatv("total {0:F2} s\n", sum);
    }
  }

  void begin(StringRef name) {
    finish();
    current = name.str();
    start = std::chrono::steady_clock::now();
    if (verbose)
      llvm::errs() << llvm::formatv("[{0}/{1}] {2}\n", ++index, total, name);
  }

  void finish() {
    if (current.empty())
      return;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    times.push_back({current, seconds});
    current.clear();
    if (verbose)
      llvm::errs() << llvm::formatv("      {0:F2} s, peak memory {1} MiB\n",
                                    seconds, peakResidentMiB());
  }

  std::vector<std::pair<std::string, double>> times;

private:
  static long peakResidentMiB() {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
      return 0;
    return usage.ru_maxrss / 1024; // Linux reports kilobytes
  }

  unsigned total;
  unsigned index = 0;
  std::string current;
  std::chrono::steady_clock::time_point start;
};

/// A file that replaces `path` only when kept: written beside it under a
/// unique name, renamed over it at the end, removed otherwise.
class AtomicOutput {
public:
  explicit AtomicOutput(StringRef path) : path(path.str()) {
    llvm::SmallString<256> model(path);
    model += ".tmp%%%%%%";
    int fd;
    if (!llvm::sys::fs::createUniqueFile(model, fd, tempPath)) {
      llvm::sys::Process::SafelyCloseFileDescriptor(fd);
      created = true;
    }
  }
  ~AtomicOutput() {
    if (created && !kept)
      llvm::sys::fs::remove(tempPath);
  }

  bool ok() const { return created; }
  StringRef temp() const { return tempPath; }

  llvm::Error keep() {
    if (std::error_code ec = llvm::sys::fs::rename(tempPath, path))
      return llvm::createStringError("cannot write '" + path +
                                     "': " + ec.message());
    kept = true;
    return llvm::Error::success();
  }

private:
  std::string path;
  llvm::SmallString<256> tempPath;
  bool created = false, kept = false;
};

/// Constants this large go to the side file; smaller ones (scales, norms,
/// shape tables) stay in the .so, where they cost nothing to load.
constexpr uint64_t kSideFileMinBytes = 4096;
/// --weights=auto takes the side file from this many bytes of them on.
constexpr uint64_t kAutoSideFileBytes = 256ull << 20;

/// model.so -> model.weights (any other name: NAME.weights).
std::string sideFilePath(StringRef output) {
  StringRef stem = output;
  stem.consume_back(".so");
  return (stem + ".weights").str();
}

int fail(const Twine &message) {
  llvm::errs() << "onebit-compile: error: " << message << "\n";
  return 1;
}

LogicalResult runPipeline(ModuleOp module, StringRef pipeline) {
  PassManager pm(module.getContext());
  if (failed(addPipeline(pm, pipeline, llvm::errs())))
    return failure();
  return pm.run(module);
}

/// Prints `module` (MLIR) to the output atomically, or to stdout for "-".
int writeMLIR(ModuleOp module) {
  if (outputPath == "-") {
    module.print(llvm::outs());
    return 0;
  }
  AtomicOutput out(outputPath);
  if (!out.ok())
    return fail("cannot create a file beside '" + outputPath + "'");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(out.temp(), ec);
    if (ec)
      return fail("cannot write '" + out.temp() + "': " + ec.message());
    module.print(os);
  }
  if (llvm::Error error = out.keep())
    return fail(llvm::toString(std::move(error)));
  return 0;
}

StringRef embeddingsName() {
  switch (quantizeEmbeddings) {
  case EmbeddingBits::None:
    return "none";
  case EmbeddingBits::Int8:
    return "int8";
  case EmbeddingBits::Int4:
    return "int4";
  }
  return "";
}

llvm::json::Value reportJson(ArrayRef<LayerQuantReport> layers,
                             const PhaseLog &phases, StringRef quantizeName) {
  llvm::json::Array layerArray;
  uint64_t floatBytes = 0, packedBytes = 0;
  for (const LayerQuantReport &layer : layers) {
    floatBytes += layer.floatBytes;
    packedBytes += layer.packedBytes;
    uint64_t weights = layer.rows * layer.cols;
    llvm::json::Object entry{
        {"name", layer.name},
        {"form", layer.form},
        {"shape", llvm::json::Array{layer.rows, layer.cols}},
        {"bytes_before", layer.floatBytes},
        {"bytes_after", layer.packedBytes},
        {"bits_per_weight", weights ? 8.0 * layer.packedBytes / weights : 0.0},
        {"lossless", layer.lossless},
    };
    if (layer.form != "float" && !layer.lossless)
      entry["relative_error"] = layer.relativeError;
    else
      entry["relative_error"] = 0.0;
    layerArray.push_back(std::move(entry));
  }
  llvm::json::Array phaseArray;
  for (const auto &[name, seconds] : phases.times)
    phaseArray.push_back(
        llvm::json::Object{{"name", name}, {"seconds", seconds}});
  return llvm::json::Object{
      {"input", inputPath.getValue()},     {"output", outputPath.getValue()},
      {"quantize", quantizeName},
      {"quantize_embeddings", embeddingsName()},
      {"layers", std::move(layerArray)},
      {"weight_bytes_before", floatBytes}, {"weight_bytes_after", packedBytes},
      {"phases", std::move(phaseArray)},
  };
}

StringRef quantizeName() {
  switch (quantize) {
  case Quantize::Auto:
    return "auto";
  case Quantize::None:
    return "none";
  case Quantize::Absmean:
    return "absmean";
  case Quantize::Svid:
    return "svid";
  }
  return "";
}

OwningOpRef<ModuleOp> loadModel(MLIRContext &context) {
  StringRef extension = llvm::sys::path::extension(inputPath);
  if (extension == ".mlir") {
    if (!inputShapes.empty())
      llvm::errs() << "onebit-compile: warning: --input-shape applies to ONNX "
                      "models only\n";
    llvm::SourceMgr sourceMgr;
    std::string error;
    auto file = openInputFile(inputPath, &error);
    if (!file) {
      llvm::errs() << "onebit-compile: error: " << error << "\n";
      return nullptr;
    }
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    return parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  OnnxImportOptions options;
  for (const std::string &spec : inputShapes) {
    std::string error;
    if (!parseInputShapeSpec(spec, options, error)) {
      llvm::errs() << "onebit-compile: error: --input-shape " << spec << ": "
                   << error << "\n";
      return nullptr;
    }
  }
  return importOnnxFile(inputPath, &context, options);
}

int compile(const char *argv0) {
  CudaPipelineOptions cudaOptions;
  if (target == Target::Cuda) {
    if (!llvm::Regex("^sm_[0-9]+a?$").match(cudaArch))
      return fail("--cuda-arch=" + cudaArch +
                  ": expected an NVIDIA architecture such as sm_90");
    llvm::Expected<std::string> toolkit = findCudaToolkit();
    if (!toolkit)
      return fail(llvm::toString(toolkit.takeError()));
    cudaOptions.toolkitPath = *toolkit;
    cudaOptions.chip = cudaArch;
    cudaOptions.optLevel = optLevel;
  }
  if (optLevel > 3)
    return fail("-O" + Twine(optLevel.getValue()) + ": the level is 0 to 3");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerOnnxImportDialects(registry);
  registry.insert<OnebitDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // The CUDA target: building kernels (NVVM to PTX) and embedding them.
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  bool toObject = emit == Emit::LLVM || emit == Emit::Obj || emit == Emit::So;
  unsigned total = 2 + (toObject ? 4 : (emit == Emit::Linalg ? 1 : 0)) +
                   (emit == Emit::So ? 1 : 0) +
                   (toObject && target == Target::Cuda ? 1 : 0);
  if (emit == Emit::OnnxIR)
    total = 1;
  PhaseLog phases(total);

  phases.begin("Importing " + inputPath);
  OwningOpRef<ModuleOp> module = loadModel(context);
  if (!module)
    return 1;
  if (emit == Emit::OnnxIR) {
    phases.finish();
    return writeMLIR(*module);
  }
  if (!lastPositionOnly.empty()) {
    onebit::LastPositionOnlyOptions lastOptions;
    lastOptions.outputs.assign(lastPositionOnly.begin(),
                               lastPositionOnly.end());
    PassManager pm(&context);
    pm.addNestedPass<func::FuncOp>(
        onebit::createLastPositionOnly(lastOptions));
    if (failed(pm.run(*module)))
      return 1;
  }

  phases.begin(
      (Twine("Quantizing linear layers (") + quantizeName() +
       (quantizeEmbeddings == EmbeddingBits::None
            ? Twine("")
            : Twine(", embeddings ") + embeddingsName()) +
       ")")
          .str());
  LayerQuantizationOptions options;
  options.method =
      quantize == Quantize::Svid ? QuantMethod::Svid : QuantMethod::Absmean;
  options.granularity = granularity;
  options.svidSolver = svidSolver;
  options.skip = skip;
  options.minElements = minElements;
  options.int8Activations = int8Activations;
  options.exactOnly = quantize == Quantize::Auto;
  options.measureErrors = !reportPath.empty() || verbose;
  if (quantize == Quantize::None)
    options.skip = ".*";
  FailureOr<std::vector<LayerQuantReport>> layers =
      quantizeLayers(*module, options);
  if (failed(layers) || failed(runPipeline(*module, "fuse-value-scaling")))
    return 1;
  if (quantizeEmbeddings != EmbeddingBits::None) {
    EmbeddingQuantizationOptions embeddingOptions;
    embeddingOptions.bits = static_cast<int>(quantizeEmbeddings.getValue());
    embeddingOptions.measureErrors = options.measureErrors;
    mergeEmbeddingReports(*layers,
                          onebit::quantizeEmbeddings(*module, embeddingOptions));
  }
  if (verbose)
    printLayerReportTable(llvm::errs(), *layers);
  if (emit == Emit::Onebit) {
    phases.finish();
    return writeMLIR(*module);
  }

  llvm::Expected<CpuTarget> cpu = resolveCpuTarget(mcpu);
  if (!cpu)
    return fail(llvm::toString(cpu.takeError()));
  CpuPipelineOptions cpuOptions;
  cpuOptions.vectorWidth = cpu->hasAvx512 ? 16 : 8;
  if (lookupTables == "auto") {
    // The widest kernels the target has. On a Zen 4 core (512-bit ops in two
    // halves) the AVX-512 ones still took 1.4-2.7x less time with float
    // activations (their 32-entry tables) and 5-10% less with int8 ones
    // (docs/benchmarks.md).
    if (cpu->hasAvx512bw)
      cpuOptions.lookupTables = "avx512";
    else if (cpu->hasAvx2)
      cpuOptions.lookupTables = "avx2";
  } else if (lookupTables == "avx2" || lookupTables == "avx512") {
    bool has = lookupTables == "avx2" ? cpu->hasAvx2 : cpu->hasAvx512bw;
    if (!has)
      return fail("--lookup-tables=" + lookupTables + ": the target CPU '" +
                  cpu->cpu + "' has no " + lookupTables +
                  (lookupTables == "avx512" ? "bw" : ""));
    cpuOptions.lookupTables = lookupTables;
  } else if (lookupTables != "none") {
    return fail("--lookup-tables=" + lookupTables +
                ": expected auto, none, avx2 or avx512");
  }

  FailureOr<EntryPoint> entry = prepareEntryPoint(*module);
  if (failed(entry))
    return 1;
  bool cuda = target == Target::Cuda;
  phases.begin(cuda ? "Lowering layers to linalg for the GPU"
                    : llvm::formatv("Lowering layers to {0}-lane add-only "
                                    "loops",
                                    cpuOptions.vectorWidth)
                          .str());
  if (failed(runPipeline(*module, cuda ? cudaLowerLayersPipeline()
                                       : cpuLowerLayersPipeline(cpuOptions))))
    return 1;
  if (emit == Emit::Linalg) {
    phases.finish();
    return writeMLIR(*module);
  }
  phases.begin(cuda ? "Bufferizing into GPU memory" : "Bufferizing");
  if (failed(runPipeline(*module, cuda ? cudaBufferizePipeline()
                                       : cpuBufferizePipeline())))
    return 1;
  if (cuda) {
    phases.begin("Building GPU kernels for " + cudaArch + " (ptxas from " +
                 cudaOptions.toolkitPath + ")");
    if (failed(runPipeline(*module, cudaKernelsPipeline(cudaOptions))))
      return 1;
  }
  phases.begin("Lowering to LLVM");
  if (failed(runPipeline(*module, cuda ? cudaToLLVMPipeline(cudaOptions)
                                       : cpuToLLVMPipeline(cpuOptions))) ||
      failed(emitEntrySymbols(*module, *entry)))
    return 1;

  // Big constants to a side file (CPU shared objects only).
  std::optional<AtomicOutput> weightsOut;
  std::string weightsPath = sideFilePath(outputPath);
  if (weightsPlace == WeightsPlace::File && (cuda || emit != Emit::So))
    return fail("--weights=file applies to CPU shared objects (--emit=so, "
                "--target=cpu)");
  if (!cuda && emit == Emit::So && weightsPlace != WeightsPlace::Embedded &&
      (weightsPlace == WeightsPlace::File ||
       externalizableWeightBytes(*module, kSideFileMinBytes) >=
           kAutoSideFileBytes)) {
    weightsOut.emplace(weightsPath);
    if (!weightsOut->ok())
      return fail("cannot create a file beside '" + weightsPath + "'");
    std::error_code ec;
    llvm::raw_fd_ostream file(weightsOut->temp(), ec);
    if (ec)
      return fail("cannot write '" + weightsOut->temp() + "': " + ec.message());
    uint64_t bytes = externalizableWeightBytes(*module, kSideFileMinBytes);
    FailureOr<uint64_t> moved = externalizeWeights(
        *module, kSideFileMinBytes, llvm::sys::path::filename(weightsPath),
        file);
    if (failed(moved))
      return 1;
    file.close();
    if (verbose)
      llvm::errs() << llvm::formatv("      {0} constants, {1:f1} MiB, to {2}\n",
                                    *moved, bytes / 1048576.0, weightsPath);
    if (file.has_error())
      return fail("cannot write '" + weightsPath + "': " +
                  file.error().message());
  }

  phases.begin("Generating code for " + cpu->cpu);
  auto machine = createTargetMachine(*cpu, optLevel);
  if (!machine)
    return fail(llvm::toString(machine.takeError()));
  llvm::LLVMContext llvmContext;
  auto llvmModule =
      translateAndOptimize(*module, llvmContext, **machine, optLevel);
  if (!llvmModule)
    return fail(llvm::toString(llvmModule.takeError()));

  if (emit == Emit::LLVM && outputPath == "-") {
    (*llvmModule)->print(llvm::outs(), nullptr);
    return 0;
  }
  if (outputPath == "-")
    return fail("binary output (--emit=obj or so) needs a file, not '-'");
  AtomicOutput out(outputPath);
  if (!out.ok())
    return fail("cannot create a file beside '" + outputPath + "'");
  if (emit == Emit::LLVM) {
    std::error_code ec;
    {
      llvm::raw_fd_ostream os(out.temp(), ec);
      if (ec)
        return fail("cannot write '" + out.temp() + "': " + ec.message());
      (*llvmModule)->print(os, nullptr);
    }
  } else if (emit == Emit::Obj) {
    if (llvm::Error error = emitObjectFile(**llvmModule, **machine, out.temp()))
      return fail(llvm::toString(std::move(error)));
  } else {
    llvm::SmallString<256> objectPath;
    if (llvm::sys::fs::createTemporaryFile("onebit-model", "o", objectPath))
      return fail("cannot create a temporary object file");
    llvm::FileRemover removeObject(objectPath);
    if (llvm::Error error = emitObjectFile(**llvmModule, **machine, objectPath))
      return fail(llvm::toString(std::move(error)));
    phases.begin("Linking " + outputPath);
    SmallVector<std::string> runtimes = {
        findRuntimeLibrary(argv0, RuntimeLibrary::Core)};
    if (target == Target::Cuda)
      runtimes.push_back(findRuntimeLibrary(argv0, RuntimeLibrary::Cuda));
    if (llvm::Error error = linkSharedLibrary(objectPath, runtimes, out.temp()))
      return fail(llvm::toString(std::move(error)));
  }
  phases.finish();

  if (!reportPath.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream report(reportPath, ec);
    if (ec)
      return fail("cannot write the report '" + reportPath +
                  "': " + ec.message());
    report << llvm::formatv("{0:2}",
                            reportJson(*layers, phases, quantizeName()))
           << "\n";
  }
  if (weightsOut)
    if (llvm::Error error = weightsOut->keep())
      return fail(llvm::toString(std::move(error)));
  if (llvm::Error error = out.keep())
    return fail(llvm::toString(std::move(error)));
  if (verbose) {
    llvm::errs() << "wrote " << outputPath << "\n";
    if (weightsOut)
      llvm::errs() << "wrote " << weightsPath << "\n";
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // The pass registry, so that the pipeline strings parse.
  registerAllPasses();
  registerOnebitPasses();
  registerOnebitConversionPasses();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "onebit-compile: a low-bit transformer model "
                              "to a self-contained shared library\n");
  return compile(argv[0]);
}
