//===- RunTest.cpp - onebit_run on the fake model -------------------------===//
#include "FakeModelRun.h"

#include <gtest/gtest.h>

#include <malloc.h>

#include <atomic>
#include <cstring>
#include <thread>

using namespace onebit::test;

namespace {

/// Checks every output of the fake model for inputs built by FakeInputs.
void expectFakeOutputs(const RunResult &result, const FakeInputs &inputs,
                       int64_t batch) {
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_NE(result.outputs, nullptr);

  const onebit_tensor &y = result[kY];
  EXPECT_EQ(y.dtype, ONEBIT_FLOAT32);
  ASSERT_EQ(y.rank, 2);
  EXPECT_EQ(y.shape[0], batch);
  EXPECT_EQ(y.shape[1], 8);
  for (int64_t i = 0; i < batch * 8; ++i)
    ASSERT_EQ(result.data<float>(kY)[i], inputs.x[size_t(i)] + 1.0f) << i;

  // The transposed view comes out dense, in its own row-major order.
  const onebit_tensor &yT = result[kYTransposed];
  ASSERT_EQ(yT.rank, 2);
  EXPECT_EQ(yT.shape[0], 8);
  EXPECT_EQ(yT.shape[1], batch);
  for (int64_t row = 0; row < 8; ++row)
    for (int64_t column = 0; column < batch; ++column)
      ASSERT_EQ(result.data<float>(kYTransposed)[row * batch + column],
                inputs.x[size_t(column * 8 + row)] + 1.0f);

  const onebit_tensor &echo = result[kXEcho];
  EXPECT_EQ(echo.shape[0], batch);
  EXPECT_NE(echo.data, inputs.x.data()) << "outputs must be copies";
  if (batch > 0) {
    EXPECT_EQ(std::memcmp(echo.data, inputs.x.data(),
                          inputs.x.size() * sizeof(float)),
              0);
  }

  const int64_t *table = result.data<int64_t>(kTable);
  EXPECT_EQ(result[kTable].shape[0], 4);
  EXPECT_EQ(table[0], 10);
  EXPECT_EQ(table[3], 40);

  const int64_t *doubled = result.data<int64_t>(kIdsDoubled);
  EXPECT_EQ(doubled[0], 2);
  EXPECT_EQ(doubled[1], -4);
  EXPECT_EQ(doubled[2], 10);

  EXPECT_EQ(result[kBatch].rank, 0);
  EXPECT_EQ(result.data<int64_t>(kBatch)[0], batch);

  for (int i = 0; i < kNumFakeOutputs; ++i)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(result[i].data) % 64, 0u) << i;
}

TEST(RunTest, ComputesEveryOutput) {
  FakeInputs inputs(5);
  RunResult result(inputs.tensors, 2);
  expectFakeOutputs(result, inputs, 5);
}

TEST(RunTest, DynamicDimensionTakesAnySize) {
  for (int64_t batch : {1, 2, 33, 1000}) {
    FakeInputs inputs(batch);
    RunResult result(inputs.tensors, 2);
    expectFakeOutputs(result, inputs, batch);
  }
}

TEST(RunTest, ZeroSizeInputWithNullData) {
  FakeInputs inputs(0);
  ASSERT_EQ(inputs.tensors[0].data, nullptr);
  RunResult result(inputs.tensors, 2);
  expectFakeOutputs(result, inputs, 0);
  // Empty outputs still get a buffer, so callers need no special case.
  EXPECT_NE(result[kY].data, nullptr);
  EXPECT_NE(result[kXEcho].data, nullptr);
}

TEST(RunTest, ZeroSizeInputWithData) {
  FakeInputs inputs(0);
  float unused = 0.0f;
  inputs.tensors[0].data = &unused;
  RunResult result(inputs.tensors, 2);
  expectFakeOutputs(result, inputs, 0);
}

TEST(RunTest, ConcurrentRunsAreIndependent) {
  constexpr int kThreads = 8;
  constexpr int kRunsPerThread = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([t, &failures] {
      for (int run = 0; run < kRunsPerThread; ++run) {
        // Every thread and run uses its own batch size and values, so a
        // result crossing over between runs would show.
        int64_t batch = 1 + (t * 7 + run) % 13;
        FakeInputs inputs(batch);
        inputs.ids[0] = t * 1000 + run;
        RunResult result(inputs.tensors, 2);
        bool good = result.ok() && result[kY].shape[0] == batch &&
                    result.data<int64_t>(kIdsDoubled)[0] == 2 * inputs.ids[0] &&
                    result.data<int64_t>(kBatch)[0] == batch;
        for (int64_t i = 0; good && i < batch * 8; ++i)
          good = result.data<float>(kY)[i] == inputs.x[size_t(i)] + 1.0f;
        if (!good)
          ++failures;
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
}

size_t heapBytesInUse() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

TEST(RunTest, OutputsAreFreedWithoutLeaks) {
  // A leak of any output buffer, ours or the generated code's, would grow the
  // heap by at least 8 bytes a run; 20000 runs make that 160 KB at the very
  // least, far above the allocator's own noise.
  FakeInputs inputs(16);
  { RunResult warmUp(inputs.tensors, 2); }
  size_t before = heapBytesInUse();
  for (int run = 0; run < 20000; ++run) {
    RunResult result(inputs.tensors, 2);
    ASSERT_TRUE(result.ok()) << result.error;
  }
  size_t after = heapBytesInUse();
  EXPECT_LT(after, before + 64 * 1024)
      << "heap grew from " << before << " to " << after << " bytes";
}

TEST(RunTest, FreeOutputsIgnoresNull) { onebit_free_outputs(nullptr); }

} // namespace
