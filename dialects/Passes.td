//===- Passes.td - onebit transformation passes ------------*- tablegen -*-===//

#ifndef ONEBIT_PASSES_TD
#define ONEBIT_PASSES_TD

include "mlir/Pass/PassBase.td"

def Ternarize : Pass<"ternarize"> {
  let summary = "Quantize onebit.linear layers into ternary or sign form";
  let description = [{
    Rewrites each `onebit.linear` whose weight is a constant into
    `onebit.ternary_linear` (`method=absmean`, BitNet b1.58) or
    `onebit.sign_linear` (`method=svid`, OneBit). Packed weights are stored as
    `dense_resource` blobs named after the layer.

    Weights that are already exactly ternary ({-c, 0, +c} per tensor or per
    row) or binary ({-c_n, +c_n} per row) are packed without loss, with the
    exact c as the scale, whatever the method: binary weights become
    `sign_linear` with h = c (1 bit per weight), ternary weights become
    `ternary_linear`. With `exact-only`, nothing else is touched (this is
    `onebit-compile --quantize=auto`).

    absmean: gamma = max(mean|W|, 1e-5) over the tensor or each row
    (`granularity`), T = clamp(round_half_even(W / gamma), -1, 1),
    scale = gamma.
    svid: S = sign(W) (sign(0) = +1) and a rank-1 non-negative approximation
    a b^T of |W| (`svid-solver`: NMF by multiplicative updates, or the leading
    singular pair by power iteration); h = a, g = b.

    Layers whose `layer_name` matches `skip` (a full match of an extended
    regular expression), or whose weight has fewer than `min-elements`
    elements, are left as they are, as are weights that are not f32
    constants. With `summary`, a table on stderr gives for each layer its
    form, bits per weight (packed weights, scales and value vectors together)
    and the relative Frobenius error ||W - W_q|| / ||W|| of the quantized
    weight, and the total compression of the weights rewritten.
  }];
  let options = [
    Option<"method", "method", "::onebit::QuantMethod",
           "::onebit::QuantMethod::Absmean",
           "Quantization method",
           [{::llvm::cl::values(
               clEnumValN(::onebit::QuantMethod::Absmean, "absmean",
                          "BitNet b1.58 absmean ternarization"),
               clEnumValN(::onebit::QuantMethod::Svid, "svid",
                          "OneBit sign-value-independent decomposition"))}]>,
    Option<"granularity", "granularity", "::onebit::quant::Granularity",
           "::onebit::quant::Granularity::PerTensor",
           "Scale granularity of absmean",
           [{::llvm::cl::values(
               clEnumValN(::onebit::quant::Granularity::PerTensor, "tensor",
                          "one scale per weight tensor"),
               clEnumValN(::onebit::quant::Granularity::PerChannel, "channel",
                          "one scale per output channel"))}]>,
    Option<"svidSolver", "svid-solver", "::onebit::quant::SvidSolver",
           "::onebit::quant::SvidSolver::Nmf",
           "Rank-1 solver of SVID",
           [{::llvm::cl::values(
               clEnumValN(::onebit::quant::SvidSolver::Nmf, "nmf",
                          "non-negative matrix factorization"),
               clEnumValN(::onebit::quant::SvidSolver::Svd, "svd",
                          "leading singular pair by power iteration"))}]>,
    Option<"skip", "skip", "std::string", /*default=*/"\"\"",
           "Leave layers whose name fully matches this regex">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Leave layers whose weight has fewer elements">,
    Option<"exactOnly", "exact-only", "bool", /*default=*/"false",
           "Only pack weights that are already exactly ternary or binary">,
    Option<"int8Activations", "int8-activations", "bool", /*default=*/"false",
           "Quantize activations to int8 per token in ternary layers (W1.58A8)">,
    Option<"printSummary", "summary", "bool", /*default=*/"false",
           "Print a table of each layer's form, bits per weight and weight "
           "error, and the total compression, to stderr">,
  ];
  let dependentDialects = ["::onebit::OnebitDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QuantizeEmbeddings : Pass<"onebit-quantize-embeddings"> {
  let summary = "Store embedding tables (and tied LM heads) as int8 or int4 "
                "with a scale per row";
  let description = [{
    An embedding table is a 2-d f32 constant that a gather reads element by
    element (`tensor.extract` in a `linalg.generic`, as the importer's
    Gather does), that nothing else reads but `onebit.linear` layers taking
    it as their weight (a tied LM head), and that is either such a weight or
    gathered by a model input (the generic reads a function argument: the
    token ids). Tables gathered only by computed indices, such as rotary
    cos/sin caches and position tables, keep their precision. Each
    embedding table of at least `min-elements` elements
    is stored as `bits`-bit integers with a scale per row:
    scale[r] = max_c |W[r, c]| / qmax, q = clamp(round_half_even(W / scale),
    -qmax, qmax), qmax = 127 (8 bits) or 7 (4 bits); a row of zeros (or
    holding a non-finite value) becomes zeros.

    Each element read becomes a read of the packed byte (or nibble), a
    conversion and a multiply by the row's scale; each layer over the table
    becomes an `onebit.quantized_linear` reading the same packed constant,
    so the table is stored once. With `summary`, the table of forms, bits
    per weight and relative errors of `--ternarize` goes to stderr.
  }];
  let options = [
    Option<"bits", "bits", "int", /*default=*/"8",
           "Bits per element: 8 or 4">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Leave tables with fewer elements in float">,
    Option<"printSummary", "summary", "bool", /*default=*/"false",
           "Print each table's form, bits per weight and error to stderr">,
  ];
  let dependentDialects = ["::onebit::OnebitDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FuseValueScaling : Pass<"fuse-value-scaling"> {
  let summary = "Fold value vectors and scales into neighbouring ops";
  let description = [{
    Moves the per-channel scalings of the low-bit layers to where they cost
    least, changing results only by float rounding:

    * g of `onebit.sign_linear` is multiplied into a preceding per-channel
      multiply by a constant (such as a norm weight) whose only user is the
      layer; g is then dropped from the layer.
    * A following per-channel multiply by a constant, whose operand has no
      other user, is folded into the layer's h (`sign_linear`) or scale
      (`ternary_linear`, which then becomes per channel), and into its bias.
    * A following per-channel add of a constant becomes (or adds to) the
      layer's bias, applied in its epilogue.
    * Chains of such multiplies and adds fold one after another.

    A per-channel op is a `linalg.generic` with two inputs, all-parallel
    iterators, a body of one `arith.mulf` or `arith.addf`, and one input a
    constant vector indexed by the last dimension only. Whatever cannot move
    stays in the layer's own prologue (g) and epilogue (h, scale, bias), and
    value vectors that are all ones are dropped.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect"];
}

def SignlessIntegers : Pass<"onebit-signless-integers", "::mlir::ModuleOp"> {
  let summary = "Drop the signedness of unsigned integer types once the "
                "ops have chosen their arithmetic";
  let description = [{
    The importer types the elements of ONNX's unsigned tensors `ui8`,
    `ui16`, `ui32` or `ui64`, so that each op can choose unsigned arithmetic
    (`arith.divui`, `arith.cmpi ult`, `arith.uitofp`) and the model's
    signature can say `uint8`. arith, and everything below it, works on
    signless integers only: the scalar code reads unsigned elements through
    `builtin.unrealized_conversion_cast` to signless ones.

    This pass rewrites every unsigned integer type in the module (operand,
    result and block argument types, function types, the types of constants
    and of `dense_resource` blobs) to the signless type of its width, and
    removes the casts that have become identities. Nothing changes bit-wise:
    the choice of arithmetic was made before. Run it before the lowering.
  }];
}

def ReshapeToExpandShape : Pass<"onebit-reshape-to-expand-shape"> {
  let summary = "Rewrite tensor.reshape of a listed shape into collapse and "
                "expand";
  let description = [{
    The importer's `Reshape` is `tensor.reshape %x(%shape)` with the shape a
    `tensor.from_elements` of i64 sizes (dims of other tensors, mostly).
    Bufferized, that shape becomes a small buffer the host writes and
    `memref.reshape` reads, which on the GPU means waiting for the stream
    there. This pass states the same reshape without a shape tensor:
    `tensor.collapse_shape` of `%x` to one dimension, then
    `tensor.expand_shape` to the result with the sizes as index values
    (`output_shape`). Reshapes to or from rank 0, and those whose shape is
    not a `tensor.from_elements`, are left alone.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LastPositionOnly : Pass<"onebit-last-position-only",
                             "::mlir::func::FuncOp"> {
  let summary = "Compute the named outputs at the last position only";
  let description = [{
    A decoder's logits [B, S, V] are used at the last position only when
    text is generated, yet the LM head computes them for every position of
    a prompt (at the 2B4T shape, 0.7 s of a 6.0 s 128-token prefill on 2
    threads). For each function result
    whose `onnx.name` is in `outputs` and which a layer op (`onebit.linear`,
    `ternary_linear`, `sign_linear`, `quantized_linear`) computes, the layer
    is applied to the last row of its input's position dimension (the one
    before the features: S of [B, S, H], the rows of [S, H]) only, and the
    result's dimension there becomes 1. An empty position dimension ends
    the run with an error (`onebit.check`). An output that no layer computes,
    or a name that no output has, is a compile error.
  }];
  let options = [
    ListOption<"outputs", "outputs", "std::string",
               "Names of the outputs (onnx.name) to compute at the last "
               "position only">,
  ];
  let dependentDialects = ["::onebit::OnebitDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FuseElementwise : Pass<"onebit-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg ops into their consumers where "
                "nothing is computed twice";
  let description = [{
    `linalg-fuse-elementwise-ops` with a cost rule. Upstream fuses an
    elementwise producer into any consumer, also one that reads it through a
    broadcast or from inside a reduction: in attention, the rotary embedding
    of Q then runs once per element of Q K^T, recomputed for every key, and
    the reciprocal square root of an RMSNorm once per element instead of
    once per row. Here a producer is fused only when the consumer reads its
    result through a permutation of all the consumer's loops (each element
    exactly once) and nothing else uses it. Otherwise the producer stays a
    separate op and its result a buffer. Reshapes are folded into generics
    by expansion under the same rule.

    A producer that computes nothing, a transpose or broadcast (named ops
    are generalized first) whose body yields its input, is folded into any
    consumer generic: the consumer reads the producer's input in place
    through the composed indexing map (attention's K^T and the K and V that
    grouped-query attention repeats per head), unless a loop of the consumer
    would then be bounded by no operand.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // ONEBIT_PASSES_TD
