//===- SignatureParserTest.cpp - Parsing ModelABI.h's signature text ------===//
//
// Links the runtime archive statically and calls its parser directly: the
// parser's objects do not refer to the model's symbols, so no model is
// needed.
//
//===----------------------------------------------------------------------===//
#include "Signature.h"

#include <gtest/gtest.h>

using namespace onebit::runtime;

namespace {

std::string parseError(const char *text) {
  ModelSignature signature;
  std::string error;
  if (parseSignature(text, signature, error))
    return "(parsed)";
  EXPECT_TRUE(signature.inputs.empty());
  EXPECT_TRUE(signature.outputs.empty());
  return error;
}

TEST(SignatureParserTest, ParsesInputsAndOutputs) {
  ModelSignature signature;
  std::string error;
  ASSERT_TRUE(parseSignature("in\tinput_ids\t7\t1,-1\n"
                             "in\tmask\t9\t\n"
                             "out\tlogits\t1\t1,-1,32000\n",
                             signature, error))
      << error;
  ASSERT_EQ(signature.inputs.size(), 2u);
  ASSERT_EQ(signature.outputs.size(), 1u);
  const TensorSignature &ids = signature.inputs[0];
  EXPECT_EQ(ids.name, "input_ids");
  EXPECT_EQ(ids.dtype, ONEBIT_INT64);
  EXPECT_EQ(ids.shape, (std::vector<int64_t>{1, -1}));
  EXPECT_STREQ(ids.info.name, "input_ids");
  EXPECT_EQ(ids.info.rank, 2);
  EXPECT_EQ(ids.info.shape, ids.shape.data());
  EXPECT_EQ(signature.inputs[1].info.rank, 0);
  EXPECT_EQ(signature.inputs[1].dtype, ONEBIT_BOOL);
  EXPECT_EQ(signature.outputs[0].shape[2], 32000);
}

TEST(SignatureParserTest, LastNewlineIsOptional) {
  ModelSignature signature;
  std::string error;
  ASSERT_TRUE(parseSignature("out\ty\t1\t2", signature, error)) << error;
  EXPECT_EQ(signature.outputs[0].shape, (std::vector<int64_t>{2}));
}

TEST(SignatureParserTest, OutputMayShareAnInputsName) {
  ModelSignature signature;
  std::string error;
  EXPECT_TRUE(parseSignature("in\tx\t1\t2\nout\tx\t1\t2\n", signature, error))
      << error;
}

TEST(SignatureParserTest, Errors) {
  EXPECT_EQ(parseError(nullptr), "the model has no signature");
  EXPECT_EQ(parseError(""), "the model declares no outputs");
  EXPECT_EQ(parseError("in\tx\t1\t2\n"), "the model declares no outputs");
  EXPECT_EQ(parseError("in x 1 2\n"),
            "line 1: expected 4 tab-separated fields, found 1");
  EXPECT_EQ(parseError("out\ty\t1\t2\textra\n"),
            "line 1: expected 4 tab-separated fields, found 5");
  EXPECT_EQ(parseError("input\tx\t1\t2\n"),
            "line 1: direction 'input' is neither 'in' nor 'out'");
  EXPECT_EQ(parseError("in\t\t1\t2\n"), "line 1: the tensor has no name");
  EXPECT_EQ(parseError("in\tx\t99\t2\n"),
            "line 1: dtype '99' of 'x' is not an onebit_dtype number");
  EXPECT_EQ(parseError("in\tx\tfloat\t2\n"),
            "line 1: dtype 'float' of 'x' is not an onebit_dtype number");
  EXPECT_EQ(parseError("in\tx\t1\t2,-2\n"),
            "line 1: 'x': dimension '-2' is neither a size >= 0 nor -1 "
            "(dynamic)");
  EXPECT_EQ(parseError("in\tx\t1\t2,,3\n"),
            "line 1: 'x': dimension '' is neither a size >= 0 nor -1 "
            "(dynamic)");
  EXPECT_EQ(parseError("in\tx\t1\t?\n"),
            "line 1: 'x': dimension '?' is neither a size >= 0 nor -1 "
            "(dynamic)");
  EXPECT_EQ(parseError("in\tx\t1\t1,1,1,1,1,1,1,1,1\n"),
            "line 1: 'x': rank 9 exceeds the maximum of 8");
  EXPECT_EQ(parseError("out\ty\t1\t2\nin\tx\t1\t2\n"),
            "line 2: input 'x' follows an output");
  EXPECT_EQ(parseError("in\tx\t1\t2\nin\tx\t1\t3\nout\ty\t1\t2\n"),
            "line 2: input 'x' is declared twice");
  EXPECT_EQ(parseError("out\ty\t1\t2\nout\ty\t1\t3\n"),
            "line 2: output 'y' is declared twice");
}

} // namespace
