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

} // namespace

CUstream acquireStream(const DriverApi &api) {
  Pool &state = pool();
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (!state.idle.empty()) {
      CUstream stream = state.idle.back();
      state.idle.pop_back();
      return stream;
    }
  }
  // Non-blocking: our streams never wait for work that other code in the
  // process puts on the legacy default stream.
  CUstream stream = nullptr;
  if (CUresult result = api.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING)) {
    recordDriverError("cuStreamCreate", result);
    return nullptr;
  }
  return stream;
}

void releaseStream(CUstream stream) {
  if (!stream)
    return;
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
