//===- cpu_kernels.cpp - Low-bit layer kernels against float and OpenBLAS -===//
//
//   onebit-bench-cpu-kernels --models=DIR [--threads=T] [--shapes=NxK,...]
//       [--rows=1,8,32] [--cold-mib=256] [Google Benchmark flags]
//
// Times one linear layer y[M, N] = x[M, K] W^T several ways, all on the same
// weights (bench/make_layer_models.py writes them; bench/CMakeLists.txt
// compiles them):
//
//   ternary      ternary_NxK.so  onebit-compile --quantize=absmean (2 bits/weight),
//                the float table-lookup kernel where the CPU has AVX2
//   ternary_masked, sign_masked  the same with --lookup-tables=none (the
//                masked-add kernel)
//   ternary_a8   ternary_a8_NxK.so  the same with --int8-activations (BitNet's
//                W1.58A8: activations quantized to int8 per row), the
//                table-lookup kernel where the CPU has AVX2
//   ternary_a8_masked  the same with --lookup-tables=none: the masked-add
//                kernel, summed in 16-bit integer lanes
//   sign         sign_NxK.so     onebit-compile --quantize=svid    (1 bit/weight)
//   onebit_f32   float_NxK.so    onebit-compile --quantize=none    (the compiler's float path)
//   openblas_f32 cblas_sgemv (M = 1) / cblas_sgemm on the float weights
//
// each "hot" (one copy of the weights, called over and over: in cache when it
// fits) and "cold" (cycling through enough separate copies to read at least
// --cold-mib MiB of weights, so every call streams them from memory). The
// compiled models are timed through the runtime's C API, as a user calls
// them. Before any timing every path is checked against a double-precision
// product of the same weights, at every M (ternary_a8 against the double
// product of its int8-quantized activations); a mismatch ends the run.
//
// stream_read/threads:T is the machine's read bandwidth in the same process,
// the denominator of the report's bandwidth fractions (bench/report.py).
// bench/run_cpu_benchmarks.sh runs every case several times in a random
// interleaved order and the report keeps each case's best time.
// ONEBIT_NUM_THREADS and OpenBLAS's thread count are both set to --threads.
//
//===----------------------------------------------------------------------===//

#include "LoadedModel.h"
#include "StreamRead.h"

#include <benchmark/benchmark.h>
#ifdef ONEBIT_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace onebit::bench;

namespace {

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::exit(1);
}

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

struct Shape {
  int64_t n, k; // out x in
  std::string name() const {
    return std::to_string(n) + "x" + std::to_string(k);
  }
};

struct Options {
  std::string models;
  std::vector<Shape> shapes = {{2560, 6912}, {6912, 2560}, {4096, 4096}};
  std::vector<int64_t> rows = {1, 8, 32};
  int threads = 1;
  int64_t coldBytes = int64_t(256) << 20;
  int64_t streamBytes = int64_t(1) << 30;
};

std::vector<std::string> splitList(const std::string &text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');)
    items.push_back(item);
  return items;
}

int64_t parsePositive(const std::string &text, const std::string &flag) {
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value <= 0)
    fail(flag + ": expected a positive integer, got '" + text + "'");
  return value;
}

/// Reads the flags Google Benchmark left over; anything unknown is an error.
Options parseOptions(int argc, char **argv) {
  Options options;
  options.threads = static_cast<int>(std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      size_t length = std::strlen(flag);
      if (arg.compare(0, length, flag) == 0 && arg.size() > length &&
          arg[length] == '=')
        return argv[i] + length + 1;
      return nullptr;
    };
    if (const char *v = value("--models")) {
      options.models = v;
    } else if (const char *v = value("--threads")) {
      options.threads = static_cast<int>(parsePositive(v, "--threads"));
    } else if (const char *v = value("--cold-mib")) {
      options.coldBytes = parsePositive(v, "--cold-mib") << 20;
    } else if (const char *v = value("--stream-mib")) {
      options.streamBytes = parsePositive(v, "--stream-mib") << 20;
    } else if (const char *v = value("--rows")) {
      options.rows.clear();
      for (const std::string &item : splitList(v))
        options.rows.push_back(parsePositive(item, "--rows"));
    } else if (const char *v = value("--shapes")) {
      options.shapes.clear();
      for (const std::string &item : splitList(v)) {
        size_t x = item.find('x');
        if (x == std::string::npos)
          fail("--shapes: '" + item + "' is not NxK");
        options.shapes.push_back({parsePositive(item.substr(0, x), "--shapes"),
                                  parsePositive(item.substr(x + 1), "--shapes")});
      }
    } else {
      fail("unknown argument '" + arg + "' (see the comment at the top of "
           "bench/cpu_kernels.cpp)");
    }
  }
  if (options.models.empty())
    fail("--models=DIR is required: the folder with the compiled layers");
  return options;
}

