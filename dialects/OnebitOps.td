//===- OnebitOps.td - onebit operations --------------------*- tablegen -*-===//
//
// Each op's description states its exact arithmetic; the reference lowering
// (--onebit-lower-to-linalg) implements exactly that and is the oracle for
// the fast lowerings.
//
//===----------------------------------------------------------------------===//

#ifndef ONEBIT_OPS_TD
#define ONEBIT_OPS_TD

include "OnebitDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"

def Onebit_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Onebit_F32Tensor : RankedTensorOf<[F32]>;
def Onebit_F32ElementsAttr : FloatElementsAttr<32>;

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

def Onebit_LinearOp : Onebit_Op<"linear", [Pure]> {
  let summary = "Float linear layer: y = x W^T (+ bias)";
  let description = [{
    A float linear layer, as the ONNX importer produces it from a MatMul or
    Gemm whose weight is an initializer:

    ```
    y[b..., n] = sum_k x[b..., k] * W[n, k]  (+ bias[n])
    ```

    `weight` is stored out x in (N x K). `input` has rank >= 1; its leading
    dimensions are batch dimensions. All element types are the same float type.
    `layer_name` names the layer (the weight initializer's name) for reports
    and for the `skip=` option of `--ternarize`.

    Example:

    ```mlir
    %y = onebit.linear %x, %w bias %b {layer_name = "fc1"}
        : tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<?x16xf32>
    ```
  }];

  let arguments = (ins Onebit_FloatTensor:$input,
                       Onebit_FloatTensor:$weight,
                       Optional<Onebit_FloatTensor>:$bias,
                       OptionalAttr<StrAttr>:$layer_name);
  let results = (outs Onebit_FloatTensor:$result);

  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// TernaryLinearOp
//===----------------------------------------------------------------------===//

def Onebit_TernaryLinearOp : Onebit_Op<"ternary_linear", [Pure]> {
  let summary = "BitNet b1.58 linear layer with ternary weights, 2 bits each";
  let description = [{
    A linear layer whose weights are T in {-1, 0, +1}^(N x K) times a scale:

    ```
    y[b..., n] = scale[n] * sum_k x[b..., k] * T[n, k]  (+ bias[n])
    ```

    `scale` has 1 element (per tensor; scale[n] = scale[0]) or N elements (per
    output channel). For absmean quantization it holds gamma = max(mean|W|,
    1e-5) of the tensor or of each row.

    **Packed layout.** `packed_weights` is an `i8` elements attribute of shape
    N x 2 x ceil(K/8): for row n, `[n, 0, :]` is the plus plane and
    `[n, 1, :]` the minus plane. T[n, k] = +1 if bit (k mod 8) of byte
    `[n, 0, k / 8]` is set, -1 if that bit of `[n, 1, k / 8]` is set, 0 if
    neither; bits are numbered from the least significant. A weight may not
    have both bits set, and the padding bits past K are zero. That is 2 bits
    per weight, read directly by masked add/subtract kernels.

    **Activation quantization.** With `int8_activations` (BitNet's W1.58A8),
    each row x[b..., :] is first quantized per token:

    ```
    r[b...] = 127 / max(max_k |x[b..., k]|, 1e-5)
    q[b..., k] = clamp(round_half_even(x[b..., k] * r[b...]), -128, 127)
    y[b..., n] = (sum_k q[b..., k] * T[n, k]) / r[b...] * scale[n]  (+ bias[n])
    ```

    This is BitNet's reference `activation_quant` followed by the ternary
    matrix product; the integer sum is exact in f32 while 128 * K <= 2^24
    (K <= 131072).

    Example:

    ```mlir
    %y = onebit.ternary_linear %x {layer_name = "fc1",
           packed_weights = dense_resource<fc1> : tensor<16x2x1xi8>,
           scale = dense<0.25> : tensor<1xf32>}
        : tensor<4x8xf32> -> tensor<4x16xf32>
    ```
  }];

  let arguments = (ins Onebit_F32Tensor:$input,
                       Optional<Onebit_F32Tensor>:$bias,
                       ElementsAttr:$packed_weights,
                       Onebit_F32ElementsAttr:$scale,
                       UnitAttr:$int8_activations,
                       OptionalAttr<StrAttr>:$layer_name);
  let results = (outs Onebit_F32Tensor:$result);

  let assemblyFormat = [{
    $input (`bias` $bias^)? attr-dict `:` type($input) (`,` type($bias)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// K, the input feature count.
    int64_t getInFeatures();
    /// N, the output feature count.
    int64_t getOutFeatures();
  }];
}

//===----------------------------------------------------------------------===//
// SignLinearOp
//===----------------------------------------------------------------------===//

def Onebit_SignLinearOp : Onebit_Op<"sign_linear", [Pure]> {
  let summary = "OneBit linear layer: sign bits and two value vectors";
  let description = [{
    OneBit's linear layer. The weight is W ~ S (.) (h g^T) with S in
    {-1, +1}^(N x K), and the layer computes

    ```
    y[b..., n] = h[n] * sum_k (x[b..., k] * g[k]) * S[n, k]  (+ bias[n])
    ```

    `g` (K elements, the input-side value vector) and `h` (N elements, the
    output-side value vector) are optional; an absent one is all ones. This is
    how `--fuse-value-scaling` records that a neighbouring op took it over.

    **Packed layout.** `packed_signs` is an `i8` elements attribute of shape
    N x ceil(K/8). S[n, k] = +1 if bit (k mod 8) of byte `[n, k / 8]` is set
    and -1 if it is clear, bits numbered from the least significant; the
    padding bits past K are zero. That is 1 bit per weight.

    Example:

    ```mlir
    %y = onebit.sign_linear %x {layer_name = "fc1",
           packed_signs = dense_resource<fc1> : tensor<16x1xi8>,
           g = dense<...> : tensor<8xf32>, h = dense<...> : tensor<16xf32>}
        : tensor<4x8xf32> -> tensor<4x16xf32>
    ```
  }];

  let arguments = (ins Onebit_F32Tensor:$input,
                       Optional<Onebit_F32Tensor>:$bias,
                       ElementsAttr:$packed_signs,
                       OptionalAttr<Onebit_F32ElementsAttr>:$g,
                       OptionalAttr<Onebit_F32ElementsAttr>:$h,
                       OptionalAttr<StrAttr>:$layer_name);
  let results = (outs Onebit_F32Tensor:$result);

  let assemblyFormat = [{
    $input (`bias` $bias^)? attr-dict `:` type($input) (`,` type($bias)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// K, the input feature count.
    int64_t getInFeatures();
    /// N, the output feature count.
    int64_t getOutFeatures();
  }];
}

//===----------------------------------------------------------------------===//
// QuantizedLinearOp
//===----------------------------------------------------------------------===//

def Onebit_QuantizedLinearOp : Onebit_Op<"quantized_linear", [Pure]> {
  let summary = "Linear layer with int8 or int4 weights and a scale per row";
  let description = [{
    A linear layer whose weight is W[n, k] = scale[n] * q[n, k], q signed
    integers of `bits` bits held in the i8 tensor `weight`:

    ```
    y[b..., n] = scale[n] * sum_k x[b..., k] * q[n, k]  (+ bias[n])
    ```

    This is how `onebit-quantize-embeddings` stores an embedding table and
    the LM head tied to it: the gathers of the table read the same `weight`
    and `scale` tensors (as SSA values, so the table is stored once).

    **Layout.** With `bits = 8`, `weight` is N x K and q[n, k] is the byte
    `weight[n, k]`. With `bits = 4`, `weight` is N x ceil(K/2): q[n, k] is the
    low nibble of byte `weight[n, k / 2]` for even k and its high nibble for
    odd k, each a two's-complement number in [-8, 7]. With K odd, the last
    byte's high nibble is padding and is not read.

    Example:

    ```mlir
    %y = onebit.quantized_linear %x, %q, %scale {bits = 4 : i64}
        : tensor<?x64xf32>, tensor<1000x32xi8>, tensor<1000xf32>
        -> tensor<?x1000xf32>
    ```
  }];

  let arguments = (ins Onebit_F32Tensor:$input,
                       RankedTensorOf<[I8]>:$weight,
                       Onebit_F32Tensor:$scale,
                       Optional<Onebit_F32Tensor>:$bias,
                       ConfinedAttr<I64Attr, [IntIsOneOf<[4, 8]>]>:$bits,
                       OptionalAttr<StrAttr>:$layer_name);
  let results = (outs Onebit_F32Tensor:$result);

  let assemblyFormat = [{
    $input `,` $weight `,` $scale (`bias` $bias^)? attr-dict `:`
    type($input) `,` type($weight) `,` type($scale) (`,` type($bias)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// K, the input feature count.
    int64_t getInFeatures();
    /// N, the output feature count.
    int64_t getOutFeatures();
  }];
}

//===----------------------------------------------------------------------===//
// CheckOp
//===----------------------------------------------------------------------===//

def Onebit_CheckOp : Onebit_Op<"check"> {
  let summary = "End the run with an error unless a condition holds";
  let description = [{
    A promise about the data that the code after it relies on and the input
    may break: the indices of a Gather lie within the axis they index, two
    dimensions that the model leaves dynamic agree where they meet in a
    broadcast. The importer emits the condition as ordinary IR (a min/max
    over an index tensor, a comparison of dims) outside the loops that rely
    on it, and the message naming the node.

    When `condition` is false at run time, the run ends there and returns
    `message` as its error, followed by ": <value>" when a `value` (the
    offending index, say) is given; nothing after the check runs, and the
    buffers the run had allocated are freed. `onebit-insert-shape-checks`
    lowers it to a branch to the runtime's `onebit_shape_check_failed`
    (`onebit_shape_check_failed_at` with a value).

    ```mlir
    onebit.check %in_range, "Gather node 'embed': an index is out of range" at %index : i64
    ```
  }];
  let arguments = (ins I1:$condition, StrAttr:$message, Optional<I64>:$value);
  // A check whose condition folded to true (two operands of one dynamic
  // size, an index tensor of constants) is removed.
  let hasCanonicalizeMethod = 1;
  let assemblyFormat =
      "$condition `,` $message (`at` $value^ `:` type($value))? attr-dict";
}

//===----------------------------------------------------------------------===//
// Byte-shuffle kernel ops
//===----------------------------------------------------------------------===//

def Onebit_ByteVector : VectorOfRankAndType<[1], [I8]>;
def Onebit_I16Vector : VectorOfRankAndType<[1], [I16]>;

def Onebit_ByteLookupOp : Onebit_Op<"byte_lookup",
                                    [Pure, AllTypesMatch<["table", "indices", "result"]>]> {
  let summary = "A lookup of bytes in 16-byte tables, one per 16 lanes";
  let description = [{
    The in-register table lookup of the table-lookup kernel: each group of
    16 lanes has its own 16-byte table, the same lanes of `table`, and

    ```
    result[i] = indices[i] & 0x80 ? 0 : table[16 * (i / 16) + (indices[i] & 15)]
    ```

    That is the x86 byte shuffle (vpshufb) on 128-bit lanes;
    `onebit-lower-byte-shuffles` lowers it to the AVX2 intrinsic (32 lanes)
    or the AVX-512BW one (64 lanes). It is an op rather than an intrinsic
    call so that the kernel stays Pure IR through bufferization and buffer
    deallocation.

    ```mlir
    %v = onebit.byte_lookup %table, %codes : vector<32xi8>
    ```
  }];
  let arguments = (ins Onebit_ByteVector:$table, Onebit_ByteVector:$indices);
  let results = (outs Onebit_ByteVector:$result);
  let assemblyFormat = "$table `,` $indices attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Onebit_PairSumOp : Onebit_Op<"pair_sum",
                                 [Pure, AllTypesMatch<["weights", "values"]>]> {
  let summary = "Sums of neighbouring byte products, widened to 16 bits";
  let description = [{
    ```
    result[i] = saturate_i16(zext(weights[2i]) * sext(values[2i])
                             + zext(weights[2i + 1]) * sext(values[2i + 1]))
    ```

    The x86 vpmaddubsw. The table-lookup kernel calls it with constant
    `weights` (1, 16): it joins a channel's low-nibble and high-nibble sums,
    neighbouring bytes, into one 16-bit sum, which never saturates there.
    `onebit-lower-byte-shuffles` lowers it to the AVX2 (32 bytes) or
    AVX-512BW (64 bytes) intrinsic.

    ```mlir
    %s = onebit.pair_sum %factors, %bytes : vector<32xi8> -> vector<16xi16>
    ```
  }];
  let arguments = (ins Onebit_ByteVector:$weights, Onebit_ByteVector:$values);
  let results = (outs Onebit_I16Vector:$result);
  let assemblyFormat =
      "$weights `,` $values attr-dict `:` type($values) `->` type($result)";
  let hasVerifier = 1;
}

def Onebit_F32Vector : VectorOfRankAndType<[1], [F32]>;
def Onebit_I32Vector : VectorOfRankAndType<[1], [I32]>;

def Onebit_LaneLookupOp : Onebit_Op<"lane_lookup",
                                    [Pure, AllTypesMatch<["table", "result"]>]> {
  let summary = "A lookup of f32 lanes in one table of the vector's width";
  let description = [{
    The in-register table lookup of the float table-lookup kernel:

    ```
    result[i] = table[indices[i] mod N]      (N lanes, a power of 2)
    ```

    That is the x86 vpermps; `onebit-lower-byte-shuffles` lowers it to the
    AVX2 intrinsic (8 lanes) or the AVX-512F one (16 lanes). Only the low
    log2(N) bits of an index matter, so a kernel can shift a word of packed
    indices right between lookups without masking it.

    ```mlir
    %v = onebit.lane_lookup %table, %words : vector<8xf32>, vector<8xi32>
    ```
  }];
  let arguments = (ins Onebit_F32Vector:$table, Onebit_I32Vector:$indices);
  let results = (outs Onebit_F32Vector:$result);
  let assemblyFormat =
      "$table `,` $indices attr-dict `:` type($table) `,` type($indices)";
  let hasVerifier = 1;
}

def Onebit_PairLaneLookupOp : Onebit_Op<"pair_lane_lookup",
                                        [Pure, AllTypesMatch<["low", "high", "result"]>]> {
  let summary = "A lookup of f32 lanes in a table of two vectors";
  let description = [{
    The in-register table lookup of the wide-table float kernel: the table is
    the 2N lanes of `low` followed by those of `high`, and

    ```
    t = indices[i] mod 2N
    result[i] = t < N ? low[t] : high[t - N]
    ```

    That is the x86 two-source permute vpermi2ps; `onebit-lower-byte-shuffles`
    lowers it to the AVX-512F intrinsic (N = 16: a 32-entry table, enough for
    the 27 sums of 3 ternary weights or the 32 of 5 signs). Only the low
    log2(2N) bits of an index matter, so a kernel can shift a word of packed
    indices right between lookups without masking it.

    ```mlir
    %v = onebit.pair_lane_lookup %low, %high, %words : vector<16xf32>, vector<16xi32>
    ```
  }];
  let arguments = (ins Onebit_F32Vector:$low, Onebit_F32Vector:$high,
                       Onebit_I32Vector:$indices);
  let results = (outs Onebit_F32Vector:$result);
  let assemblyFormat = "$low `,` $high `,` $indices attr-dict `:` "
                       "type($low) `,` type($indices)";
  let hasVerifier = 1;
}

#endif // ONEBIT_OPS_TD
