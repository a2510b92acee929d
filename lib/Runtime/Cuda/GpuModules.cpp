//===- GpuModules.cpp - Kernel modules, and the target hooks --------------===//
//
// mgpuModuleLoad runs from a global constructor of model.so, during dlopen:
// it is where the driver is first initialized, and where a machine that
// cannot run the model is found out. So the two hooks that tell the C API
// about it (TargetHooks.h) live in this object file too: any model.so that
// loads kernels gets them, and a CPU model.so, which links no CUDA runtime,
// has none.
//
// The last mgpuModuleUnload (a global destructor: dlclose or exit) frees
// everything the runtime holds on the GPU and releases the context.
//
//===----------------------------------------------------------------------===//
#include "GpuModules.h"
#include "DeviceConstants.h"
#include "DeviceMemory.h"
#include "Errors.h"
#include "GpuEntryPoints.h"
#include "StreamPool.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

using namespace onebit::cuda;

namespace {

struct LoadedModule {
  CUmodule module = nullptr;
  std::mutex mutex;
  /// Generated code passes a constant global as the name, the same pointer
  /// on every launch: look that up first, then the text.
  std::unordered_map<const char *, LoadedFunction *> byAddress;
  std::unordered_map<std::string, std::unique_ptr<LoadedFunction>> byName;
};

std::atomic<int> liveModules{0};

void *loaded(CUmodule module) {
  auto *result = new LoadedModule;
  result->module = module;
  liveModules.fetch_add(1, std::memory_order_relaxed);
  return result;
}

void reportLoadFailure(CUresult result, const char *log) {
  char description[512];
  char device[256];
  int version = driverVersion();
  // The usual causes: a GPU older than the --cuda-arch the model was
  // compiled for (CUDA_ERROR_NO_BINARY_FOR_GPU), or a driver older than the
  // toolkit that built it (CUDA_ERROR_UNSUPPORTED_PTX_VERSION).
  setFatalError("this model runs on CUDA, but its kernels cannot be loaded "
                "on %s (CUDA driver %d.%d): %s%s%s",
                deviceName(device, sizeof(device)), version / 1000,
                version % 1000 / 10,
                describe(result, description, sizeof(description)),
                log && *log ? "\n" : "", log ? log : "");
}

} // namespace

extern "C" {

void *mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) {
  const DriverApi *api = driver();
  if (!api || fatalError())
    return nullptr;
  CUmodule module = nullptr;
  if (CUresult result = api->cuModuleLoadData(&module, data)) {
    reportLoadFailure(result, nullptr);
    return nullptr;
  }
  return loaded(module);
}

void *mgpuModuleLoadJIT(void *data, int optLevel, size_t /*assemblySize*/) {
  const DriverApi *api = driver();
  if (!api || fatalError())
    return nullptr;
  char log[4096] = "";
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  // The driver reads option values packed into the pointers themselves.
  void *values[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof(log))),
                    reinterpret_cast<void *>(uintptr_t(optLevel))};
  CUmodule module = nullptr;
  if (CUresult result =
          api->cuModuleLoadDataEx(&module, data, 3, options, values)) {
    log[sizeof(log) - 1] = 0;
    reportLoadFailure(result, log);
    return nullptr;
  }
  return loaded(module);
}

void mgpuModuleUnload(void *handle) {
  if (!handle)
    return;
  auto *module = static_cast<LoadedModule *>(handle);
  if (const DriverApi *api = driver())
    api->cuModuleUnload(module->module); // Errors: nobody left to tell.
  delete module;
  if (liveModules.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  // The last module of this model.so: it is being unloaded (or the process
  // is exiting). Give the GPU back everything, while the driver is still
  // there to take it.
  freeDeviceConstants();
  releaseCachedBlocks();
  destroyPooledStreams();
  shutDownDriver();
}

void *mgpuModuleGetFunction(void *handle, const char *name) {
  if (!handle || !name) {
    if (!hasError())
      recordError("kernel '%s' requested from a module that was not loaded",
                  name ? name : "(null)");
    return nullptr;
  }
  auto *module = static_cast<LoadedModule *>(handle);
  std::lock_guard<std::mutex> lock(module->mutex);
  auto cached = module->byAddress.find(name);
  if (cached != module->byAddress.end() && cached->second->name == name)
    return cached->second;
  auto known = module->byName.find(name);
  if (known != module->byName.end()) {
    module->byAddress[name] = known->second.get();
    return known->second.get();
  }
  const DriverApi *api = driver();
  if (!api)
    return nullptr;
  CUfunction function = nullptr;
  if (CUresult result =
          api->cuModuleGetFunction(&function, module->module, name)) {
    char description[512];
    recordError("kernel '%s' is not in its module: %s", name,
                describe(result, description, sizeof(description)));
    return nullptr;
  }
  auto entry = std::make_unique<LoadedFunction>();
  entry->function = function;
  entry->name = name;
  LoadedFunction *result = entry.get();
  module->byName.emplace(name, std::move(entry));
  module->byAddress[name] = result;
  return result;
}

// The three hooks of lib/Runtime/TargetHooks.h, defined here without its
// weak declarations (which would make these definitions weak too).

/// The text of a fatal error never changes or moves.
const char *onebit_target_check(void) {
  driverUsable();
  return fatalError();
}

/// The text is valid until the same thread calls this again.
const char *onebit_target_take_error(void) { return takeError(); }

/// The run ended at a failed check: its stream and buffers are freed here
/// (the compiled code's frees never ran).
void onebit_target_abandon_run(void) {
  releaseThreadStreams();
  releaseThreadBlocks();
}

} // extern "C"
