//===- CudaErrorTest.cpp - The CUDA runtime where no GPU can be used ------===//
//
// Run three times by ctest, once per machine that cannot run a cuda model
// (ONEBIT_CUDA_TEST_EXPECT, with ONEBIT_CUDA_DRIVER pointing at a missing
// file or at the fake driver of FakeCudaDriver.cpp):
//
//   missing  no libcuda.so.1 (the default when run by hand)
//   old      a CUDA 11.8 driver
//   nogpu    a driver but no GPU
//
// The runtime initializes the driver once per process, so one process sees
// one machine. Everything must fail softly: a readable message from the
// target check, no-op entry points, no crash, and the C API of a cuda
// model.so reporting the message.
//
//===----------------------------------------------------------------------===//
#include "../../lib/Runtime/Cuda/GpuEntryPoints.h"
#include "CudaTestKernel.h"
#include "FakeCudaModelApi.h"
#include "onebit/Runtime/onebit_runtime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <string>

// The hooks, defined (strongly) in the linked OnebitCudaRuntime.
extern "C" const char *onebit_target_check(void);
extern "C" const char *onebit_target_take_error(void);

namespace {

using namespace onebit;

/// Before anything can initialize the driver: without ctest's environment,
/// test the missing-driver case.
const bool environmentReady = [] {
  if (!std::getenv("ONEBIT_CUDA_TEST_EXPECT")) {
    setenv("ONEBIT_CUDA_TEST_EXPECT", "missing", 1);
    setenv("ONEBIT_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  }
  return true;
}();

std::string expectedMessage() {
  std::string scenario = std::getenv("ONEBIT_CUDA_TEST_EXPECT");
  if (scenario == "old")
    return "this model runs on CUDA, but the CUDA driver is version 11.8; "
           "onebit needs 12.0 or newer";
  if (scenario == "nogpu")
    return "this model runs on CUDA, but no CUDA GPU was found (cuInit: "
           "CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected)";
  return std::string("this model runs on CUDA, but ") +
         std::getenv("ONEBIT_CUDA_DRIVER") + " cannot be loaded: ";
}

void expectMessage(const char *message) {
  ASSERT_NE(message, nullptr);
  // The missing-driver message goes on with dlerror's text.
  EXPECT_EQ(std::string(message).substr(0, expectedMessage().size()),
            expectedMessage())
      << message;
}

TEST(CudaErrorTest, TargetCheckSaysWhy) {
  ASSERT_TRUE(environmentReady);
  expectMessage(onebit_target_check());
  // The same text every time: the error is fatal and never changes.
  EXPECT_EQ(onebit_target_check(), onebit_target_check());
}

TEST(CudaErrorTest, EntryPointsAreSafeNoOps) {
  void *module = mgpuModuleLoad(const_cast<char *>(test::kAddConstantPtx),
                                sizeof(test::kAddConstantPtx));
  EXPECT_EQ(module, nullptr);
  EXPECT_EQ(mgpuModuleLoadJIT(const_cast<char *>(test::kAddConstantPtx), 2,
                              sizeof(test::kAddConstantPtx)),
            nullptr);
  void *function = mgpuModuleGetFunction(module, test::kAddConstantName);
  EXPECT_EQ(function, nullptr);
  void *stream = mgpuStreamCreate();
  EXPECT_EQ(stream, nullptr);
  void *event = mgpuEventCreate();
  EXPECT_EQ(event, nullptr);

  // Memory is zeroed host memory, so that host code of the failing run can
  // read and write it without crashing.
  auto *buffer = static_cast<unsigned char *>(mgpuMemAlloc(4096, stream, true));
  ASSERT_NE(buffer, nullptr);
  for (int i = 0; i < 4096; ++i)
    ASSERT_EQ(buffer[i], 0) << i;
  buffer[4095] = 7;
  void *device = mgpuMemAlloc(64, stream, false);
  ASSERT_NE(device, nullptr);
  EXPECT_NE(mgpuMemAlloc(0, stream, true), nullptr);

  void *params[] = {&buffer};
  mgpuLaunchKernel(function, 1, 1, 1, 128, 1, 1, 0, stream, params, nullptr, 1);
  mgpuMemcpy(device, buffer, 64, stream);
  mgpuMemcpy(nullptr, buffer, 64, nullptr);
  mgpuMemset32(device, 5u, 16, stream);
  mgpuMemset16(nullptr, 5, 16, stream);
  mgpuEventRecord(event, stream);
  mgpuStreamWaitEvent(stream, event);
  mgpuEventSynchronize(event);
  mgpuEventDestroy(event);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  mgpuMemFree(buffer, stream);
  mgpuMemFree(device, nullptr);
  mgpuMemFree(nullptr, nullptr);
  mgpuModuleUnload(module);

  // The fatal error is what every run reports, and taking it leaves it.
  expectMessage(onebit_target_take_error());
  expectMessage(onebit_target_take_error());
}

TEST(CudaErrorTest, ConstantsFallBackToTheHostCopy) {
  static const float weights[4] = {1, 2, 3, 4};
  void *slot = nullptr;
  void *copy = onebit_cuda_constant(&slot, weights, sizeof(weights));
  // Never a device pointer (there is no device), and host code can read it.
  EXPECT_EQ(copy, weights);
  EXPECT_EQ(slot, nullptr);
  EXPECT_EQ(static_cast<const float *>(copy)[3], 4.0f);
  EXPECT_NE(onebit_cuda_constant(&slot, nullptr, 0), nullptr);
}

TEST(CudaErrorTest, ModelReportsTheErrorThroughTheCApi) {
  // Loading runs the model's constructor, which loads its kernels: that
  // must fail softly, inside dlopen.
  void *library =
      dlopen(onebit::test::fakeCudaModelPath(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  onebit::test::ModelApi api(library);
  ASSERT_TRUE(api.complete());

  onebit_status status = api.check();
  ASSERT_NE(status, nullptr);
  expectMessage(api.message(status));
  api.freeStatus(status);
  // The signature itself is fine.
  EXPECT_EQ(api.numInputs(), 1);

  float x[5] = {1, 2, 3, 4, 5};
  onebit_tensor input = {x, ONEBIT_FLOAT32, 1, {5}};
  onebit_tensor *outputs = reinterpret_cast<onebit_tensor *>(&input);
  status = api.run(&input, 1, &outputs);
  ASSERT_NE(status, nullptr);
  expectMessage(api.message(status));
  EXPECT_EQ(outputs, nullptr);
  api.freeStatus(status);
  EXPECT_EQ(dlclose(library), 0);
}

} // namespace
