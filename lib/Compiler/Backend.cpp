//===- Backend.cpp - From the LLVM dialect to an object file --------------===//

#include "onebit/Compiler/Backend.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace onebit;

static void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

llvm::Expected<CpuTarget> onebit::resolveCpuTarget(llvm::StringRef mcpu) {
  initializeNativeTarget();
  CpuTarget target;
  target.triple = llvm::sys::getDefaultTargetTriple();
  if (mcpu.empty() || mcpu == "native" || mcpu == "host") {
    target.cpu = llvm::sys::getHostCPUName().str();
    std::vector<std::string> features;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.push_back((feature.second ? "+" : "-") + feature.first().str());
    target.features = llvm::join(features, ",");
    target.hasAvx512 = llvm::sys::getHostCPUFeatures().lookup("avx512f");
    target.hasAvx2 = llvm::sys::getHostCPUFeatures().lookup("avx2");
    target.hasAvx512bw = llvm::sys::getHostCPUFeatures().lookup("avx512bw");
    return target;
  }
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(target.triple), error);
  if (!llvmTarget)
    return llvm::createStringError(error);
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      llvmTarget->createMCSubtargetInfo(llvm::Triple(target.triple), mcpu, ""));
  if (!info || !info->isCPUStringValid(mcpu))
    return llvm::createStringError("--mcpu: unknown CPU '" + mcpu.str() +
                                   "' for " + target.triple);
  target.cpu = mcpu.str();
  target.hasAvx512 = info->checkFeatures("+avx512f");
  target.hasAvx2 = info->checkFeatures("+avx2");
  target.hasAvx512bw = info->checkFeatures("+avx512bw");
  return target;
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
onebit::createTargetMachine(const CpuTarget &target, unsigned optLevel) {
  initializeNativeTarget();
  llvm::Triple triple(target.triple);
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return llvm::createStringError(error);
  static const llvm::CodeGenOptLevel levels[] = {
      llvm::CodeGenOptLevel::None, llvm::CodeGenOptLevel::Less,
      llvm::CodeGenOptLevel::Default, llvm::CodeGenOptLevel::Aggressive};
  // Position-independent: the object goes into a shared library.
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target.cpu, target.features, llvm::TargetOptions(),
      llvm::Reloc::PIC_, std::nullopt, levels[std::min(optLevel, 3u)]));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for " +
                                   target.triple);
  return machine;
}

llvm::Expected<std::unique_ptr<llvm::Module>>
onebit::translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &context,
                             llvm::TargetMachine &machine, unsigned optLevel) {
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, "model");
  if (!llvmModule)
    return llvm::createStringError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());
  auto optimize =
      mlir::makeOptimizingTransformer(std::min(optLevel, 3u), 0, &machine);
  if (llvm::Error error = optimize(llvmModule.get()))
    return std::move(error);
  return llvmModule;
}

llvm::Error onebit::emitObjectFile(llvm::Module &module,
                                   llvm::TargetMachine &machine,
                                   llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError("cannot write '" + path.str() +
                                   "': " + ec.message());
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, out, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  passes.run(module);
  out.flush();
  if (out.has_error())
    return llvm::createStringError("writing '" + path.str() + "' failed");
  return llvm::Error::success();
}
