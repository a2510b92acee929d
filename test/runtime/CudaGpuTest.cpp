//===- CudaGpuTest.cpp - The CUDA runtime on a real GPU -------------------===//
//
// Memory, constants, kernels, streams and errors through the mgpu* entry
// points, and a cuda model.so through the C API, on the GPU of this
// machine. Every test is skipped, saying why, where no GPU can be used.
//
//===----------------------------------------------------------------------===//
#include "../../lib/Runtime/Cuda/GpuEntryPoints.h"
#include "CudaTestKernel.h"
#include "FakeCudaModelApi.h"
#include "onebit/Runtime/onebit_runtime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern "C" const char *onebit_target_check(void);
extern "C" const char *onebit_target_take_error(void);

namespace {

using namespace onebit;

#define SKIP_WITHOUT_GPU()                                                     \
  do {                                                                         \
    if (const char *why = onebit_target_check())                               \
      GTEST_SKIP() << "no usable CUDA GPU here: " << why;                      \
  } while (false)

/// The test kernel's module, loaded once for the process.
void *kernelModule() {
  static void *module = mgpuModuleLoad(
      const_cast<char *>(test::kAddConstantPtx), sizeof(test::kAddConstantPtx));
  return module;
}

/// y = x + c[0] on the GPU for n elements, as generated code launches.
void launchAddConstant(void *function, void *x, void *c, void *y, int64_t n,
                       intptr_t block = 128) {
  void *params[] = {&x, &c, &y, &n};
  void *stream = mgpuStreamCreate();
  mgpuLaunchKernel(function, (n + 127) / 128, 1, 1, block, 1, 1, 0, stream,
                   params, nullptr, 4);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
}

std::string takeError() {
  const char *error = onebit_target_take_error();
  return error ? error : "";
}

TEST(CudaGpuTest, MemoryRoundTrips) {
  SKIP_WITHOUT_GPU();
  const size_t count = 1000;
  std::vector<uint32_t> host(count), back(count, 0);
  for (size_t i = 0; i < count; ++i)
    host[i] = uint32_t(i * 2654435761u);
  void *stream = mgpuStreamCreate();
  ASSERT_NE(stream, nullptr);
  void *device = mgpuMemAlloc(count * 4, stream, false);
  void *managed = mgpuMemAlloc(count * 4, nullptr, true);
  ASSERT_NE(device, nullptr);
  ASSERT_NE(managed, nullptr);
  mgpuMemcpy(device, host.data(), count * 4, stream);
  mgpuMemcpy(managed, device, count * 4, stream);
  mgpuMemcpy(back.data(), managed, count * 4, stream);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(back, host);
  // Host code reads managed memory directly.
  EXPECT_EQ(std::memcmp(managed, host.data(), count * 4), 0);

  mgpuMemset32(device, 0xdeadbeefu, count, stream);
  mgpuMemcpy(back.data(), device, count * 4, stream);
  mgpuStreamSynchronize(stream);
  for (uint32_t value : back)
    ASSERT_EQ(value, 0xdeadbeefu);
  mgpuMemset16(managed, 0x1234, count * 2, stream);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(static_cast<uint16_t *>(managed)[count * 2 - 1], 0x1234);

  // Synchronous (null stream) operations are done when they return.
  mgpuMemcpy(managed, host.data(), count * 4, nullptr);
  EXPECT_EQ(std::memcmp(managed, host.data(), count * 4), 0);

  mgpuMemFree(device, stream);
  mgpuMemFree(managed, nullptr);
  mgpuStreamDestroy(stream);
  EXPECT_EQ(takeError(), "");
}

TEST(CudaGpuTest, FreedBlocksAreReused) {
  SKIP_WITHOUT_GPU();
  void *first = mgpuMemAlloc(12345, nullptr, true);
  mgpuMemFree(first, nullptr);
  void *again = mgpuMemAlloc(12345, nullptr, true);
  EXPECT_EQ(again, first);
  // Another kind or size never gets it.
  void *device = mgpuMemAlloc(12345, nullptr, false);
  EXPECT_NE(device, again);
  mgpuMemFree(again, nullptr);
  void *bigger = mgpuMemAlloc(12346, nullptr, true);
  EXPECT_NE(bigger, again);
  mgpuMemFree(bigger, nullptr);
  mgpuMemFree(device, nullptr);
  EXPECT_NE(mgpuMemAlloc(0, nullptr, true), nullptr);
  EXPECT_EQ(takeError(), "");
}

TEST(CudaGpuTest, ConstantsAreCopiedOnce) {
  SKIP_WITHOUT_GPU();
  static const float weights[3] = {0.5f, -1.5f, 2.0f};
  void *slot = nullptr;
  void *copy = onebit_cuda_constant(&slot, weights, sizeof(weights));
  ASSERT_NE(copy, nullptr);
  EXPECT_NE(copy, static_cast<const void *>(weights));
  EXPECT_EQ(slot, copy);
  EXPECT_EQ(onebit_cuda_constant(&slot, weights, sizeof(weights)), copy);
  // Managed memory: host code may read it too.
  EXPECT_EQ(std::memcmp(copy, weights, sizeof(weights)), 0);
  void *emptySlot = nullptr;
  EXPECT_NE(onebit_cuda_constant(&emptySlot, weights, 0), nullptr);

  // From many threads at once: one copy.
  static const float more[2] = {7, 8};
  void *sharedSlot = nullptr;
  std::vector<void *> seen(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < seen.size(); ++t)
    threads.emplace_back([&, t] {
      seen[t] = onebit_cuda_constant(&sharedSlot, more, sizeof(more));
    });
  for (std::thread &thread : threads)
    thread.join();
  for (void *pointer : seen)
    EXPECT_EQ(pointer, sharedSlot);
  EXPECT_EQ(takeError(), "");
}

TEST(CudaGpuTest, KernelsLaunch) {
  SKIP_WITHOUT_GPU();
  void *module = kernelModule();
  ASSERT_NE(module, nullptr) << takeError();
  void *function = mgpuModuleGetFunction(module, test::kAddConstantName);
  ASSERT_NE(function, nullptr) << takeError();
  // Looked up once: the same handle, by address or by text.
  EXPECT_EQ(mgpuModuleGetFunction(module, test::kAddConstantName), function);
  std::string name = test::kAddConstantName;
  EXPECT_EQ(mgpuModuleGetFunction(module, name.c_str()), function);

  const int64_t n = 1000;
  auto *x = static_cast<float *>(mgpuMemAlloc(n * 4, nullptr, true));
  auto *y = static_cast<float *>(mgpuMemAlloc(n * 4, nullptr, true));
  for (int64_t i = 0; i < n; ++i)
    x[i] = float(i);
  static const float three[1] = {3.0f};
  void *slot = nullptr;
  void *c = onebit_cuda_constant(&slot, three, sizeof(three));
  launchAddConstant(function, x, c, y, n);
  EXPECT_EQ(takeError(), "");
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(y[i], float(i) + 3.0f) << i;
  mgpuMemFree(x, nullptr);
  mgpuMemFree(y, nullptr);

  // The JIT entry point loads the same PTX.
  void *jitted = mgpuModuleLoadJIT(const_cast<char *>(test::kAddConstantPtx), 2,
                                   sizeof(test::kAddConstantPtx));
  EXPECT_NE(jitted, nullptr) << takeError();
  EXPECT_NE(mgpuModuleGetFunction(jitted, test::kAddConstantName), nullptr);
  mgpuModuleUnload(jitted);
}

TEST(CudaGpuTest, StreamsAreReused) {
  SKIP_WITHOUT_GPU();
  void *first = mgpuStreamCreate();
  void *second = mgpuStreamCreate();
  ASSERT_NE(first, nullptr);
  EXPECT_NE(first, second); // Held at once: never shared.
  mgpuStreamDestroy(second);
  mgpuStreamDestroy(first);
  void *again = mgpuStreamCreate();
  EXPECT_TRUE(again == first || again == second);
  mgpuStreamDestroy(again);
}

TEST(CudaGpuTest, LaunchErrorsAreReportedOnceAndThenCleared) {
  SKIP_WITHOUT_GPU();
  void *function =
      mgpuModuleGetFunction(kernelModule(), test::kAddConstantName);
  ASSERT_NE(function, nullptr);
  auto *x = static_cast<float *>(mgpuMemAlloc(4096, nullptr, true));
  // 2048 threads per block: more than any GPU allows.
  launchAddConstant(function, x, x, x, 1024, /*block=*/2048);
  // While the error is pending, this thread's GPU work is skipped.
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  std::string error = takeError();
  EXPECT_NE(error.find("CUDA error launching kernel 'add_constant'"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("block 2048 x 1 x 1"), std::string::npos) << error;
  EXPECT_EQ(takeError(), "");

  // And afterwards it works again.
  static const float one[1] = {1.0f};
  void *slot = nullptr;
  x[0] = 41.0f;
  launchAddConstant(function, x, onebit_cuda_constant(&slot, one, 4), x, 1);
  EXPECT_EQ(takeError(), "");
  EXPECT_EQ(x[0], 42.0f);
  mgpuMemFree(x, nullptr);

  // A launch without a kernel (its module failed to load) is an error.
  launchAddConstant(nullptr, x, x, x, 1);
  EXPECT_NE(takeError().find("no kernel"), std::string::npos);
}

TEST(CudaGpuTest, ModelRunsThroughTheCApi) {
  SKIP_WITHOUT_GPU();
  void *library =
      dlopen(onebit::test::fakeCudaModelPath(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  onebit::test::ModelApi api(library);
  ASSERT_TRUE(api.complete());
  if (onebit_status status = api.check()) {
    ADD_FAILURE() << api.message(status);
    api.freeStatus(status);
  }

  // Several threads, many runs each: streams, cached blocks and the
  // constant are shared, results never mixed up.
  auto runMany = [&](int seed, int runs) {
    int failures = 0;
    for (int r = 0; r < runs; ++r) {
      int64_t n = 1 + (seed * 37 + r * 11) % 3000;
      std::vector<float> x(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        x[size_t(i)] = float(seed * 1000 + i);
      onebit_tensor input = {x.data(), ONEBIT_FLOAT32, 1, {n}};
      onebit_tensor *outputs = nullptr;
      if (onebit_status status = api.run(&input, 1, &outputs)) {
        ADD_FAILURE() << api.message(status);
        api.freeStatus(status);
        return;
      }
      auto *y = static_cast<const float *>(outputs[0].data);
      for (int64_t i = 0; i < n; ++i)
        failures += y[i] != x[size_t(i)] + 1.0f;
      api.freeOutputs(outputs);
    }
    EXPECT_EQ(failures, 0) << "thread " << seed;
  };
  runMany(0, 5);
  std::vector<std::thread> threads;
  for (int t = 1; t <= 4; ++t)
    threads.emplace_back(runMany, t, 25);
  for (std::thread &thread : threads)
    thread.join();

  // Unloading frees the model's GPU memory and must not crash.
  EXPECT_EQ(dlclose(library), 0);
}

} // namespace
