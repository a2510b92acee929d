//===- ValidationTest.cpp - onebit_run rejects bad inputs clearly ---------===//
#include "FakeModelRun.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace onebit::test;

namespace {

/// The message onebit_run fails with; also checks it leaves no outputs.
std::string runError(const onebit_tensor *inputs, int32_t numInputs) {
  onebit_tensor *outputs = reinterpret_cast<onebit_tensor *>(0x1);
  onebit_status status = onebit_run(inputs, numInputs, &outputs);
  EXPECT_EQ(outputs, nullptr);
  if (!status)
    return "(no error)";
  std::string message = onebit_status_message(status);
  onebit_status_free(status);
  return message;
}

TEST(ValidationTest, WrongNumberOfInputs) {
  FakeInputs inputs(2);
  EXPECT_EQ(runError(inputs.tensors, 1), "expected 2 inputs, got 1");
  EXPECT_EQ(runError(inputs.tensors, 3), "expected 2 inputs, got 3");
  EXPECT_EQ(runError(inputs.tensors, -1), "expected 2 inputs, got -1");
}

TEST(ValidationTest, NullInputsArray) {
  EXPECT_EQ(runError(nullptr, 2),
            "the inputs array is NULL (expected 2 inputs)");
}

TEST(ValidationTest, NullOutputsPointer) {
  FakeInputs inputs(2);
  onebit_status status = onebit_run(inputs.tensors, 2, nullptr);
  ASSERT_NE(status, nullptr);
  EXPECT_STREQ(onebit_status_message(status), "onebit_run: `outputs` is NULL");
  onebit_status_free(status);
}

TEST(ValidationTest, WrongDType) {
  FakeInputs inputs(2);
  inputs.tensors[1].dtype = ONEBIT_FLOAT32;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'input_ids': expected dtype int64, got float32");
  inputs.tensors[1].dtype = ONEBIT_INT64;
  inputs.tensors[0].dtype = ONEBIT_BFLOAT16;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'x': expected dtype float32, got bfloat16");
}

TEST(ValidationTest, UnknownDType) {
  FakeInputs inputs(2);
  // Written as the raw int a C or Python caller could store: 42 is no
  // onebit_dtype, and forming it as one would be undefined in C++.
  int unknown = 42;
  std::memcpy(&inputs.tensors[0].dtype, &unknown, sizeof(unknown));
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'x': expected dtype float32, got unknown dtype 42");
}

TEST(ValidationTest, WrongRank) {
  FakeInputs inputs(2);
  inputs.tensors[0].rank = 3;
  inputs.tensors[0].shape[2] = 1;
  EXPECT_EQ(runError(inputs.tensors, 2), "input 'x': expected rank 2, got 3");
  inputs.tensors[0].rank = 0;
  EXPECT_EQ(runError(inputs.tensors, 2), "input 'x': expected rank 2, got 0");
}

TEST(ValidationTest, RankOutOfRange) {
  FakeInputs inputs(2);
  inputs.tensors[1].rank = 9;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'input_ids': rank 9 is out of range [0, 8] (expected rank "
            "1)");
  inputs.tensors[1].rank = -1;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'input_ids': rank -1 is out of range [0, 8] (expected rank "
            "1)");
}

TEST(ValidationTest, StaticDimensionMismatch) {
  FakeInputs inputs(2);
  inputs.tensors[0].shape[1] = 7;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'x': dimension 1 is 7, expected 8");
  inputs.tensors[0].shape[1] = 8;
  inputs.tensors[1].shape[0] = 4;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'input_ids': dimension 0 is 4, expected 3");
}

TEST(ValidationTest, NegativeDimension) {
  FakeInputs inputs(2);
  inputs.tensors[0].shape[0] = -1;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'x': dimension 0 is -1, must be >= 0");
}

TEST(ValidationTest, NullDataForNonEmptyTensor) {
  FakeInputs inputs(2);
  inputs.tensors[0].data = nullptr;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'x': data is NULL but the tensor has 16 elements");
}

TEST(ValidationTest, TooLargeToAddress) {
  FakeInputs inputs(2);
  inputs.tensors[0].shape[0] = int64_t(1) << 61;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'x': the tensor is too large to address");
}

TEST(ValidationTest, FirstBadInputIsReported) {
  FakeInputs inputs(2);
  inputs.tensors[0].shape[1] = 9;
  inputs.tensors[1].dtype = ONEBIT_INT32;
  EXPECT_EQ(runError(inputs.tensors, 2),
            "input 'x': dimension 1 is 9, expected 8");
}

TEST(ValidationTest, StatusHelpersAcceptNull) {
  EXPECT_STREQ(onebit_status_message(nullptr), "");
  onebit_status_free(nullptr);
}

} // namespace
