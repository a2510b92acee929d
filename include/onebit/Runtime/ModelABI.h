//===- ModelABI.h - What the compiler emits and the runtime calls -*- C++ -*-=//
//
// The contract between the code onebit-compile generates and the runtime
// linked beside it in model.so. The compiler emits two symbols:
//
//   const char onebit_model_signature[];   // NUL-terminated, see below
//   void onebit_model_entry(void **inputs, void *results);
//
// `inputs[i]` points to the MLIR memref descriptor of input i:
//   { void *allocated; void *aligned; int64_t offset;
//     int64_t sizes[rank]; int64_t strides[rank]; }
// and `results` to a buffer holding the output descriptors one after another
// (each (3 + 2 * rank) * 8 bytes, all fields 8 bytes wide, no padding).
// The runtime fills input descriptors for dense row-major tensors of caller
// memory: allocated == aligned == the data, offset 0, strides row-major;
// the data pointer may be NULL for a tensor with no elements. The generated
// code must only read inputs (the caller's arrays are not copied).
// Output buffers are allocated by the generated code with the runtime's
// _mlir_memref_to_llvm_alloc (or _aligned_alloc), never plain malloc: the
// runtime frees them with _mlir_memref_to_llvm_free. An output's
// `allocated` may also be 0xdeadbeef (a constant global) or alias an input or
// another output, so the runtime copies outputs out (any strides and offset)
// and frees only distinct heap pointers that are not inputs.
//
// The runtime refers to both symbols with hidden visibility: they must be
// defined in the same model.so, and they are not exported from it. It also
// defines `memrefCopy` (memref.copy of non-contiguous memrefs), so the code
// needs no libmlir_c_runner_utils, and (hidden) the parallel loop
//
//   void onebit_parallel_for(void (*body)(void *ctx, int64_t begin,
//                                         int64_t end),
//                            void *ctx, int64_t begin, int64_t end);
//
// which runs body over chunks of [begin, end) on the model's thread pool,
// each iteration exactly once, and returns when all have run; `body` may be
// called from several threads at once and may itself call
// onebit_parallel_for (which then runs inline). Anything else the code calls
// must come from libc, libm or libstdc++.
//
// A model.so exports kExportedSymbols and nothing else: onebit-compile links
// it with a version script, so the compiled functions (the entry function,
// its C interface, outlined loops) stay local to it.
//
// Weights in a side file (onebit-compile --weights=file, or auto for big
// models): the large constants then live in a file beside the .so, which the
// runtime maps read-only before the first run, and the compiler emits three
// more symbols (hidden, like the entry):
//
//   const uint64_t onebit_weights_table[];  // {id, file bytes, count,
//                                           //  offset of constant 0, ...}
//   void *onebit_weights_slots[count];      // zero: the runtime fills them
//   const char onebit_weights_file[];       // the file's name, NUL-ended
//
// The code reads constant i at onebit_weights_slots[i], which the runtime
// sets to the mapping's base plus offset i. The file is looked up in the
// directory the model.so was loaded from. It starts with kWeightsMagic and
// the id (a hash of the contents, so a file of another build is refused),
// little-endian; the constants follow from kWeightsHeaderBytes on, each at
// a multiple of kWeightsAlignment, row-major as the globals held them.
//
// The signature is one line per tensor, fields separated by tabs:
//   in|out <TAB> name <TAB> dtype number (onebit_dtype) <TAB> dims
// with dims comma-separated, -1 for dynamic, empty for a scalar. Inputs come
// first, in the entry's argument order, then outputs in result order.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_RUNTIME_MODELABI_H
#define ONEBIT_RUNTIME_MODELABI_H

namespace onebit::abi {
constexpr const char *kSignatureSymbol = "onebit_model_signature";
constexpr const char *kEntrySymbol = "onebit_model_entry";
/// The marker MLIR's memref lowering stores as `allocated` for globals.
constexpr unsigned long kGlobalMemrefMarker = 0xdeadbeef;
/// The runtime's parallel loop, which compiled code calls.
constexpr const char *kParallelForSymbol = "onebit_parallel_for";
/// The side file of the weights (see above).
constexpr const char *kWeightsTableSymbol = "onebit_weights_table";
constexpr const char *kWeightsSlotsSymbol = "onebit_weights_slots";
constexpr const char *kWeightsFileSymbol = "onebit_weights_file";
constexpr char kWeightsMagic[8] = {'O', 'N', 'E', 'B', 'I', 'T', 'W', '1'};
constexpr unsigned long kWeightsHeaderBytes = 4096;
constexpr unsigned long kWeightsAlignment = 64;
/// What a model.so exports: the C API of onebit_runtime.h and memrefCopy.
/// (test/runtime/CheckModelExports.cmake checks built libraries against its
/// own copy of this list.)
constexpr const char *kExportedSymbols[] = {
    "memrefCopy",          "onebit_check_signature", "onebit_free_outputs",
    "onebit_input_info",   "onebit_num_inputs",      "onebit_num_outputs",
    "onebit_num_threads",  "onebit_output_info",     "onebit_run",
    "onebit_status_free",  "onebit_status_message",
};
} // namespace onebit::abi

#endif // ONEBIT_RUNTIME_MODELABI_H
