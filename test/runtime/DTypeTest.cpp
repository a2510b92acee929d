//===- DTypeTest.cpp - The runtime's element types ------------------------===//
//
// Every onebit_dtype is ONNX's TensorProto.DataType number with numpy's name
// and item size, the unsigned ones included.
//
//===----------------------------------------------------------------------===//

#include "DType.h"

#include <gtest/gtest.h>

#include <string>

using namespace onebit::runtime;

TEST(DTypeTest, NumbersNamesAndSizesAreOnnxAndNumpys) {
  struct Expected {
    int64_t number;
    const char *name;
    size_t size;
  };
  // TensorProto.DataType: FLOAT=1 UINT8=2 INT8=3 UINT16=4 INT16=5 INT32=6
  // INT64=7 BOOL=9 FLOAT16=10 DOUBLE=11 UINT32=12 UINT64=13 BFLOAT16=16.
  const Expected all[] = {
      {1, "float32", 4}, {2, "uint8", 1},   {3, "int8", 1},
      {4, "uint16", 2},  {5, "int16", 2},   {6, "int32", 4},
      {7, "int64", 8},   {9, "bool", 1},    {10, "float16", 2},
      {11, "float64", 8}, {12, "uint32", 4}, {13, "uint64", 8},
      {16, "bfloat16", 2},
  };
  for (const Expected &e : all) {
    EXPECT_TRUE(isKnownDType(e.number)) << e.number;
    EXPECT_EQ(std::string(dtypeName(e.number)), e.name) << e.number;
    EXPECT_EQ(dtypeSize(e.number), e.size) << e.number;
  }
}

TEST(DTypeTest, OthersAreUnknown) {
  for (int64_t number : {0, 8, 14, 15, 17, -1}) {
    EXPECT_FALSE(isKnownDType(number)) << number;
    EXPECT_EQ(std::string(dtypeName(number)), "unknown");
    EXPECT_EQ(dtypeSize(number), 0u);
  }
}
