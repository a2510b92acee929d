//===- DeviceMemory.cpp - A caching allocator over cuMemAlloc(Managed) ----===//
//
// Generated code allocates every intermediate buffer with mgpuMemAlloc and
// frees it with mgpuMemFree, on every run. cuMemAllocManaged and cuMemFree
// cost tens of microseconds each (cuMemFree also synchronizes the device),
// so freed blocks are kept, keyed by their exact size and kind, and handed
// out again: the second run of a model with static shapes allocates nothing
// from the driver. The cache holds at most ONEBIT_CUDA_CACHE_MB megabytes
// (default 1024); when the driver runs out of memory the cache is emptied
// and the allocation retried once.
//
//===----------------------------------------------------------------------===//
#include "DeviceMemory.h"
#include "Errors.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace onebit::cuda {
namespace {

enum class Kind : uint8_t { Device, Managed, Host };

struct Block {
  uint64_t bytes;
  Kind kind;
  /// The thread that allocated it (threadToken()), for releaseThreadBlocks.
  const void *owner;
};

/// An address unique to the calling thread.
const void *threadToken() {
  static thread_local char token;
  return &token;
}

struct Allocator {
  std::mutex mutex;
  /// Every block handed out and not yet released, by address: mgpuMemFree
  /// gets only the pointer.
  std::unordered_map<uintptr_t, Block> live;
  /// Released blocks by (size, kind).
  std::map<std::pair<uint64_t, Kind>, std::vector<uintptr_t>> cached;
  uint64_t cachedBytes = 0;
  uint64_t cacheLimit = 0;
  bool limitRead = false;
};

/// Never destroyed: mgpuMemFree may run from global destructors, after a
/// static object here would have been destroyed. (A dlclose leaks this
/// struct; the blocks in it are freed at the last module unload.)
Allocator &allocator() {
  static Allocator *instance = new Allocator;
  return *instance;
}

constexpr uint64_t kDefaultCacheMegabytes = 1024;

uint64_t cacheLimit(Allocator &state) {
  if (!state.limitRead) {
    state.limitRead = true;
    uint64_t megabytes = kDefaultCacheMegabytes;
    if (const char *text = std::getenv("ONEBIT_CUDA_CACHE_MB")) {
      char *end = nullptr;
      unsigned long long value = std::strtoull(text, &end, 10);
      if (*text && !*end)
        megabytes = value;
    }
    state.cacheLimit = megabytes << 20;
  }
  return state.cacheLimit;
}

alignas(256) char zeroSizeBytes[256];

constexpr size_t kHostAlignment = 256;

/// Zeroed host memory standing in for a GPU buffer of a run that failed.
void *hostFallback(uint64_t bytes) {
  uint64_t rounded =
      (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
  void *memory =
      rounded >= bytes ? std::aligned_alloc(kHostAlignment, rounded) : nullptr;
  if (!memory) {
    recordError("out of host memory allocating %llu bytes",
                static_cast<unsigned long long>(bytes));
    return nullptr;
  }
  std::memset(memory, 0, rounded);
  Allocator &state = allocator();
  std::lock_guard<std::mutex> lock(state.mutex);
  state.live[reinterpret_cast<uintptr_t>(memory)] = {bytes, Kind::Host,
                                                    threadToken()};
  return memory;
}

CUresult driverAllocate(const DriverApi &api, CUdeviceptr *pointer,
                        uint64_t bytes, bool managed) {
  return managed ? api.cuMemAllocManaged(pointer, bytes, CU_MEM_ATTACH_GLOBAL)
                 : api.cuMemAlloc(pointer, bytes);
}

/// From the driver, emptying the cache and trying again if it is full.
CUdeviceptr allocateFromDriver(const DriverApi &api, uint64_t bytes,
                               bool managed) {
  CUdeviceptr pointer = 0;
  CUresult result = driverAllocate(api, &pointer, bytes, managed);
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    releaseCachedBlocks();
    result = driverAllocate(api, &pointer, bytes, managed);
  }
  if (result != CUDA_SUCCESS) {
    char description[512];
    recordError("cannot allocate %llu bytes of %s memory on the GPU: %s",
                static_cast<unsigned long long>(bytes),
                managed ? "managed" : "device",
                describe(result, description, sizeof(description)));
    return 0;
  }
  return pointer;
}

} // namespace

