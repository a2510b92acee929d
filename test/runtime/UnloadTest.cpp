//===- UnloadTest.cpp - A model.so with a running pool unloads cleanly ----===//
//
// dlopens the fake model (whose y output is a parallel loop), runs it so its
// pool starts workers, and dlcloses it: the library must really go away and
// take its workers with it (a worker left behind would run unmapped code).
// Then the same again, to show a reloaded model starts afresh.
//
//===----------------------------------------------------------------------===//
#include "onebit/Runtime/onebit_runtime.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <dlfcn.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "ThreadCount.h"

namespace {

using onebit::test::countThreads;
using onebit::test::threadsInProcess;

template <typename F> F lookup(void *library, const char *name) {
  return reinterpret_cast<F>(dlsym(library, name));
}

/// Runs the fake model once on a batch of 64 rows; true if y == x + 1.
bool runFakeModel(void *library) {
  auto run = lookup<decltype(&onebit_run)>(library, "onebit_run");
  auto freeOutputs =
      lookup<decltype(&onebit_free_outputs)>(library, "onebit_free_outputs");
  auto freeStatus =
      lookup<decltype(&onebit_status_free)>(library, "onebit_status_free");
  if (!run || !freeOutputs || !freeStatus)
    return false;
  const int64_t batch = 64;
  std::vector<float> x(batch * 8);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float(i) * 0.25f;
  int64_t ids[3] = {1, 2, 3};
  onebit_tensor inputs[2] = {};
  inputs[0] = {x.data(), ONEBIT_FLOAT32, 2, {batch, 8}};
  inputs[1] = {ids, ONEBIT_INT64, 1, {3}};
  onebit_tensor *outputs = nullptr;
  if (onebit_status status = run(inputs, 2, &outputs)) {
    freeStatus(status);
    return false;
  }
  bool right = true;
  auto *y = static_cast<const float *>(outputs[0].data);
  for (size_t i = 0; i < x.size(); ++i)
    right = right && y[i] == x[i] + 1.0f;
  freeOutputs(outputs);
  return right;
}

TEST(UnloadTest, DlcloseStopsTheWorkers) {
  setenv("ONEBIT_NUM_THREADS", "4", 1);
  const int before = countThreads();
  for (int round = 0; round < 3; ++round) {
    void *library = dlopen(ONEBIT_FAKE_MODEL_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(library, nullptr) << dlerror();
    EXPECT_TRUE(runFakeModel(library)) << "round " << round;
    EXPECT_EQ(threadsInProcess(before + 3), before + 3)
        << "round " << round << ": ONEBIT_NUM_THREADS=4 means 3 workers";
    ASSERT_EQ(dlclose(library), 0) << dlerror();
    EXPECT_EQ(dlopen(ONEBIT_FAKE_MODEL_PATH, RTLD_NOW | RTLD_NOLOAD), nullptr)
        << "round " << round << ": the model stayed loaded after dlclose";
    EXPECT_EQ(threadsInProcess(before), before)
        << "round " << round << ": workers outlived dlclose";
  }
}

} // namespace
