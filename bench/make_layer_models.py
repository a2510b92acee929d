#!/usr/bin/env python3
"""Single-layer ONNX models for the CPU kernel benchmarks (bench/cpu_kernels.cpp).

For each N x K shape it writes, into --out:

  ternary_NxK.onnx      y[M, N] = x[M, K] @ W^T with W = gamma * T, T in {-1, 0, +1}
  ternary_NxK.f32       that W, N x K row-major float32 (the harness's reference)
  sign_NxK.onnx         the same with W = c[n] * S, S in {-1, +1}, one c per row
  sign_NxK.f32

The weights are exactly ternary (BitNet absmean codes of a Gaussian) and exactly
binary per row, so `onebit-compile --quantize=absmean` / `--quantize=svid` pack
them without loss: the ternary, sign, float and OpenBLAS paths then compute the
same numbers, and the harness checks every one of them against a plain
double-precision product before it times anything. M is a dynamic dimension,
so one compiled library serves M = 1, 8 and 32.

    python3 bench/make_layer_models.py --out DIR [--shapes 2560x6912,4096x4096]
"""
import argparse
import os
import sys

import numpy as np

# The shapes of the issue, N x K (out x in): a 2.4B-parameter LLaMA's MLP up and
# down projections, and a square attention projection.
DEFAULT_SHAPES = "2560x6912,6912x2560,4096x4096"


def ternary_weight(rng, n, k):
    """BitNet b1.58 absmean codes of a Gaussian, times the absmean scale."""
    w = rng.standard_normal((n, k), dtype=np.float32)
    gamma = np.float32(np.abs(w, dtype=np.float64).mean())
    codes = np.clip(np.rint(w / gamma), -1, 1)
    return (codes * gamma).astype(np.float32)


def sign_weight(rng, n, k):
    """Signs of a Gaussian (0 -> +1) times each row's mean magnitude."""
    w = rng.standard_normal((n, k), dtype=np.float32)
    row_scale = np.abs(w).mean(axis=1, keepdims=True).astype(np.float32)
    return (np.where(w >= 0, 1.0, -1.0) * row_scale).astype(np.float32)


def layer_weights(n, k, seed=0):
    """The ternary and the sign weight of shape n x k, as main() writes them
    (bench/cuda/run_cuda_benchmarks.py makes them again to check a build)."""
    # Seeded by the shape, so a shape's weights do not depend on the list.
    rng = np.random.default_rng([seed, n, k])
    ternary = ternary_weight(rng, n, k)
    return {"ternary": ternary, "sign": sign_weight(rng, n, k)}


def linear_model(weight, name):
    """MatMul(x, W^T): the TorchScript exporter's spelling of nn.Linear."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    n, k = weight.shape
    initializer = numpy_helper.from_array(np.ascontiguousarray(weight.T), "weight")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "weight"], ["y"], name="linear")],
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["M", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["M", n])],
        [initializer])
    # IR 8 / opset 17: what Debian's libonnx 1.12 checker knows.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="onebit-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> int:
    import onnx
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--shapes", default=DEFAULT_SHAPES,
                        help="comma-separated NxK (out x in) shapes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    for shape in args.shapes.split(","):
        try:
            n, k = (int(d) for d in shape.lower().split("x"))
        except ValueError:
            parser.error(f"--shapes: '{shape}' is not NxK")
        for form, weight in layer_weights(n, k, args.seed).items():
            stem = os.path.join(args.out, f"{form}_{n}x{k}")
            # Written under a temporary name so a killed run leaves no half file.
            onnx.save(linear_model(weight, f"{form}_{n}x{k}"), stem + ".onnx.tmp")
            os.replace(stem + ".onnx.tmp", stem + ".onnx")
            weight.tofile(stem + ".f32")
            print(f"wrote {stem}.onnx and {stem}.f32 ({n}x{k})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
