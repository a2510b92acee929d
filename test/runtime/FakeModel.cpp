//===- FakeModel.cpp - A hand-written stand-in for a compiled model -------===//
//
// Defines the two ModelABI.h symbols the way code lowered from MLIR would,
// exercising every ownership case the runtime must handle:
//
//   inputs   x          float32 [?, 8]
//            input_ids  int64   [3]
//   outputs  y             float32 [?, 8]  x + 1, allocated, aligned with an
//                                          offset, like memref.alloc, and
//                                          computed by a parallel loop
//            y_transposed  float32 [8, ?]  a strided view of y's allocation
//            x_echo        float32 [?, 8]  the input x itself
//            table         int64   [4]     a constant global (0xdeadbeef)
//            ids_doubled   int64   [3]     input_ids * 2, allocated
//            batch         int64   []      x's first dimension, allocated
//
// Linked with the runtime into a shared library, it is what a model.so
// looks like to its users.
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstdlib>
#include <cstring>

// The runtime's allocator (lib/Runtime/RunMemory.h), which code from
// finalize-memref-to-llvm{use-generic-functions} calls for memref.alloc:
// the runtime frees the outputs with its counterpart.
extern "C" void *_mlir_memref_to_llvm_alloc(size_t bytes);

// The runtime's parallel loop (lib/Runtime/ParallelFor.h), called the way
// code from --onebit-emit-parallel-dispatch calls it.
extern "C" void onebit_parallel_for(void (*body)(void *, int64_t, int64_t),
                                    void *ctx, int64_t begin, int64_t end);

extern "C" const char onebit_model_signature[] = "in\tx\t1\t-1,8\n"
                                                 "in\tinput_ids\t7\t3\n"
                                                 "out\ty\t1\t-1,8\n"
                                                 "out\ty_transposed\t1\t8,-1\n"
                                                 "out\tx_echo\t1\t-1,8\n"
                                                 "out\ttable\t7\t4\n"
                                                 "out\tids_doubled\t7\t3\n"
                                                 "out\tbatch\t7\t\n";

namespace {

template <int Rank> struct Descriptor {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

template <> struct Descriptor<0> {
  void *allocated;
  void *aligned;
  int64_t offset;
};

/// All outputs, one descriptor after another, as the C interface of a
/// function with several results writes them.
struct Results {
  Descriptor<2> y;
  Descriptor<2> yTransposed;
  Descriptor<2> xEcho;
  Descriptor<1> table;
  Descriptor<1> idsDoubled;
  Descriptor<0> batch;
};

const int64_t kTable[4] = {10, 20, 30, 40};

/// What MLIR's memref lowering stores as `allocated` for a global.
void *const kGlobalMarker = reinterpret_cast<void *>(uintptr_t(0xdeadbeef));

/// Like memref.alloc with an alignment: over-allocate, round up, and (to
/// exercise the offset field) start the data a few elements in.
constexpr int64_t kOffset = 3;
float *allocateFloats(int64_t count, void *&allocated) {
  allocated =
      _mlir_memref_to_llvm_alloc(size_t(count + kOffset) * sizeof(float) + 64);
  auto address = reinterpret_cast<uintptr_t>(allocated);
  return reinterpret_cast<float *>((address + 63) & ~uintptr_t(63));
}

/// y = x + 1 for rows [begin, end) of the [?, 8] input.
struct AddOneRows {
  const float *x;
  float *y;
  static void run(void *ctx, int64_t begin, int64_t end) {
    auto *rows = static_cast<AddOneRows *>(ctx);
    for (int64_t i = begin * 8; i < end * 8; ++i)
      rows->y[i] = rows->x[i] + 1.0f;
  }
};

} // namespace

extern "C" void onebit_model_entry(void **inputs, void *results) {
  auto &x = *static_cast<Descriptor<2> *>(inputs[0]);
  auto &ids = *static_cast<Descriptor<1> *>(inputs[1]);
  auto &out = *static_cast<Results *>(results);
  const int64_t batch = x.sizes[0];
  const float *xData = static_cast<float *>(x.aligned) + x.offset;

  void *yAllocated;
  float *yAligned = allocateFloats(batch * 8, yAllocated);
  // Over rows on the runtime's thread pool, as a compiled parallel loop
  // would: the tests of concurrent runs then share the pool too.
  AddOneRows rows{xData, yAligned + kOffset};
  onebit_parallel_for(&AddOneRows::run, &rows, 0, batch);
  out.y = {yAllocated, yAligned, kOffset, {batch, 8}, {8, 1}};
  out.yTransposed = {yAllocated, yAligned, kOffset, {8, batch}, {1, 8}};

  out.xEcho = x;

  out.table = {kGlobalMarker, const_cast<int64_t *>(kTable), 0, {4}, {1}};

  auto *doubled = static_cast<int64_t *>(
      _mlir_memref_to_llvm_alloc(3 * sizeof(int64_t)));
  const int64_t *idsData = static_cast<int64_t *>(ids.aligned) + ids.offset;
  for (int64_t i = 0; i < 3; ++i)
    doubled[i] = idsData[i * ids.strides[0]] * 2;
  out.idsDoubled = {doubled, doubled, 0, {3}, {1}};

  auto *batchValue =
      static_cast<int64_t *>(_mlir_memref_to_llvm_alloc(sizeof(int64_t)));
  *batchValue = batch;
  out.batch = {batchValue, batchValue, 0};
}
