//===- NumThreadsTest.cpp - onebit_num_threads ----------------------------===//
#include "onebit/Runtime/onebit_runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

namespace {

int32_t allCores() {
  unsigned cores = std::thread::hardware_concurrency();
  return cores ? int32_t(cores) : 1;
}

int32_t threadsWith(const char *value) {
  if (value)
    setenv("ONEBIT_NUM_THREADS", value, 1);
  else
    unsetenv("ONEBIT_NUM_THREADS");
  int32_t threads = onebit_num_threads();
  unsetenv("ONEBIT_NUM_THREADS");
  return threads;
}

TEST(NumThreadsTest, DefaultsToAllCores) {
  EXPECT_EQ(threadsWith(nullptr), allCores());
}

TEST(NumThreadsTest, EnvironmentOverrides) {
  EXPECT_EQ(threadsWith("3"), 3);
  EXPECT_EQ(threadsWith("1"), 1);
  EXPECT_EQ(threadsWith("512"), 512);
}

TEST(NumThreadsTest, InvalidValuesAreIgnored) {
  for (const char *value : {"", "0", "-2", "abc", "4x", " 4", "99999999999"})
    EXPECT_EQ(threadsWith(value), allCores()) << "'" << value << "'";
}

} // namespace
