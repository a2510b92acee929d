#!/usr/bin/env python3
"""Writes test/e2e/kernels-vs-numpy.mlir: low-bit layers of many shapes whose
expected outputs numpy computes from the unpacked weights.

Inputs are small integers and every scale, g and h a power of two, so every
sum is exact in f32 whatever the order of the additions: the reference
lowering and the vector kernels (of any width) must print exactly numpy's
numbers. Shapes cover K = 1, odd K, K a multiple of 8 and of 16, tails after
full vector groups, N = 1, M > 1 and extra batch dimensions. The table-lookup
kernel runs where the host has its byte shuffles (lit features cpu-avx2 and
cpu-avx512bw).

    python3 scripts/make_kernel_test.py > test/e2e/kernels-vs-numpy.mlir
"""
import numpy as np

rng = np.random.default_rng(1)
POWERS = np.array([0.25, 0.5, 1.0, 2.0], dtype=np.float32)

# (name, kind, batch dims, K, N, options)
CASES = [
    ("t_k1", "ternary", [1], 1, 1, {}),
    ("t_k7", "ternary", [1], 7, 3, {"bias": True}),
    ("t_k16", "ternary", [3], 16, 5, {"channel": True}),
    ("t_k33", "ternary", [2], 33, 4, {"bias": True}),
    ("t_k100_batch", "ternary", [2, 3], 100, 7, {"channel": True, "bias": True}),
    ("t_int8", "ternary", [3], 40, 6, {"int8": True, "channel": True}),
    # int8 activations, for the table-lookup kernel: K past one table step
    # (32) and one 16-bit chunk (128), N past one and two channel blocks
    # (32 or 64 lanes), rows in tiles and left over.
    ("t_int8_k1", "ternary", [1], 1, 1, {"int8": True}),
    ("t_int8_k7", "ternary", [1], 7, 33, {"int8": True, "bias": True}),
    ("t_int8_k129", "ternary", [5], 129, 70, {"int8": True, "channel": True, "bias": True}),
    ("t_int8_k256", "ternary", [4], 256, 64, {"int8": True}),
    ("t_int8_k300_batch", "ternary", [2, 3], 300, 65, {"int8": True, "channel": True}),
    ("s_k8", "sign", [1], 8, 1, {}),
    ("s_k50", "sign", [4], 50, 6, {"g": True, "h": True, "bias": True}),
    ("s_k129_batch", "sign", [2, 2], 129, 3, {"h": True}),
    # int8 / int4 weights with a scale per row (onebit.quantized_linear):
    # K = 1, odd K (int4's padding nibble), tails past whole vectors, N = 1.
    ("q8_k1", "quantized", [1], 1, 1, {"bits": 8}),
    ("q8_k37", "quantized", [3], 37, 5, {"bits": 8, "bias": True}),
    ("q8_k64_batch", "quantized", [2, 5], 64, 9, {"bits": 8}),
    ("q4_k1", "quantized", [2], 1, 3, {"bits": 4}),
    ("q4_k7", "quantized", [1], 7, 4, {"bits": 4, "bias": True}),
    ("q4_k33", "quantized", [5], 33, 6, {"bits": 4}),
    ("q4_k100_batch", "quantized", [2, 3], 100, 7, {"bits": 4, "bias": True}),
]


def dense(values) -> str:
    array = np.asarray(values)
    def rec(a):
        if a.ndim == 0:
            v = a.item()
            return str(int(v)) if array.dtype.kind in "iu" else repr(float(v))
        return "[" + ", ".join(rec(x) for x in a) + "]"
    return f"dense<{rec(array)}>"


def tensor_type(shape, element="f32") -> str:
    return "tensor<" + "x".join(str(d) for d in shape) + f"x{element}>"


def pack_ternary(t: np.ndarray) -> np.ndarray:
    n, k = t.shape
    planes = np.stack([(t > 0), (t < 0)], axis=1)  # N x 2 x K
    return np.packbits(planes, axis=2, bitorder="little").view(np.int8)


def pack_signs(s: np.ndarray) -> np.ndarray:
    return np.packbits(s > 0, axis=1, bitorder="little").view(np.int8)


def pack_quantized(q: np.ndarray, bits: int) -> np.ndarray:
    """onebit.quantized_linear's layout: bytes, or nibbles low one first."""
    if bits == 8:
        return q.astype(np.int8)
    n, k = q.shape
    nibbles = np.zeros((n, k + k % 2), dtype=np.uint8)
    nibbles[:, :k] = q.astype(np.int8).view(np.uint8) & 0xF
    return (nibbles[:, 0::2] | (nibbles[:, 1::2] << 4)).view(np.int8)


def fmt(v: float) -> str:
    return f"{v:g}"


