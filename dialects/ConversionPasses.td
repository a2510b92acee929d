//===- ConversionPasses.td - onebit lowerings ---------------*- tablegen -*-===//

#ifndef ONEBIT_CONVERSION_PASSES_TD
#define ONEBIT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerToLinalg : Pass<"onebit-lower-to-linalg"> {
  let summary = "Reference lowering of onebit ops to linalg on tensors";
  let description = [{
    A plain lowering that states each op's arithmetic in upstream ops: packed
    weights are unpacked in IR (bit tests on the i8 planes) into a float
    matrix, multiplied with `linalg.matmul` (transposed B), and the scales,
    value vectors, bias and activation quantization are `linalg.generic`
    elementwise ops. It is deliberately simple: it is the numeric oracle that
    the fast CPU and GPU lowerings are checked against. `onebit.check` stays
    (`--onebit-insert-shape-checks` lowers it).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def LowerToVectorKernels : Pass<"onebit-lower-to-vector"> {
  let summary = "Add-only vectorized CPU kernels for the low-bit layers";
  let description = [{
    Lowers `onebit.ternary_linear` and `onebit.sign_linear` to loops over the
    packed weights that never multiply by a weight:

    ```
    scf.parallel over blocks of 4 output channels n0..n3 {
      for each tile of 4 activation rows m0..m3 {
        acc[r][c] = 0 (16 vectors of `vector-width` lanes: independent chains)
        for each group of `vector-width` inputs k {
          for each channel c: plus[c], minus[c] = its packed bits at k,
                              as vector<w x i1>                (ternary)
          for each row r: x = x[m_r, k .. k+w)                 (loaded once)
            for each channel c:
              acc[r][c] = select(plus[c], acc + x, acc)        masked add
              acc[r][c] = select(minus[c], acc - x, acc)       masked subtract
              (sign: acc = select(bits[c], acc + x, acc - x))
        }
        then the tail of K read with zero padding
        y[m_r, n_c] = lanes summed (one shuffle tree for the 16 accumulators)
                      * scale[n_c] + bias[n_c]                 once per output
      }
      then each row left, the same over the block's channels with four
      groups of K in flight per channel
    }
    ```

    When 4 does not divide N, the last block's channels are clamped to
    N - 1 (it computes and stores that channel more than once, with the same
    value). A single row keeps four groups of K in flight per channel. Each
    step of the loop over K also prefetches the next block's bit planes (one
    contiguous run of bytes) at the rate it consumes its own: read side by
    side, a block's 8 short runs are too many for the hardware prefetcher,
    and without this a GEMV from memory took 1.5 to 1.8 times as long as
    from cache.

    The bit planes are read in place (16 lanes read two bytes of a plane),
    the tail of K is read with zero padding, and scales, h, bias and the int8
    row factor are applied once per output. OneBit's g and BitNet's int8
    activation quantization run once per activation row before the loops.
    The kernel works on buffers (`bufferization.to_buffer` of its operands,
    a `memref.alloc` for the result), so it composes with one-shot
    bufferization. `onebit.linear` is left for the linalg path, unless
    `float-layers` is set: then it runs in the same loop nest (threads over
    blocks of output channels, vector accumulators over K) with `acc =
    fma(x, W[n, k .. k+w), acc)` as the inner step: the float layers' dot
    products then sum in `vector-width` partial sums rather than in order. A
    float layer's single rows take the block's channels one at a time, with
    four groups of K in flight, so that its 4-byte weights stream from memory
    in one sequential run.

    With `lookup-tables=avx2` (or `avx512`), ternary layers with int8
    activations take the table-lookup kernel instead (LookupTableKernel.cpp):
    the weights are repacked at compile time into 4-bit codes, one per pair
    of inputs (quant::packTernaryLookupCodes: blocks of 32 or 64 channels,
    one vector of codes per 4 inputs), and each row's pairs of activations
    become two 16-byte tables of the 9 sums a pair's weights can make (of
    the activations' low and high nibbles, so that they fit a byte):

    ```
    tables[m, j, e] = w0(e) * (q[m,2j] & 15) + w1(e) * (q[m,2j+1] & 15)
    tables[m, j, 16 + e] = the same of q >> 4
    scf.parallel over blocks of 32 (64) output channels {
      for each tile of 2 (4) rows, then each row left {
        for each 128 inputs {                       16-bit sums
          for each 8 inputs {                       two vectors of codes
            per row: 4 byte shuffles (vpshufb) per table, the codes as
            indices; the looked-up bytes added; the two tables' sums joined
            as low + 16 * high into 16-bit lanes (vpmaddubsw by (1, 16))
          }
          widened to 32 bits
        }
        y = sum / r[m] * scale[n] + bias[n], 8 channels a store
      }
    }
    ```

    The sums are exact integers, equal to the masked-add kernel's.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "Lanes per vector: 16 for AVX-512, 8 for AVX2 (a multiple of 8)">,
    Option<"floatLayers", "float-layers", "bool", /*default=*/"false",
           "Also lower onebit.linear, with vector FMAs over its float weights">,
    Option<"lookupTables", "lookup-tables", "std::string", /*default=*/"\"\"",
           "Byte-shuffle ISA of the table-lookup kernel for ternary layers "
           "with int8 activations: avx2 or avx512 (empty: the masked-add "
           "kernel)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def LowerByteShuffles : Pass<"onebit-lower-byte-shuffles"> {
  let summary = "onebit.byte_lookup and onebit.pair_sum to x86 intrinsics";
  let description = [{
    Replaces the table-lookup kernel's two byte ops by calls of the x86
    intrinsics that compute them: `onebit.byte_lookup` by vpshufb
    (`llvm.x86.avx2.pshuf.b` on 32 bytes, `llvm.x86.avx512.pshuf.b.512` on
    64) and `onebit.pair_sum` by vpmaddubsw (`llvm.x86.avx2.pmadd.ub.sw`,
    `llvm.x86.avx512.pmaddubs.w.512`). It runs after buffer deallocation,
    which does not accept intrinsic calls (their memory effects are
    unknown to it). Other widths are an error naming the op.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def VectorizeGenerics : Pass<"onebit-vectorize-generics"> {
  let summary = "Vector loops for linalg.generic on buffers, along the "
                "output's innermost dimension";
  let description = [{
    `convert-linalg-to-loops` turns every `linalg.generic` into scalar loops
    whose reductions load and store the output element at each step. This
    pass lowers the generics it can to loops that compute `vector-width`
    neighbouring outputs at once instead: the loop of the output's last
    dimension (a parallel one, contiguous in memory) steps by whole vectors,
    outside the reduction loops, so a reduction's partial results stay in
    registers:

    ```
    for the other parallel dims {
      for j in steps of 4 vectors, then of 1 vector, then a masked tail {
        acc = out[..., j : j + w]
        for the reduction dims (in order)
          acc = body(inputs at (..., j : j + w) or broadcast, acc)
        out[..., j : j + w] = acc
      }
    }
    ```

    Each output element sees exactly the scalar lowering's operations in
    the same order, so the results are bit for bit the same.

    A generic whose output has no parallel last index (a row sum, maximum
    or mean over the last dimension: softmax, RMSNorm, LayerNorm) is
    vectorized along its only reduction loop instead, when the body yields
    one combining op (`addf`, `mulf`, `maximumf`, ... with a neutral
    element) of the output's old value and a value computed from the
    inputs: 4 vectors of partial results start at the neutral element, take
    the body's value lane by lane, and are combined with each other, across
    lanes and last with the output's old value. That reassociates the
    reduction (a sum adds in 64 partial sums, not in order).

    Either way a generic qualifies when every input is indexed by loops and
    constants with the vector loop, if at all, as its contiguous last
    index, the element types are at least 8 bits wide, and the body is
    elementwise-mappable arith and math ops (no `linalg.index`, no nested
    regions). Anything else is left for `convert-linalg-to-loops`.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "Lanes per vector">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def InsertShapeChecks : Pass<"onebit-insert-shape-checks", "::mlir::ModuleOp"> {
  let summary = "Check at run time the shapes that buffers are assumed to have";
  let description = [{
    The importer gives values the static dimensions the ONNX file declares,
    through casts from the dynamic sizes it computes, and a reshape assumes
    its shape holds as many elements as its source. Inputs the file did not
    foresee (an empty sequence, say) can break both, and the code after
    would read outside its buffers. This pass puts a check before each
    `tensor.cast` or `memref.cast` that makes a dynamic dimension static
    (the run-time size must equal it), each `tensor.reshape` or
    `memref.reshape` (the element counts must agree) and each
    `expand_shape` with dynamic sizes (each group of sizes must multiply to
    the dimension it splits). onebit-compile runs it on tensors first,
    before canonicalization folds casts into their users, and on buffers,
    for the casts and splits that canonicalization made from declared
    static sizes (a reshape that stayed one is checked again there: a few
    integer ops). The CUDA pipeline also runs it once its reshapes have
    become expand_shape ops. A failed check calls
    `onebit_shape_check_failed("<node>: ...")` from the runtime, which ends
    the run with that message as its error instead of returning. The
    `onebit.check` ops the importer emits (Gather indices within their axis,
    dynamic dimensions that meet in a broadcast) become the same call.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def OutlineParallelLoops : Pass<"onebit-outline-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Outline scf.parallel loops for the runtime's thread pool";
  let description = [{
    The first half of running parallel loops on onebit's own thread pool (a
    model.so needs no OpenMP runtime). Each one-dimensional `scf.parallel`
    from 0 with step 1 becomes a call to a declared dispatch function,
    `__onebit_parallel_dispatch_<n>(lb, ub, captured values...)`, and its
    body moves into `__onebit_parallel_body_<n>(begin, end, captured...)`,
    which loops from begin to end. Constants are cloned into the body rather
    than captured. Other loops are left to run sequentially.
    `--onebit-emit-parallel-dispatch` completes the job once the module is in
    the LLVM dialect.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
}

def EmitParallelDispatch : Pass<"onebit-emit-parallel-dispatch", "::mlir::ModuleOp"> {
  let summary = "Define the dispatch functions of outlined parallel loops";
  let description = [{
    Runs on the LLVM dialect after `--onebit-outline-parallel-loops` and the
    lowering to LLVM. Each declared `__onebit_parallel_dispatch_<n>` gets a
    body that packs its captured arguments into a stack struct and calls the
    runtime's

    ```c
    void onebit_parallel_for(void (*fn)(void *ctx, int64_t begin, int64_t end),
                             void *ctx, int64_t begin, int64_t end);
    ```

    with a trampoline `__onebit_parallel_trampoline_<n>(ctx, begin, end)` that
    unpacks them and calls `__onebit_parallel_body_<n>`. The runtime splits
    [begin, end) over its threads and returns when all chunks are done.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def ExpandShapeToReinterpretCast : Pass<"onebit-expand-shape-to-reinterpret-cast"> {
  let summary = "Rewrite memref.expand_shape ops with several dynamic sizes "
                "in a group into memref.reinterpret_cast";
  let description = [{
    Works around a crash of upstream `--expand-strided-metadata` (LLVM 22) on
    a `memref.expand_shape` whose reassociation group has two or more dynamic
    result sizes (`memref<?xf32>` into `memref<?x?xf32>`), which the linear
    layers of any model with dynamic batch and sequence produce. Such an op
    becomes a `memref.reinterpret_cast` of the source's base buffer
    (`memref.extract_strided_metadata`) at the source's offset: within each
    group the innermost result dim keeps the source dim's stride and each
    outer one is the stride inside it times that dim's size (folded where
    static). Other `expand_shape` ops are left to `--expand-strided-metadata`.
    Run it after bufferization, before `--expand-strided-metadata`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def ExpandBFloat16 : Pass<"onebit-expand-bfloat16"> {
  let summary = "Rewrite conversions between f32 and bf16 into integer "
                "arithmetic";
  let description = [{
    `arith.truncf` from f32 to bf16 (round to nearest even, NaN kept quiet)
    and `arith.extf` from bf16 to f32 become bitcasts, shifts and integer
    adds, on scalars and vectors, through upstream's bf16 expansion
    patterns. Without it LLVM lowers the truncation, on CPUs without
    AVX-512 BF16, to a call to `__truncsfbf2`, which not every C runtime
    library provides: the model would link on one machine and not another.
    Run it before `--convert-arith-to-llvm`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LowerToGPUKernels : Pass<"onebit-lower-to-gpu-kernels"> {
  let summary = "Warp-per-channel GPU kernels for the low-bit layers";
  let description = [{
    Lowers `onebit.ternary_linear` and `onebit.sign_linear` with K a multiple
    of 32 to one `gpu.launch` each, written for memory bandwidth:
    ```
    block = 8 warps; warp w of block (bx, by) owns output channel 8 bx + w
    block row by < M / 8: the tile of 8 rows from 8 by (prefill: the rows
    share each decode of the weights); block rows after: one row each
    for each chunk of 1024 weights of K:
      the block copies the tile's rows of x[:, chunk] to shared memory, a
      padding float after every 32 (no bank conflicts below), between
      barriers
      lane l reads word l of the chunk in each bit plane of its channel
      (each warp load is 128 contiguous bytes) and for each bit j, for each
      row r of the tile:
        acc[r][j mod a] = select(plus bit,  acc + x[r, 32 w + j], acc)
        acc[r][j mod a] = select(minus bit, acc - x[r, 32 w + j], acc)
        (sign: acc = select(bit, acc + x, acc - x); a = 4 for one row, 2
        for a tile of 8)
    single rows (decode) go by table lookup instead: per chunk the block
    writes table[mask][g] = the sum of x[4 g + b] over the bits b of mask
    (16 subset sums of each group of 4, 11 adds), and lane l adds
    table[plus nibble][g] and subtracts table[minus nibble][g] for its
    groups g = l + 32 i (sign: table[nibble] - table[~nibble]), the nibbles
    shuffled from the lane that loaded their word
    the warp sums its lanes with shuffles (xor 16, 8, 4, 2, 1)
    lane 0 writes y[m, n] = sum / r[m] * scale[n] + bias[n]
    ```
    No multiply by a weight. The packed constant keeps its layout and is
    read through a `memref.view` as i32 words. OneBit's g and BitNet's int8
    activation quantization run before the launch as linalg (then GPU)
    ops. Other layers are left to `--onebit-lower-to-linalg`.

    Ownership-based buffer deallocation rejects GPU ops, so this pass emits
    each layer as a `func.call` of a declared `onebit_gpu_layer_*` function
    on buffers (x, packed planes, scale, bias, row divisor, output), with an
    `onebit.gpu_layer` attribute describing it; after bufferization,
    `--onebit-define-gpu-layer-kernels` puts the launch in its place.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def DefineGPULayerKernels : Pass<"onebit-define-gpu-layer-kernels", "::mlir::ModuleOp"> {
  let summary = "Replace the kernel calls of --onebit-lower-to-gpu-kernels "
                "by their launches";
  let description = [{
    The second step of `--onebit-lower-to-gpu-kernels`, after bufferization
    and buffer deallocation: each call of a declared function carrying an
    `onebit.gpu_layer` attribute becomes the kernel's `gpu.launch` in place,
    and the declaration is erased.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

//===----------------------------------------------------------------------===//
// The CUDA target
//===----------------------------------------------------------------------===//

def BuffersToGPU : Pass<"onebit-buffers-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Place a bufferized model's buffers in GPU memory";
  let description = [{
    The first step of the CUDA target after bufferization. In every function,
    `memref.alloc` becomes `gpu.alloc host_shared` (CUDA managed memory, so
    the few ops left on the host, such as the shape operands of
    `memref.reshape`, may still read them), `memref.dealloc` becomes
    `gpu.dealloc`, and `memref.copy` becomes `linalg.copy`, which then lowers
    to a kernel like every other linalg op. In public functions (the entry)
    each input is copied into a GPU buffer once on entry, and each result is
    copied out once into a fresh host buffer (`memref.alloc`) before return;
    the GPU buffers of the inputs and results are then freed. The runtime
    therefore sees host arrays in and host results out, as on the CPU.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def ParallelLoopsToGPU : Pass<"onebit-parallel-loops-to-gpu"> {
  let summary = "Turn each outermost scf.parallel loop nest into a gpu.launch";
  let description = [{
    The generic mapping of the CUDA target: each outermost `scf.parallel`
    without reductions (as `convert-linalg-to-parallel-loops` makes them)
    becomes a `gpu.launch` with one thread per iteration. The iteration
    space is linearized onto a one-dimensional grid of `block-size` threads
    per block, the innermost loop dimension fastest (neighbouring threads
    touch neighbouring elements of row-major buffers); threads past the end
    do nothing. Loops inside the body (reductions) stay sequential in each
    thread. Run `gpu-kernel-outlining` afterwards.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block (1 to 1024)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect"];
}

def SynchronousSharedAllocs : Pass<"onebit-synchronous-shared-allocs"> {
  let summary = "Make the host_shared allocations of gpu-async-region "
                "synchronous again";
  let description = [{
    `gpu-to-llvm` (LLVM 22) does not lower an asynchronous
    `gpu.alloc host_shared`, and `gpu-async-region` makes every allocation
    asynchronous. CUDA allocates managed memory synchronously anyway, so each
    such alloc becomes a plain `gpu.alloc host_shared`, and users of its token
    take its one dependency instead: the stream's order is unchanged.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GlobalsToDevice : Pass<"onebit-globals-to-device", "::mlir::ModuleOp"> {
  let summary = "Read constant globals through cached device copies";
  let description = [{
    Runs on the host code of the CUDA target once it is in the LLVM dialect.
    Each `llvm.mlir.addressof` of a constant global in a function of the
    module (not in a `gpu.module`) becomes a call to the CUDA runtime's
    ```c
    void *onebit_cuda_constant(void **slot, const void *host, int64_t bytes);
    ```
    with a new zero-initialized pointer global `<name>__device` as the slot:
    the runtime copies the global to device memory on first use and returns
    the cached copy afterwards, so kernels read weights from the GPU.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // ONEBIT_CONVERSION_PASSES_TD
