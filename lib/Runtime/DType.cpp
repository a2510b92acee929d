//===- DType.cpp - Element types of the runtime API -----------------------===//
#include "DType.h"

namespace onebit::runtime {

namespace {

struct DTypeDescription {
  onebit_dtype dtype;
  const char *name;
  size_t size;
};

constexpr DTypeDescription kDTypes[] = {
    {ONEBIT_FLOAT32, "float32", 4},   {ONEBIT_UINT8, "uint8", 1},
    {ONEBIT_INT8, "int8", 1},         {ONEBIT_UINT16, "uint16", 2},
    {ONEBIT_INT16, "int16", 2},       {ONEBIT_INT32, "int32", 4},
    {ONEBIT_INT64, "int64", 8},       {ONEBIT_BOOL, "bool", 1},
    {ONEBIT_FLOAT16, "float16", 2},   {ONEBIT_FLOAT64, "float64", 8},
    {ONEBIT_UINT32, "uint32", 4},     {ONEBIT_UINT64, "uint64", 8},
    {ONEBIT_BFLOAT16, "bfloat16", 2},
};

const DTypeDescription *describe(int64_t dtype) {
  for (const DTypeDescription &description : kDTypes)
    if (description.dtype == dtype)
      return &description;
  return nullptr;
}

} // namespace

bool isKnownDType(int64_t value) { return describe(value) != nullptr; }

const char *dtypeName(int64_t dtype) {
  const DTypeDescription *description = describe(dtype);
  return description ? description->name : "unknown";
}

size_t dtypeSize(int64_t dtype) {
  const DTypeDescription *description = describe(dtype);
  return description ? description->size : 0;
}

} // namespace onebit::runtime