//===----------------------------------------------------------------------===//
// Weights and the reference product
//===----------------------------------------------------------------------===//

/// 64-byte aligned floats, for OpenBLAS's weight copies.
struct AlignedFloats {
  explicit AlignedFloats(size_t count)
      : data(static_cast<float *>(
            std::aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64))),
        count(count) {
    if (!data)
      fail("out of memory for " + std::to_string(count) + " floats");
  }
  ~AlignedFloats() { std::free(data); }
  AlignedFloats(const AlignedFloats &) = delete;
  AlignedFloats &operator=(const AlignedFloats &) = delete;
  float *data;
  size_t count;
};

std::unique_ptr<AlignedFloats> readWeights(const std::string &path,
                                           const Shape &shape) {
  auto weights = std::make_unique<AlignedFloats>(shape.n * shape.k);
  std::ifstream file(path, std::ios::binary);
  if (!file)
    fail("cannot open " + path + " (run bench/make_layer_models.py)");
  file.read(reinterpret_cast<char *>(weights->data),
            weights->count * sizeof(float));
  if (file.gcount() != static_cast<std::streamsize>(weights->count * sizeof(float)) ||
      file.peek() != EOF)
    fail(path + " does not hold exactly " + shape.name() + " float32 values");
  return weights;
}

/// y = x W^T in double: the oracle every path is checked against.
std::vector<double> referenceProduct(const float *x, const float *w,
                                     int64_t rows, const Shape &shape) {
  std::vector<double> y(rows * shape.n);
  for (int64_t m = 0; m < rows; ++m)
    for (int64_t n = 0; n < shape.n; ++n) {
      double sum = 0;
      const float *wRow = w + n * shape.k;
      const float *xRow = x + m * shape.k;
      for (int64_t k = 0; k < shape.k; ++k)
        sum += double(xRow[k]) * double(wRow[k]);
      y[m * shape.n + n] = sum;
    }
  return y;
}

/// BitNet's per-row activation quantization, as onebit.ternary_linear
/// specifies it: q = clamp(round_half_even(x * r), -128, 127) with
/// r = 127 / max(max |x|, 1e-5) in f32. Returns q / r, so that the double
/// product of it with the weights is what a W1.58A8 layer computes.
std::vector<float> dequantizedInt8Rows(const float *x, int64_t rows,
                                       int64_t k) {
  std::vector<float> result(rows * k);
  for (int64_t m = 0; m < rows; ++m) {
    float largest = 0;
    for (int64_t i = 0; i < k; ++i)
      largest = std::max(largest, std::fabs(x[m * k + i]));
    float r = 127.0f / std::max(largest, 1e-5f);
    for (int64_t i = 0; i < k; ++i) {
      float q = std::min(std::max(std::nearbyint(x[m * k + i] * r), -128.0f),
                         127.0f);
      result[m * k + i] = float(double(q) / double(r));
    }
  }
  return result;
}

/// float32 sums of K terms differ from the double ones by rounding alone;
/// a wrong weight, scale or index is off by the size of the outputs.
void expectClose(const std::vector<float> &got, const std::vector<double> &want,
                 const std::string &what) {
  double largest = 0, worst = 0;
  for (double v : want)
    largest = std::max(largest, std::fabs(v));
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::fabs(double(got[i]) - want[i]));
  if (!(worst <= 1e-4 * largest))
    fail(what + " disagrees with the double-precision product: max |error| " +
         std::to_string(worst) + " against max |y| " + std::to_string(largest));
}

std::vector<float> randomActivations(int64_t count, unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(count);
  for (float &v : x)
    v = normal(generator);
  return x;
}

//===----------------------------------------------------------------------===//
// What one shape's benchmarks need, loaded once
//===----------------------------------------------------------------------===//

enum class Path {
  Ternary,
  TernaryMasked,
  TernaryA8,
  TernaryA8Masked,
  Sign,
  SignMasked,
  OnebitF32,
  OpenblasF32
};

const char *pathName(Path path) {
  switch (path) {
  case Path::Ternary:
    return "ternary";
  case Path::TernaryA8:
    return "ternary_a8";
  case Path::TernaryA8Masked:
    return "ternary_a8_masked";
  case Path::TernaryMasked:
    return "ternary_masked";
  case Path::SignMasked:
    return "sign_masked";
  case Path::Sign:
    return "sign";
  case Path::OnebitF32:
    return "onebit_f32";
  case Path::OpenblasF32:
    return "openblas_f32";
  }
  return "?";
}

