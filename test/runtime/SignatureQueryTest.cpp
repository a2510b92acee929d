//===- SignatureQueryTest.cpp - The fake model's signature via the C API --===//
#include "onebit/Runtime/onebit_runtime.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

std::vector<int64_t> shapeOf(const onebit_tensor_info *info) {
  return std::vector<int64_t>(info->shape, info->shape + info->rank);
}

TEST(SignatureQueryTest, SignatureIsWellFormed) {
  EXPECT_EQ(onebit_check_signature(), nullptr);
}

TEST(SignatureQueryTest, Counts) {
  EXPECT_EQ(onebit_num_inputs(), 2);
  EXPECT_EQ(onebit_num_outputs(), 6);
}

TEST(SignatureQueryTest, Inputs) {
  const onebit_tensor_info *x = onebit_input_info(0);
  ASSERT_NE(x, nullptr);
  EXPECT_STREQ(x->name, "x");
  EXPECT_EQ(x->dtype, ONEBIT_FLOAT32);
  EXPECT_EQ(shapeOf(x), (std::vector<int64_t>{-1, 8}));

  const onebit_tensor_info *ids = onebit_input_info(1);
  ASSERT_NE(ids, nullptr);
  EXPECT_STREQ(ids->name, "input_ids");
  EXPECT_EQ(ids->dtype, ONEBIT_INT64);
  EXPECT_EQ(shapeOf(ids), (std::vector<int64_t>{3}));
}

TEST(SignatureQueryTest, Outputs) {
  const char *names[] = {"y",     "y_transposed", "x_echo",
                         "table", "ids_doubled",  "batch"};
  for (int i = 0; i < 6; ++i) {
    const onebit_tensor_info *info = onebit_output_info(i);
    ASSERT_NE(info, nullptr) << i;
    EXPECT_STREQ(info->name, names[i]);
  }
  EXPECT_EQ(shapeOf(onebit_output_info(1)), (std::vector<int64_t>{8, -1}));
  const onebit_tensor_info *batch = onebit_output_info(5);
  EXPECT_EQ(batch->rank, 0);
  EXPECT_EQ(batch->dtype, ONEBIT_INT64);
}

TEST(SignatureQueryTest, OutOfRangeIsNull) {
  EXPECT_EQ(onebit_input_info(-1), nullptr);
  EXPECT_EQ(onebit_input_info(2), nullptr);
  EXPECT_EQ(onebit_output_info(-1), nullptr);
  EXPECT_EQ(onebit_output_info(6), nullptr);
}

TEST(SignatureQueryTest, InfoIsStable) {
  // The same object every time: callers may keep the pointers.
  EXPECT_EQ(onebit_input_info(0), onebit_input_info(0));
  EXPECT_EQ(onebit_input_info(0)->name, onebit_input_info(0)->name);
}

} // namespace