def main() -> None:
    print(__doc__.strip().replace("\n", "\n// ").join(["// ", ""]).replace("// \n", "//\n"))
    print("""//
// DEFINE: %{lower} = --one-shot-bufferize="bufferize-function-boundaries" \\
// DEFINE:   --convert-linalg-to-loops --convert-vector-to-scf --convert-vector-to-llvm \\
// DEFINE:   --expand-strided-metadata --lower-affine --convert-scf-to-cf \\
// DEFINE:   --finalize-memref-to-llvm --convert-math-to-llvm --convert-arith-to-llvm \\
// DEFINE:   --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts
// DEFINE: %{run} = mlir-runner -e main -entry-point-result=void \\
// DEFINE:   -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils
// RUN: onebit-opt %s --onebit-lower-to-linalg %{lower} | %{run} | FileCheck %s
// RUN: onebit-opt %s --onebit-lower-to-vector %{lower} | %{run} | FileCheck %s
// RUN: onebit-opt %s --onebit-lower-to-vector="vector-width=8" %{lower} | %{run} | FileCheck %s
// RUN: onebit-opt %s --onebit-lower-to-vector="vector-width=32" %{lower} | %{run} | FileCheck %s
// RUN: %if cpu-avx2 %{ onebit-opt %s --onebit-lower-to-vector="lookup-tables=avx2" %{lower} --onebit-lower-byte-shuffles | %{run} | FileCheck %s %}
// RUN: %if cpu-avx512bw %{ onebit-opt %s --onebit-lower-to-vector="lookup-tables=avx512" %{lower} --onebit-lower-byte-shuffles | %{run} | FileCheck %s %}

func.func private @printMemrefF32(tensor<*xf32>)
""")
    main_body, checks = [], []
    for name, kind, batch, k, n, opt in CASES:
        x = rng.integers(-4, 5, batch + [k]).astype(np.float32)
        if opt.get("int8"):
            # max |x| = 127 per row makes r = 1 exactly, so q = x.
            x = rng.integers(-127, 128, batch + [k]).astype(np.float32)
            x[..., 0] = 127.0
        attrs, operands, types = [], [], []
        bias = rng.integers(-8, 9, n).astype(np.float32) if opt.get("bias") else None
        if kind == "quantized":
            bits = opt["bits"]
            low = -128 if bits == 8 else -8
            q = rng.integers(low, -low, (n, k))
            scale = rng.choice(POWERS, n)
            w = q * scale.reshape(-1, 1)
            packed = pack_quantized(q, bits)
            attrs.append(f"bits = {bits} : i64")
            xin = x
        elif kind == "ternary":
            t = rng.integers(-1, 2, (n, k))
            scale = rng.choice(POWERS, n if opt.get("channel") else 1)
            w = t * scale.reshape(-1, 1)
            packed = pack_ternary(t)
            attrs.append(f"packed_weights = {dense(packed)} : {tensor_type(packed.shape, 'i8')}")
            attrs.append(f"scale = {dense(scale)} : {tensor_type(scale.shape)}")
            if opt.get("int8"):
                attrs.append("int8_activations")
            xin = x
        else:
            s = np.where(rng.integers(0, 2, (n, k)) > 0, 1.0, -1.0)
            g = rng.choice(POWERS, k) if opt.get("g") else np.ones(k)
            h = rng.choice(POWERS, n) if opt.get("h") else np.ones(n)
            w = s * h.reshape(-1, 1) * g.reshape(1, -1)
            packed = pack_signs(s)
            attrs.append(f"packed_signs = {dense(packed)} : {tensor_type(packed.shape, 'i8')}")
            if opt.get("g"):
                attrs.append(f"g = {dense(g.astype(np.float32))} : {tensor_type([k])}")
            if opt.get("h"):
                attrs.append(f"h = {dense(h.astype(np.float32))} : {tensor_type([n])}")
            xin = x
        y = xin.astype(np.float64) @ w.T.astype(np.float64)
        if bias is not None:
            y = y + bias

        in_type, out_type = tensor_type(batch + [k]), tensor_type(batch + [n])
        sig = f"%x: {in_type}" + (f", %b: {tensor_type([n])}" if bias is not None else "")
        bias_use = " bias %b" if bias is not None else ""
        bias_type = f", {tensor_type([n])}" if bias is not None else ""
        print(f"func.func @{name}({sig}) -> {out_type} {{")
        if kind == "quantized":
            # The weights are operands: constants in the function.
            weight_type = tensor_type(packed.shape, "i8")
            print(f"  %q = arith.constant {dense(packed)} : {weight_type}")
            print(f"  %s = arith.constant {dense(scale)} : {tensor_type([n])}")
            print(f"  %y = onebit.quantized_linear %x, %q, %s{bias_use} {{{', '.join(attrs)}}}")
            print(f"      : {in_type}, {weight_type}, {tensor_type([n])}{bias_type} -> {out_type}")
        else:
            print(f"  %y = onebit.{kind}_linear %x{bias_use} {{{', '.join(attrs)}}}")
            print(f"      : {in_type}{bias_type} -> {out_type}")
        print(f"  return %y : {out_type}\n}}\n")

        main_body.append(f"  %x_{name} = arith.constant {dense(x)} : {in_type}")
        args = f"%x_{name}"
        arg_types = in_type
        if bias is not None:
            main_body.append(f"  %b_{name} = arith.constant {dense(bias)} : {tensor_type([n])}")
            args += f", %b_{name}"
            arg_types += f", {tensor_type([n])}"
        main_body.append(f"  %y_{name} = call @{name}({args}) : ({arg_types}) -> {out_type}")
        main_body.append(f"  %u_{name} = tensor.cast %y_{name} : {out_type} to tensor<*xf32>")
        main_body.append(f"  call @printMemrefF32(%u_{name}) : (tensor<*xf32>) -> ()")

        checks.append(f"// CHECK: sizes = [{', '.join(str(d) for d in batch + [n])}]")
        flat = y.reshape(-1, n)
        for i, row in enumerate(flat):
            line = ", ".join(fmt(v) for v in row)
            prefix = "CHECK-NEXT:"
            checks.append(f"// {prefix} {{{{\\[+}}}}{line}]")

    print("func.func @main() {")
    print("\n".join(main_body))
    print("  return\n}\n")
    print("\n".join(checks))


if __name__ == "__main__":
    main()