/// The bytes of weights one call reads: the packed planes as onebit stores
/// them (scales and value vectors are a few KB more), or the floats.
int64_t weightBytes(Path path, const Shape &shape) {
  int64_t rowBytes = (shape.k + 7) / 8;
  switch (path) {
  case Path::Ternary:
  case Path::TernaryA8:
  case Path::TernaryA8Masked:
  case Path::TernaryMasked:
    return shape.n * 2 * rowBytes;
  case Path::Sign:
  case Path::SignMasked:
    return shape.n * rowBytes;
  default:
    return shape.n * shape.k * int64_t(sizeof(float));
  }
}

int copiesFor(int64_t coldBytes, int64_t bytesPerCopy) {
  return static_cast<int>(
      std::max<int64_t>(2, (coldBytes + bytesPerCopy - 1) / bytesPerCopy));
}

class ShapeBench {
public:
  ShapeBench(const Options &options, const Shape &shape)
      : options(options), shape(shape) {
    std::string stem = options.models + "/";
    std::string size = shape.name();
    ternaryWeights = readWeights(stem + "ternary_" + size + ".f32", shape);
    signWeights = readWeights(stem + "sign_" + size + ".f32", shape);
    int64_t maxRows = *std::max_element(options.rows.begin(), options.rows.end());
    x = randomActivations(maxRows * shape.k, 7);

    std::fprintf(stderr, "[%s] loading models and copies\n", size.c_str());
    auto load = [&](Path path, const std::string &file) {
      std::string label = std::string(pathName(path)) + " " + size;
      hot[path] = LoadedModel::open(stem + file, label);
      cold[path] = LoadedModel::openCopies(
          stem + file, copiesFor(options.coldBytes, weightBytes(path, shape)),
          label);
    };
    load(Path::Ternary, "ternary_" + size + ".so");
    load(Path::TernaryA8, "ternary_a8_" + size + ".so");
    load(Path::TernaryA8Masked, "ternary_a8_masked_" + size + ".so");
    load(Path::Sign, "sign_" + size + ".so");
    load(Path::TernaryMasked, "ternary_masked_" + size + ".so");
    load(Path::SignMasked, "sign_masked_" + size + ".so");
    load(Path::OnebitF32, "float_" + size + ".so");
#ifdef ONEBIT_HAVE_OPENBLAS
    int blasCopies = copiesFor(options.coldBytes, weightBytes(Path::OpenblasF32, shape));
    for (int i = 0; i < blasCopies; ++i) {
      blasCold.push_back(std::make_unique<AlignedFloats>(ternaryWeights->count));
      std::memcpy(blasCold.back()->data, ternaryWeights->data,
                  ternaryWeights->count * sizeof(float));
    }
#endif
    check();
    // One call per copy faults every weight page in before the clock runs.
    for (auto &[path, copies] : cold)
      for (auto &model : copies)
        model->runAndDiscard(x.data(), 1, shape.k);
  }

  void run(benchmark::State &state, Path path, int64_t rows, bool isCold) {
    const float *input = x.data();
    int64_t k = shape.k;
    size_t copies = 1;
    if (path == Path::OpenblasF32) {
#ifdef ONEBIT_HAVE_OPENBLAS
      std::vector<float> y(rows * shape.n);
      copies = isCold ? blasCold.size() : 1;
      size_t next = 0;
      for (auto _ : state) {
        const float *w = isCold ? blasCold[next]->data : ternaryWeights->data;
        blas(input, w, y.data(), rows);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
        if (++next == copies)
          next = 0;
      }
#endif
    } else if (isCold) {
      const auto &models = cold.at(path);
      copies = models.size();
      size_t next = 0;
      for (auto _ : state) {
        models[next]->runAndDiscard(input, rows, k);
        if (++next == copies)
          next = 0;
      }
    } else {
      const LoadedModel &model = *hot.at(path);
      for (auto _ : state)
        model.runAndDiscard(input, rows, k);
    }
    int64_t bytes = weightBytes(path, shape);
    state.SetBytesProcessed(state.iterations() * bytes);
    state.counters["weight_bytes"] = double(bytes);
    state.counters["copies"] = double(copies);
  }

private:
#ifdef ONEBIT_HAVE_OPENBLAS
  void blas(const float *input, const float *w, float *y, int64_t rows) const {
    if (rows == 1)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, shape.n, shape.k, 1.0f, w,
                  shape.k, input, 1, 0.0f, y, 1);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, shape.n,
                  shape.k, 1.0f, input, shape.k, w, shape.k, 0.0f, y, shape.n);
  }
