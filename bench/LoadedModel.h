//===- LoadedModel.h - A model.so opened with dlopen, for benchmarks -----===//
//
// The benchmarks time compiled models through the same C API a user calls
// (include/onebit/Runtime/onebit_runtime.h). Every model.so exports that API
// under the same names, so each is opened with dlopen and its functions are
// looked up by handle; many models, and many copies of one model, then live
// side by side in one process.
//
//===----------------------------------------------------------------------===//

#ifndef ONEBIT_BENCH_LOADEDMODEL_H
#define ONEBIT_BENCH_LOADEDMODEL_H

#include "onebit/Runtime/onebit_runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace onebit::bench {

/// One loaded model.so with one float32 [M, K] input and one float32 [M, N]
/// output. Any failure ends the process with a message naming the model:
/// a benchmark of a broken model has nothing to report.
class LoadedModel {
public:
  /// Opens `path`; `label` names it in messages (copies share a file name).
  static std::unique_ptr<LoadedModel> open(const std::string &path,
                                           const std::string &label);

  /// Opens `copies` separate instances of the model at `path`: each is a
  /// copy of the file, loaded and then unlinked, so every instance has its
  /// own weights in memory. Cycling through them reads weights that are not
  /// in any cache.
  static std::vector<std::unique_ptr<LoadedModel>>
  openCopies(const std::string &path, int copies, const std::string &label);

  /// Runs the model on x[rows, cols] and returns y, checking its shape.
  std::vector<float> run(const float *x, int64_t rows, int64_t cols,
                         int64_t expectedOutCols) const;

  /// Runs the model on x[rows, cols] and frees the output: the timed call.
  void runAndDiscard(const float *x, int64_t rows, int64_t cols) const;

  /// onebit_num_threads() of this model's runtime.
  int32_t numThreads() const { return api.numThreads(); }

  // Never dlclosed: the runtime's worker threads live as long as the process
  // and would otherwise run unmapped code.
  LoadedModel(const LoadedModel &) = delete;
  LoadedModel &operator=(const LoadedModel &) = delete;

private:
  struct Api {
    onebit_status (*run)(const onebit_tensor *, int32_t, onebit_tensor **);
    void (*freeOutputs)(onebit_tensor *);
    const char *(*statusMessage)(onebit_status);
    void (*statusFree)(onebit_status);
    int32_t (*numThreads)(void);
  };

  LoadedModel(std::string label, Api api) : label(std::move(label)), api(api) {}
  onebit_tensor *runChecked(const float *x, int64_t rows, int64_t cols) const;

  std::string label;
  Api api;
};

} // namespace onebit::bench

#endif // ONEBIT_BENCH_LOADEDMODEL_H
