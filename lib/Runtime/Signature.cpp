//===- Signature.cpp - Parse the model's declared inputs and outputs ------===//
#include "Signature.h"
#include "DType.h"
#include "Status.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace onebit::runtime {

namespace {

// A note on containers: a model.so exports every out-of-line member of a
// standard template instantiated over only builtin types (push_back's
// growth path of a std::vector<int64_t>, say), hidden visibility or not. So
// the runtime sizes such vectors once and never grows them; the exports test
// in test/runtime guards this.

/// Cuts the piece of `rest` before the first `separator` (or all of it) and
/// leaves in `rest` what follows the separator.
std::string takeUntil(std::string &rest, char separator) {
  size_t end = rest.find(separator);
  std::string piece = rest.substr(0, end);
  rest = end == std::string::npos ? std::string() : rest.substr(end + 1);
  return piece;
}

/// A whole-string decimal integer; false on anything else (including
/// overflow and surrounding spaces).
bool parseInteger(const std::string &text, int64_t &value) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
    return false;
  errno = 0;
  char *end = nullptr;
  long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  value = parsed;
  return true;
}

bool parseDims(const std::string &text, std::vector<int64_t> &shape,
               std::string &error) {
  if (text.empty()) {
    shape.clear(); // A scalar.
    return true;
  }
  size_t rank =
      static_cast<size_t>(std::count(text.begin(), text.end(), ',')) + 1;
  if (rank > ONEBIT_MAX_RANK) {
    error = formatString("rank %zu exceeds the maximum of %d", rank,
                         ONEBIT_MAX_RANK);
    return false;
  }
  shape = std::vector<int64_t>(rank);
  std::string rest = text;
  for (size_t dim = 0; dim < rank; ++dim) {
    std::string piece = takeUntil(rest, ',');
    if (!parseInteger(piece, shape[dim]) || shape[dim] < kDynamicDim) {
      error =
          "dimension '" + piece + "' is neither a size >= 0 nor -1 (dynamic)";
      return false;
    }
  }
  return true;
}

/// Parses one `in|out TAB name TAB dtype TAB dims` line.
bool parseLine(const std::string &line, bool &isInput, TensorSignature &tensor,
               std::string &error) {
  size_t fieldCount =
      static_cast<size_t>(std::count(line.begin(), line.end(), '\t')) + 1;
  if (fieldCount != 4) {
    error =
        formatString("expected 4 tab-separated fields, found %zu", fieldCount);
    return false;
  }
  std::string rest = line;
  std::string fields[4];
  for (std::string &field : fields)
    field = takeUntil(rest, '\t');
  if (fields[0] != "in" && fields[0] != "out") {
    error = "direction '" + fields[0] + "' is neither 'in' nor 'out'";
    return false;
  }
  isInput = fields[0] == "in";
  if (fields[1].empty()) {
    error = "the tensor has no name";
    return false;
  }
  tensor.name = fields[1];
  int64_t dtype;
  if (!parseInteger(fields[2], dtype) || !isKnownDType(dtype)) {
    error = "dtype '" + fields[2] + "' of '" + tensor.name +
            "' is not an onebit_dtype number";
    return false;
  }
  tensor.dtype = static_cast<onebit_dtype>(dtype);
  std::string dimsError;
  if (!parseDims(fields[3], tensor.shape, dimsError)) {
    error = "'" + tensor.name + "': " + dimsError;
    return false;
  }
  return true;
}

bool hasTensorNamed(const std::vector<TensorSignature> &tensors,
                    const std::string &name) {
  for (const TensorSignature &tensor : tensors)
    if (tensor.name == name)
      return true;
  return false;
}

void fillInfo(TensorSignature &tensor) {
  tensor.info.name = tensor.name.c_str();
  tensor.info.dtype = tensor.dtype;
  tensor.info.rank = static_cast<int32_t>(tensor.shape.size());
  tensor.info.shape = tensor.shape.data();
}

} // namespace

bool parseSignature(const char *text, ModelSignature &result,
                    std::string &error) {
  result = ModelSignature();
  ModelSignature signature;
  if (!text) {
    error = "the model has no signature";
    return false;
  }
  std::string rest = text;
  for (size_t lineNumber = 1; !rest.empty(); ++lineNumber) {
    std::string line = takeUntil(rest, '\n');
    if (line.empty())
      continue; // Tolerate blank lines.
    bool isInput = false;
    TensorSignature tensor{};
    std::string lineError;
    if (!parseLine(line, isInput, tensor, lineError)) {
      error = formatString("line %zu: ", lineNumber) + lineError;
      return false;
    }
    // Inputs are in the entry's argument order and come first: an input
    // after an output would leave that order ambiguous.
    if (isInput && !signature.outputs.empty()) {
      error = formatString("line %zu: input '%s' follows an output", lineNumber,
                           tensor.name.c_str());
      return false;
    }
    std::vector<TensorSignature> &group =
        isInput ? signature.inputs : signature.outputs;
    // Callers feed and fetch tensors by name, so names must be unique
    // (an output may share its name with an input: ONNX passes inputs
    // through that way).
    if (hasTensorNamed(group, tensor.name)) {
      error = formatString("line %zu: %s '%s' is declared twice", lineNumber,
                           isInput ? "input" : "output", tensor.name.c_str());
      return false;
    }
    group.push_back(std::move(tensor));
  }
  if (signature.outputs.empty()) {
    error = "the model declares no outputs";
    return false;
  }
  // Only now are the vectors final, so the infos' pointers stay valid.
  result = std::move(signature);
  for (TensorSignature &tensor : result.inputs)
    fillInfo(tensor);
  for (TensorSignature &tensor : result.outputs)
    fillInfo(tensor);
  return true;
}

} // namespace onebit::runtime
