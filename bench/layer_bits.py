#!/usr/bin/env python3
"""Bits per weight that the IR stores, and weight error, for one big layer.

Writes a single onebit.linear with an N x K Gaussian weight (seed 0) as a
dense_resource blob, runs `onebit-opt --ternarize=summary` with each method,
and prints the summary lines. Not a timing benchmark: sizes are exact counts.

    python3 bench/layer_bits.py [--rows 4096] [--cols 4096]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = [
    ("absmean, per tensor", "summary"),
    ("absmean, per channel", "granularity=channel summary"),
    ("svid, nmf", "method=svid summary"),
    ("svid, svd", "method=svid svid-solver=svd summary"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--cols", type=int, default=4096)
    parser.add_argument("--opt", default=os.path.join(ROOT, "build/bin/onebit-opt"))
    args = parser.parse_args()

    n, k = args.rows, args.cols
    weight = np.random.default_rng(0).standard_normal((n, k), dtype=np.float32)
    blob = (np.uint32(4).tobytes() + weight.astype("<f4").tobytes()).hex()
    with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
        f.write(f"""func.func @layer(%x: tensor<1x{k}xf32>) -> tensor<1x{n}xf32> {{
  %w = arith.constant dense_resource<w> : tensor<{n}x{k}xf32>
  %y = onebit.linear %x, %w {{layer_name = "layer"}} : tensor<1x{k}xf32>, tensor<{n}x{k}xf32> -> tensor<1x{n}xf32>
  return %y : tensor<1x{n}xf32>
}}
{{-# dialect_resources: {{ builtin: {{ w: "0x{blob}" }} }} #-}}
""")
        path = f.name
    try:
        print(f"{n}x{k} Gaussian weight, {4 * n * k} bytes in f32")
        for label, options in METHODS:
            result = subprocess.run(
                [args.opt, f"--ternarize={options}", path, "-o", os.devnull],
                capture_output=True, text=True, check=True)
            row = result.stderr.splitlines()[1]
            print(f"{label:22s} {row}")
    finally:
        os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
