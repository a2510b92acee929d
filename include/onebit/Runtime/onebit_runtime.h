/*===- onebit_runtime.h - The C API of a compiled onebit model -----------===*
 *
 * Every model.so that onebit-compile writes exports this API. The runtime
 * behind it is linked into the .so itself, so a model needs nothing but the
 * C and C++ runtime libraries. It knows nothing of the compiler.
 *
 * Errors come back as an onebit_status (NULL means success) carrying a
 * message; the caller frees it with onebit_status_free. Every input's dtype,
 * rank and dimensions are checked against the model's signature before any
 * compiled code runs. onebit_run may be called from several threads at once.
 *
 *===---------------------------------------------------------------------===*/
#ifndef ONEBIT_RUNTIME_ONEBIT_RUNTIME_H
#define ONEBIT_RUNTIME_ONEBIT_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types, with ONNX's TensorProto.DataType numbers. */
typedef enum onebit_dtype {
  ONEBIT_FLOAT32 = 1,
  ONEBIT_UINT8 = 2,
  ONEBIT_INT8 = 3,
  ONEBIT_UINT16 = 4,
  ONEBIT_INT16 = 5,
  ONEBIT_INT32 = 6,
  ONEBIT_INT64 = 7,
  ONEBIT_BOOL = 9,
  ONEBIT_FLOAT16 = 10,
  ONEBIT_FLOAT64 = 11,
  ONEBIT_UINT32 = 12,
  ONEBIT_UINT64 = 13,
  ONEBIT_BFLOAT16 = 16,
} onebit_dtype;

/* A failure: NULL is success. */
typedef struct onebit_status_s *onebit_status;
/* The message lives until the status is freed; "" for NULL. */
const char *onebit_status_message(onebit_status status);
/* NULL is ignored. */
void onebit_status_free(onebit_status status);

/* The declared signature of an input or output. `shape` has `rank` entries,
 * -1 for a dynamic dimension. The strings and arrays live as long as the
 * loaded model. */
typedef struct onebit_tensor_info {
  const char *name;
  onebit_dtype dtype;
  int32_t rank;
  const int64_t *shape;
} onebit_tensor_info;

/* NULL when the signature compiled into the model is well formed; otherwise
 * what is wrong with it (the queries below then report no tensors and
 * onebit_run fails with the same message). */
onebit_status onebit_check_signature(void);

int32_t onebit_num_inputs(void);
int32_t onebit_num_outputs(void);
/* NULL for an index out of range. */
const onebit_tensor_info *onebit_input_info(int32_t index);
const onebit_tensor_info *onebit_output_info(int32_t index);

/* The most dimensions a tensor can have through this API. */
#define ONEBIT_MAX_RANK 8

/* A dense row-major tensor. Inputs are views of caller memory (`data` may be
 * NULL only when the tensor has no elements); outputs are allocated by the
 * runtime, 64-byte aligned and never NULL, and released with
 * onebit_free_outputs. */
typedef struct onebit_tensor {
  void *data;
  onebit_dtype dtype;
  int32_t rank;
  int64_t shape[ONEBIT_MAX_RANK];
} onebit_tensor;

/* Runs the model on `num_inputs` inputs, in signature order. On success,
 * `*outputs` points to onebit_num_outputs() tensors; on failure it is set to
 * NULL. The inputs are only read. */
onebit_status onebit_run(const onebit_tensor *inputs, int32_t num_inputs,
                         onebit_tensor **outputs);
/* Frees what onebit_run returned; NULL is ignored. */
void onebit_free_outputs(onebit_tensor *outputs);

/* Threads used for parallel loops: ONEBIT_NUM_THREADS if set to a positive
 * integer, else all cores. Read on every call here; the model's thread pool
 * reads it once, when the model's first parallel loop starts it. */
int32_t onebit_num_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* ONEBIT_RUNTIME_ONEBIT_RUNTIME_H */
