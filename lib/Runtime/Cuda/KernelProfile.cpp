//===- KernelProfile.cpp - Per-kernel GPU times on request ----------------===//

#include "KernelProfile.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

namespace onebit::cuda {
namespace {

struct KernelTimes {
  long launches = 0;
  double totalMs = 0;
  double fastestMs = 0;
};

struct Profile {
  std::mutex mutex;
  std::map<std::string, KernelTimes> kernels;
  std::string path;
};

/// Never destroyed: launches may still come from other threads at exit.
Profile &profile() {
  static Profile *instance = new Profile();
  return *instance;
}

void writeProfile() {
  Profile &p = profile();
  std::lock_guard<std::mutex> lock(p.mutex);
  FILE *file = std::fopen(p.path.c_str(), "w");
  if (!file) {
    std::fprintf(stderr, "onebit: cannot write the kernel profile '%s'\n",
                 p.path.c_str());
    return;
  }
  std::fprintf(file, "kernel\tlaunches\ttotal_us\tfastest_us\n");
  for (const auto &[name, times] : p.kernels)
    std::fprintf(file, "%s\t%ld\t%.3f\t%.3f\n", name.c_str(), times.launches,
                 times.totalMs * 1e3, times.fastestMs * 1e3);
  std::fclose(file);
}

} // namespace

bool kernelProfileEnabled() {
  static const bool enabled = [] {
    const char *path = std::getenv("ONEBIT_CUDA_PROFILE");
    if (!path || !*path)
      return false;
    profile().path = path;
    std::atexit(writeProfile);
    return true;
  }();
  return enabled;
}

CUresult profileLaunch(const DriverApi &api, CUstream stream,
                       const std::string &name, CUresult (*launch)(void *),
                       void *context) {
  CUevent start = nullptr, stop = nullptr;
  if (api.cuEventCreate(&start, 0) || api.cuEventCreate(&stop, 0)) {
    if (start)
      api.cuEventDestroy(start);
    return launch(context);
  }
  api.cuEventRecord(start, stream);
  CUresult result = launch(context);
  api.cuEventRecord(stop, stream);
  float ms = 0;
  if (result == CUDA_SUCCESS && api.cuEventSynchronize(stop) == CUDA_SUCCESS &&
      api.cuEventElapsedTime(&ms, start, stop) == CUDA_SUCCESS) {
    Profile &p = profile();
    std::lock_guard<std::mutex> lock(p.mutex);
    KernelTimes &times = p.kernels[name];
    times.fastestMs = times.launches ? std::min<double>(times.fastestMs, ms) : ms;
    times.totalMs += ms;
    ++times.launches;
  }
  api.cuEventDestroy(start);
  api.cuEventDestroy(stop);
  return result;
}

} // namespace onebit::cuda
