#!/usr/bin/env python3
"""Writes examples/mlp.mlir: a small MLP of onebit.linear layers.

The layers are what the passes meet in a real transformer block: an RMSNorm
weight before a projection (a per-channel multiply that --fuse-value-scaling
can fold OneBit's g into), a ReLU between layers, one layer whose weights are
already exactly ternary (as a BitNet checkpoint exports them, packed without
loss), and an output scaling after the last layer. Weights are dense_resource
blobs so the text stays compact. Deterministic: a fixed seed.

    python3 scripts/make_example_mlp.py > examples/mlp.mlir
"""
import sys

import numpy as np

HIDDEN, FFN, OUT = 64, 128, 32


def blob(array: np.ndarray) -> str:
    # The builtin dialect's hex blob: a little-endian u32 alignment, then data.
    return "0x" + (np.uint32(4).tobytes() + array.astype("<f4").tobytes()).hex().upper()


def dense(array: np.ndarray) -> str:
    return "dense<[" + ", ".join(f"{v:.6g}" for v in array.ravel()) + "]>"


def make_weights() -> dict:
    """The example's parameters (seed 0); tests use them as the oracle."""
    rng = np.random.default_rng(0)
    return {
        "norm_weight": rng.uniform(0.5, 1.5, HIDDEN).astype(np.float32),
        "up": (rng.standard_normal((FFN, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32),
        "up_bias": (0.1 * rng.standard_normal(FFN)).astype(np.float32),
        "mid": (0.05 * rng.integers(-1, 2, (FFN, FFN))).astype(np.float32),
        "down": (rng.standard_normal((OUT, FFN)) / np.sqrt(FFN)).astype(np.float32),
        "out_scale": rng.uniform(0.5, 2.0, OUT).astype(np.float32),
    }


def forward(weights: dict, x: np.ndarray) -> np.ndarray:
    """The example model in numpy (float64 accumulation)."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    h = np.maximum((x * w["norm_weight"]) @ w["up"].T + w["up_bias"], 0)
    h = np.maximum(h @ w["mid"].T, 0)
    return (h @ w["down"].T) * w["out_scale"]


def main() -> None:
    w = make_weights()
    norm_weight, up, up_bias = w["norm_weight"], w["up"], w["up_bias"]
    mid, down, out_scale = w["mid"], w["down"], w["out_scale"]

    relu = """  %{res} = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%{arg} : tensor<?x{n}xf32>) outs(%{init} : tensor<?x{n}xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }} -> tensor<?x{n}xf32>"""
    scale = """  %{res} = linalg.generic {{indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%{arg}, %{vec} : tensor<?x{n}xf32>, tensor<{n}xf32>) outs(%{init} : tensor<?x{n}xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  }} -> tensor<?x{n}xf32>"""

    print(f"""// A small MLP of onebit.linear layers, written by
// scripts/make_example_mlp.py (seed 0). Try:
//   onebit-opt --ternarize=summary examples/mlp.mlir
//   onebit-opt --ternarize="method=svid summary" --fuse-value-scaling examples/mlp.mlir

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

func.func @mlp(%x: tensor<?x{HIDDEN}xf32>) -> tensor<?x{OUT}xf32> {{
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %batch = tensor.dim %x, %c0 : tensor<?x{HIDDEN}xf32>
  %e_hidden = tensor.empty(%batch) : tensor<?x{HIDDEN}xf32>
  %e_ffn = tensor.empty(%batch) : tensor<?x{FFN}xf32>
  %e_out = tensor.empty(%batch) : tensor<?x{OUT}xf32>

  // RMSNorm weight (the normalization itself is left out).
  %norm_weight = arith.constant {dense(norm_weight)} : tensor<{HIDDEN}xf32>
{scale.format(res="normed", arg="x", vec="norm_weight", init="e_hidden", n=HIDDEN)}

  %w_up = arith.constant dense_resource<up_weight> : tensor<{FFN}x{HIDDEN}xf32>
  %b_up = arith.constant {dense(up_bias)} : tensor<{FFN}xf32>
  %up = onebit.linear %normed, %w_up bias %b_up {{layer_name = "up.weight"}}
      : tensor<?x{HIDDEN}xf32>, tensor<{FFN}x{HIDDEN}xf32>, tensor<{FFN}xf32> -> tensor<?x{FFN}xf32>
{relu.format(res="act_up", arg="up", init="e_ffn", n=FFN)}

  // Already ternary: {{-0.05, 0, 0.05}}.
  %w_mid = arith.constant dense_resource<mid_weight> : tensor<{FFN}x{FFN}xf32>
  %mid = onebit.linear %act_up, %w_mid {{layer_name = "mid.weight"}}
      : tensor<?x{FFN}xf32>, tensor<{FFN}x{FFN}xf32> -> tensor<?x{FFN}xf32>
{relu.format(res="act_mid", arg="mid", init="e_ffn", n=FFN)}

  %w_down = arith.constant dense_resource<down_weight> : tensor<{OUT}x{FFN}xf32>
  %down = onebit.linear %act_mid, %w_down {{layer_name = "down.weight"}}
      : tensor<?x{FFN}xf32>, tensor<{OUT}x{FFN}xf32> -> tensor<?x{OUT}xf32>
  %out_scale = arith.constant {dense(out_scale)} : tensor<{OUT}xf32>
{scale.format(res="y", arg="down", vec="out_scale", init="e_out", n=OUT)}
  return %y : tensor<?x{OUT}xf32>
}}

{{-#
  dialect_resources: {{
    builtin: {{
      up_weight: "{blob(up)}",
      mid_weight: "{blob(mid)}",
      down_weight: "{blob(down)}"
    }}
  }}
#-}}""")


if __name__ == "__main__":
    sys.exit(main())