#endif

  void check() {
    std::fprintf(stderr, "[%s] checking every path against a double product\n",
                 shape.name().c_str());
    for (int64_t rows : options.rows) {
      std::string at = " " + shape.name() + " at M = " + std::to_string(rows);
      std::vector<double> wantTernary =
          referenceProduct(x.data(), ternaryWeights->data, rows, shape);
      std::vector<double> wantSign =
          referenceProduct(x.data(), signWeights->data, rows, shape);
      for (Path path : {Path::Ternary, Path::TernaryMasked})
        expectClose(hot[path]->run(x.data(), rows, shape.k, shape.n),
                    wantTernary, pathName(path) + at);
      std::vector<float> xA8 = dequantizedInt8Rows(x.data(), rows, shape.k);
      std::vector<double> wantA8 =
          referenceProduct(xA8.data(), ternaryWeights->data, rows, shape);
      for (Path path : {Path::TernaryA8, Path::TernaryA8Masked})
        expectClose(hot[path]->run(x.data(), rows, shape.k, shape.n), wantA8,
                    pathName(path) + at);
      for (Path path : {Path::Sign, Path::SignMasked})
        expectClose(hot[path]->run(x.data(), rows, shape.k, shape.n), wantSign,
                    pathName(path) + at);
      expectClose(hot[Path::OnebitF32]->run(x.data(), rows, shape.k, shape.n),
                  wantTernary, "onebit_f32" + at);
#ifdef ONEBIT_HAVE_OPENBLAS
      std::vector<float> y(rows * shape.n);
      blas(x.data(), ternaryWeights->data, y.data(), rows);
      expectClose(y, wantTernary, "openblas_f32" + at);
#endif
    }
  }

  const Options &options;
  Shape shape;
  std::unique_ptr<AlignedFloats> ternaryWeights, signWeights;
  std::vector<float> x;
  std::map<Path, std::unique_ptr<LoadedModel>> hot;
  std::map<Path, std::vector<std::unique_ptr<LoadedModel>>> cold;
  std::vector<std::unique_ptr<AlignedFloats>> blasCold;
};

/// Each shape's models are loaded, checked and warmed when its first
/// benchmark starts, and stay loaded: with
/// --benchmark_enable_random_interleaving the repetitions of all benchmarks
/// run in a random order, so a burst of load from elsewhere on a shared
/// machine spreads over all of them instead of skewing one ratio.
ShapeBench &benchFor(const Options &options, const Shape &shape) {
  static std::map<std::pair<int64_t, int64_t>, std::unique_ptr<ShapeBench>> benches;
  std::unique_ptr<ShapeBench> &bench = benches[{shape.n, shape.k}];
  if (!bench)
    bench = std::make_unique<ShapeBench>(options, shape);
  return *bench;
}

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  static Options options = parseOptions(argc, argv);

  // Before any model is loaded: the runtime reads it to size its pool.
  setenv("ONEBIT_NUM_THREADS", std::to_string(options.threads).c_str(), 1);
  benchmark::AddCustomContext("threads", std::to_string(options.threads));
#ifdef ONEBIT_HAVE_OPENBLAS
  openblas_set_num_threads(options.threads);
  benchmark::AddCustomContext("openblas", openblas_get_config());
  benchmark::AddCustomContext("openblas_threads",
                              std::to_string(openblas_get_num_threads()));
#else
  benchmark::AddCustomContext("openblas", "not built (apt install libopenblas-dev)");
#endif

  // Filled with non-zero bytes so every page is real memory, not the shared
  // zero page.
  static std::unique_ptr<AlignedFloats> streamBuffer;
  benchmark::RegisterBenchmark(
      ("stream_read/threads:" + std::to_string(options.threads)).c_str(),
      [](benchmark::State &state) {
        if (!streamBuffer) {
          streamBuffer = std::make_unique<AlignedFloats>(options.streamBytes / 4);
          std::memset(streamBuffer->data, 1, options.streamBytes);
        }
        for (auto _ : state)
          benchmark::DoNotOptimize(streamRead(streamBuffer->data,
                                              options.streamBytes,
                                              options.threads));
        state.SetBytesProcessed(state.iterations() * options.streamBytes);
      })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);

  std::vector<Path> paths = {Path::Ternary,   Path::TernaryMasked,
                             Path::TernaryA8, Path::TernaryA8Masked,
                             Path::Sign,      Path::SignMasked,
                             Path::OnebitF32};
#ifdef ONEBIT_HAVE_OPENBLAS
  paths.push_back(Path::OpenblasF32);
#endif
  for (const Shape &shape : options.shapes)
    for (bool isCold : {false, true})
      for (Path path : paths)
        for (int64_t rows : options.rows) {
          std::string name = std::string(pathName(path)) + "/" + shape.name() +
                             "/M:" + std::to_string(rows) + "/" +
                             (isCold ? "cold" : "hot");
          benchmark::RegisterBenchmark(
              name.c_str(),
              [shape, path, rows, isCold](benchmark::State &state) {
                benchFor(options, shape).run(state, path, rows, isCold);
              })
              ->UseRealTime()
              ->Unit(benchmark::kMicrosecond);
        }

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // The loaded models' worker threads are still parked: leave without
  // running static destructors under them.
  std::fflush(nullptr);
  std::_Exit(0);
}
