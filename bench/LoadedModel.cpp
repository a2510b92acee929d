//===- LoadedModel.cpp - A model.so opened with dlopen, for benchmarks ---===//

#include "LoadedModel.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

using namespace onebit::bench;

namespace {

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::exit(1);
}

template <typename Fn>
Fn lookup(void *handle, const char *name, const std::string &label) {
  void *symbol = dlsym(handle, name);
  if (!symbol)
    fail(label + ": no symbol '" + name + "': not an onebit model");
  return reinterpret_cast<Fn>(symbol);
}

} // namespace

std::unique_ptr<LoadedModel> LoadedModel::open(const std::string &path,
                                               const std::string &label) {
  // RTLD_LOCAL keeps each copy's symbols out of the global scope, so a second
  // copy binds to its own runtime and weights, not to the first one's.
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    fail("cannot load " + label + " (" + path + "): " + dlerror());
  Api api;
  api.run = lookup<decltype(api.run)>(handle, "onebit_run", label);
  api.freeOutputs =
      lookup<decltype(api.freeOutputs)>(handle, "onebit_free_outputs", label);
  api.statusMessage = lookup<decltype(api.statusMessage)>(
      handle, "onebit_status_message", label);
  api.statusFree =
      lookup<decltype(api.statusFree)>(handle, "onebit_status_free", label);
  api.numThreads =
      lookup<decltype(api.numThreads)>(handle, "onebit_num_threads", label);
  return std::unique_ptr<LoadedModel>(new LoadedModel(label, api));
}

std::vector<std::unique_ptr<LoadedModel>>
LoadedModel::openCopies(const std::string &path, int copies,
                        const std::string &label) {
  namespace fs = std::filesystem;
  // dlopen returns the already loaded library for a path (or inode) it has
  // seen, so each instance needs a file of its own.
  std::string pattern = (fs::temp_directory_path() / "onebit-bench-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    fail("cannot create a temporary directory for copies of " + path);
  fs::path directory(pattern);
  std::vector<std::unique_ptr<LoadedModel>> models;
  for (int i = 0; i < copies; ++i) {
    fs::path copy = directory / ("copy" + std::to_string(i) + ".so");
    std::error_code error;
    fs::copy_file(path, copy, error);
    if (error)
      fail("cannot copy " + path + " to " + copy.string() + ": " +
           error.message());
    models.push_back(open(copy.string(), label + " copy " + std::to_string(i)));
    // The mapping keeps the pages; the file itself is no longer needed.
    fs::remove(copy, error);
  }
  fs::remove(directory);
  return models;
}

onebit_tensor *LoadedModel::runChecked(const float *x, int64_t rows,
                                       int64_t cols) const {
  onebit_tensor input = {};
  input.data = const_cast<float *>(x);
  input.dtype = ONEBIT_FLOAT32;
  input.rank = 2;
  input.shape[0] = rows;
  input.shape[1] = cols;
  onebit_tensor *outputs = nullptr;
  if (onebit_status status = api.run(&input, 1, &outputs)) {
    std::string message = api.statusMessage(status);
    api.statusFree(status);
    fail(label + ": onebit_run failed: " + message);
  }
  return outputs;
}

std::vector<float> LoadedModel::run(const float *x, int64_t rows, int64_t cols,
                                    int64_t expectedOutCols) const {
  onebit_tensor *outputs = runChecked(x, rows, cols);
  const onebit_tensor &y = outputs[0];
  if (y.dtype != ONEBIT_FLOAT32 || y.rank != 2 || y.shape[0] != rows ||
      y.shape[1] != expectedOutCols)
    fail(label + ": expected a float32 output of " + std::to_string(rows) +
         "x" + std::to_string(expectedOutCols));
  const float *data = static_cast<const float *>(y.data);
  std::vector<float> result(data, data + rows * expectedOutCols);
  api.freeOutputs(outputs);
  return result;
}

void LoadedModel::runAndDiscard(const float *x, int64_t rows,
                                int64_t cols) const {
  api.freeOutputs(runChecked(x, rows, cols));
}
