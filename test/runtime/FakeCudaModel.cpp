//===- FakeCudaModel.cpp - A hand-written stand-in for a cuda model.so ----===//
//
// Calls the CUDA runtime the way code from onebit-compile --target=cuda
// does: a global constructor loads the kernels and a destructor unloads
// them; the entry function copies its input into managed memory, reads a
// device constant, launches on a stream it creates, synchronizes and
// destroys, then reads the result on the host into an output allocated as
// compiled code allocates (_mlir_memref_to_llvm_alloc).
//
//   inputs   x  float32 [?]
//   outputs  y  float32 [?]   x + 1 (1 being a constant global)
//
// Linked with both runtime archives into a shared library.
//
//===----------------------------------------------------------------------===//
#include "../../lib/Runtime/Cuda/GpuEntryPoints.h"
#include "../../lib/Runtime/RunMemory.h"
#include "CudaTestKernel.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" const char onebit_model_signature[] = "in\tx\t1\t-1\n"
                                                 "out\ty\t1\t-1\n";

namespace {

struct Descriptor1 {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
};

void *kernels;
void *oneSlot;
const float kOne[1] = {1.0f};

__attribute__((constructor)) void loadKernels() {
  kernels = mgpuModuleLoad(const_cast<char *>(onebit::test::kAddConstantPtx),
                           sizeof(onebit::test::kAddConstantPtx));
}

__attribute__((destructor)) void unloadKernels() { mgpuModuleUnload(kernels); }

} // namespace

extern "C" void onebit_model_entry(void **inputs, void *results) {
  auto &x = *static_cast<Descriptor1 *>(inputs[0]);
  int64_t n = x.sizes[0];
  uint64_t bytes = uint64_t(n) * sizeof(float);
  const float *xData = static_cast<float *>(x.aligned) + x.offset;

  void *stream = mgpuStreamCreate();
  void *xDevice = mgpuMemAlloc(bytes, nullptr, true);
  void *yDevice = mgpuMemAlloc(bytes, nullptr, true);
  mgpuMemcpy(xDevice, const_cast<float *>(xData), bytes, stream);
  void *one = onebit_cuda_constant(&oneSlot, kOne, sizeof(kOne));
  void *kernel = mgpuModuleGetFunction(kernels, onebit::test::kAddConstantName);
  void *params[] = {&xDevice, &one, &yDevice, &n};
  if (n > 0)
    mgpuLaunchKernel(kernel, (n + 127) / 128, 1, 1, 128, 1, 1, 0, stream,
                     params, nullptr, 4);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);

  // Host code reading a kernel's result: why buffers are managed memory.
  auto *y =
      static_cast<float *>(_mlir_memref_to_llvm_alloc(bytes ? bytes : 1));
  std::memcpy(y, yDevice, bytes);
  mgpuMemFree(xDevice, nullptr);
  mgpuMemFree(yDevice, nullptr);
  *static_cast<Descriptor1 *>(results) = {y, y, 0, {n}, {1}};
}