void *zeroSizeBlock() { return zeroSizeBytes; }

void *allocate(uint64_t bytes, bool managed) {
  if (bytes == 0)
    return zeroSizeBlock();
  if (hasError())
    return hostFallback(bytes);
  Allocator &state = allocator();
  const Kind kind = managed ? Kind::Managed : Kind::Device;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    auto found = state.cached.find({bytes, kind});
    if (found != state.cached.end() && !found->second.empty()) {
      uintptr_t pointer = found->second.back();
      found->second.pop_back();
      state.cachedBytes -= bytes;
      state.live[pointer] = {bytes, kind, threadToken()};
      return reinterpret_cast<void *>(pointer);
    }
  }
  const DriverApi *api = driver();
  CUdeviceptr pointer = api ? allocateFromDriver(*api, bytes, managed) : 0;
  if (!pointer)
    return hostFallback(bytes);
  std::lock_guard<std::mutex> lock(state.mutex);
  state.live[static_cast<uintptr_t>(pointer)] = {bytes, kind,
                                                  threadToken()};
  return reinterpret_cast<void *>(static_cast<uintptr_t>(pointer));
}

void release(void *pointer, CUstream stream) {
  if (!pointer || pointer == zeroSizeBlock())
    return;
  Allocator &state = allocator();
  Block block;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    auto found = state.live.find(reinterpret_cast<uintptr_t>(pointer));
    if (found == state.live.end()) {
      recordError("mgpuMemFree: %p was not allocated by mgpuMemAlloc, or "
                  "was freed already",
                  pointer);
      return;
    }
    block = found->second;
    state.live.erase(found);
  }
  if (block.kind == Kind::Host) {
    std::free(pointer);
    return;
  }
  const DriverApi *api = driver();
  if (!api)
    return; // Shut down: the context and its memory are gone.
  // Kernels queued on `stream` may still use the block: wait for them
  // before anyone else can get it from the cache. (Generated code has
  // synchronized its stream after each launch already, so this is cheap.)
  if (stream)
    if (CUresult result = api->cuStreamSynchronize(stream))
      recordDriverError("cuStreamSynchronize (freeing memory)", result);
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.cachedBytes + block.bytes <= cacheLimit(state)) {
      state.cached[{block.bytes, block.kind}].push_back(
          reinterpret_cast<uintptr_t>(pointer));
      state.cachedBytes += block.bytes;
      return;
    }
  }
  api->cuMemFree(reinterpret_cast<uintptr_t>(pointer));
}

void releaseThreadBlocks() {
  Allocator &state = allocator();
  const void *self = threadToken();
  // Collected first: release() takes the lock itself. A thread holds few
  // blocks at once (one run's), so a pass over all is cheap enough on this
  // error path.
  std::vector<uintptr_t> held;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    for (const auto &[pointer, block] : state.live)
      if (block.owner == self)
        held.push_back(pointer);
  }
  for (uintptr_t pointer : held)
    release(reinterpret_cast<void *>(pointer), nullptr);
}

CUdeviceptr allocateManagedUncached(uint64_t bytes) {
  const DriverApi *api = driver();
  return api ? allocateFromDriver(*api, bytes, /*managed=*/true) : 0;
}

void releaseCachedBlocks() {
  Allocator &state = allocator();
  std::map<std::pair<uint64_t, Kind>, std::vector<uintptr_t>> blocks;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    blocks.swap(state.cached);
    state.cachedBytes = 0;
  }
  const DriverApi *api = driver();
  if (!api)
    return;
  for (auto &entry : blocks)
    for (uintptr_t pointer : entry.second)
      api->cuMemFree(pointer);
}

} // namespace onebit::cuda
