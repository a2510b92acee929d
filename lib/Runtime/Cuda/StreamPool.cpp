//===- StreamPool.cpp - Streams reused across launches --------------------===//
//
// Code lowered without async tokens creates a stream, launches one kernel on
// it, synchronizes and destroys it, around every launch; cuStreamCreate and
// cuStreamDestroy would then cost more than many small kernels. So a
// "destroyed" stream goes back to a pool and the next mgpuStreamCreate, on
// any thread, takes it. Each holder still has a stream of its own for as
// long as it holds it, so concurrent runs never share one and never wait
// for each other's kernels.
//
//===----------------------------------------------------------------------===//
#include "StreamPool.h"
#include "Errors.h"

#include <mutex>
#include <vector>

namespace onebit::cuda {
namespace {

/// More idle streams than this are destroyed: as many as runs that were in
/// flight at once, at most.
constexpr size_t kMaxIdleStreams = 64;

struct Pool {
  std::mutex mutex;
  std::vector<CUstream> idle;
};

/// Never destroyed (see Allocator in DeviceMemory.cpp).
Pool &pool() {
  static Pool *instance = new Pool;
  return *instance;
}

/// The streams the calling thread holds, for releaseThreadStreams. A run
/// holds one at a time; past the capacity a stream goes untracked. (A
/// fixed array: see the note on containers in lib/Runtime/Signature.cpp.)
struct HeldStreams {
  static constexpr size_t kCapacity = 8;
  CUstream streams[kCapacity] = {};
  size_t count = 0;

  void add(CUstream stream) {
    if (count < kCapacity)
      streams[count++] = stream;
  }
  void remove(CUstream stream) {
    for (size_t i = 0; i < count; ++i)
      if (streams[i] == stream) {
        streams[i] = streams[--count];
        return;
      }
  }
};

HeldStreams &heldStreams() {
  static thread_local HeldStreams held;
  return held;
}

CUstream handOut(CUstream stream) {
  if (stream)
    heldStreams().add(stream);
  return stream;
}

} // namespace

CUstream acquireStream(const DriverApi &api) {
  Pool &state = pool();
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (!state.idle.empty()) {
      CUstream stream = state.idle.back();
      state.idle.pop_back();
      return handOut(stream);
    }
  }
  // Non-blocking: our streams never wait for work that other code in the
  // process puts on the legacy default stream.
  CUstream stream = nullptr;
  if (CUresult result = api.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING)) {
    recordDriverError("cuStreamCreate", result);
    return nullptr;
  }
  return handOut(stream);
}

void releaseStream(CUstream stream) {
  if (!stream)
    return;
  heldStreams().remove(stream);
  Pool &state = pool();
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.idle.size() < kMaxIdleStreams) {
      state.idle.push_back(stream);
      return;
    }
  }
  if (const DriverApi *api = driver())
    api->cuStreamDestroy(stream);
}

void releaseThreadStreams() {
  HeldStreams &held = heldStreams();
  const DriverApi *api = driver();
  while (held.count) {
    CUstream stream = held.streams[held.count - 1];
    // What the run queued may still use its buffers.
    if (api)
      if (CUresult result = api->cuStreamSynchronize(stream))
        recordDriverError("cuStreamSynchronize (abandoning a run)", result);
    releaseStream(stream);
  }
}

void destroyPooledStreams() {
  Pool &state = pool();
  std::vector<CUstream> streams;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    streams.swap(state.idle);
  }
  if (const DriverApi *api = driver())
    for (CUstream stream : streams)
      api->cuStreamDestroy(stream);
}

} // namespace onebit::cuda
