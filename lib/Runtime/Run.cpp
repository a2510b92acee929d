//===- Run.cpp - onebit_run: validate, call the model, hand outputs over --===//
#include "Export.h"
#include "InputValidation.h"
#include "LoadedSignature.h"
#include "MemRefDescriptor.h"
#include "ModelSymbols.h"
#include "Outputs.h"
#include "RunMemory.h"
#include "ShapeChecks.h"
#include "Status.h"
#include "TargetHooks.h"

#include <cstdlib>
#include <vector>

using namespace onebit::runtime;

namespace {

/// Every piece of one call's state lives here, on this thread: concurrent
/// runs share nothing but the immutable signature. (Sized once, never grown:
/// see the note on containers in Signature.cpp.)
struct CallFrame {
  std::vector<int64_t> inputWords;
  std::vector<void *> inputDescriptors;
  std::vector<int64_t> resultWords;
};

size_t totalDescriptorWords(const std::vector<TensorSignature> &tensors) {
  size_t words = 0;
  for (const TensorSignature &tensor : tensors)
    words += descriptorWords(tensor.shape.size());
  return words;
}

void prepareCall(const ModelSignature &signature, const onebit_tensor *inputs,
                 CallFrame &frame) {
  frame.inputWords =
      std::vector<int64_t>(totalDescriptorWords(signature.inputs));
  frame.resultWords =
      std::vector<int64_t>(totalDescriptorWords(signature.outputs));
  frame.inputDescriptors = std::vector<void *>(signature.inputs.size());
  int64_t *words = frame.inputWords.data();
  for (size_t i = 0; i < signature.inputs.size(); ++i) {
    size_t rank = signature.inputs[i].shape.size();
    writeRowMajorDescriptor(words, inputs[i].data, rank, inputs[i].shape);
    frame.inputDescriptors[i] = words;
    words += descriptorWords(rank);
  }
}

/// Runs the compiled code, its allocations tracked by `memory`; a check
/// that fails in it jumps back here and its message is returned (see
/// ShapeChecks.h).
const char *callModel(CallFrame &frame, RunMemory &memory) {
  ShapeCheckGuard guard;
  ShapeCheckGuard *outer = activeShapeCheckGuard();
  RunMemory *outerMemory = activeRunMemory();
  activeShapeCheckGuard() = &guard;
  activeRunMemory() = &memory;
  if (setjmp(guard.resume) == 0)
    onebit_model_entry(frame.inputDescriptors.data(),
                       frame.resultWords.data());
  activeShapeCheckGuard() = outer;
  activeRunMemory() = outerMemory;
  // Written by the failed check after setjmp: read it from memory.
  return *static_cast<const char *volatile *>(&guard.message);
}

onebit_status run(const onebit_tensor *inputs, int32_t numInputs,
                  onebit_tensor **outputs) {
  const LoadedSignature &loaded = loadedSignature();
  if (!loaded.error.empty())
    return makeStatus(loaded.error);
  const ModelSignature &signature = loaded.signature;
  if (onebit_status status = validateInputs(signature, inputs, numInputs))
    return status;

  // A GPU model (null hooks on CPU models) that cannot run: say why before
  // running anything.
  if (&onebit_target_check)
    if (const char *error = onebit_target_check())
      return makeStatus(error);

  CallFrame frame;
  prepareCall(signature, inputs, frame);
  RunMemory memory;
  if (const char *failedCheck = callModel(frame, memory)) {
    // The run ended early, past the frees of the compiled code: free what
    // it held. A GPU error it hit before the check means nothing now, and
    // must not be reported by the thread's next run.
    memory.releaseAll();
    if (&onebit_target_abandon_run)
      onebit_target_abandon_run();
    if (&onebit_target_take_error)
      (void)onebit_target_take_error();
    return makeStatus(failedCheck);
  }

  // A GPU error during the run (a failed launch, out of memory) left the
  // outputs meaningless: free them and report the error.
  if (&onebit_target_take_error)
    if (const char *error = onebit_target_take_error()) {
      onebit_status status = makeStatus(error);
      freeGeneratedOutputs(signature, frame.resultWords.data(), inputs,
                           numInputs);
      return status;
    }

  auto *tensors = static_cast<onebit_tensor *>(
      std::calloc(signature.outputs.size(), sizeof(onebit_tensor)));
  onebit_status status =
      tensors ? copyOutputs(signature, frame.resultWords.data(), tensors)
              : makeStatus("out of memory allocating the output tensors");
  // Copied or not, the generated code's buffers are ours to free now.
  freeGeneratedOutputs(signature, frame.resultWords.data(), inputs, numInputs);
  if (status) {
    std::free(tensors);
    return status;
  }
  *outputs = tensors;
  return nullptr;
}

} // namespace

extern "C" {

ONEBIT_EXPORT onebit_status onebit_run(const onebit_tensor *inputs,
                                       int32_t num_inputs,
                                       onebit_tensor **outputs) {
  if (!outputs)
    return makeStatus("onebit_run: `outputs` is NULL");
  *outputs = nullptr;
  return run(inputs, num_inputs, outputs);
}

ONEBIT_EXPORT void onebit_free_outputs(onebit_tensor *outputs) {
  if (!outputs)
    return;
  // Only a successful onebit_run makes outputs, and it needs a well-formed
  // signature, so the count is the declared one.
  freeOutputData(outputs, loadedSignature().signature.outputs.size());
  std::free(outputs);
}

} // extern "C"
