#!/usr/bin/env python3
"""Checks the CPU table-lookup kernel of one ISA on a machine that has it.

The kernel of ternary layers with int8 activations is built per ISA
(`onebit-compile --lookup-tables=avx2|avx512`). The lit tests run each
variant only where the host has its instructions, so the AVX-512 variant
needs a machine with AVX-512BW. This script compiles single-layer models
here (cross-compiling with --mcpu) and checks them wherever they can run:

    python3 scripts/lookup_kernel_check.py prepare DIR --compiler build/bin/onebit-compile \\
        --mcpu skylake-avx512 --lookup-tables avx512
    python3 scripts/lookup_kernel_check.py check DIR      # on the AVX-512 machine
    python3 scripts/lookup_kernel_check.py time DIR DIR2  # variants side by side

`prepare` writes, per shape, the model.so and an .npz with the inputs and
the expected outputs: the double-precision product of BitNet's int8
activations and the exact ternary weights, times the scale. The integer sums
are exact, so `check` requires agreement to float rounding of the epilogue
(relative 1e-6). It needs only numpy and python/onebit on the machine.

`time` runs the 4096x4096 layer of each prepared folder (e.g. one prepared
with --lookup-tables avx512 and one with avx2, both for the same --mcpu) at
M = 1, 8 and 128, the folders interleaved round by round, and prints each
one's best time per call less the best time of the 1x1 layer of the same
folder (the session's own cost per call).
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

# (N, K, M): tails in N past whole blocks of 64 channels and in K past whole
# steps of 8 and chunks of 128; M in tiles of 4 rows and left over.
SHAPES = [(1, 1, 1), (33, 7, 2), (70, 129, 5), (64, 256, 4), (130, 300, 9),
          (512, 2048, 1), (256, 4096, 8), (4096, 4096, 1)]
TIMED, TIMED_ROWS = "layer_4096x4096", (1, 8, 128)


def int8_rows(x):
    """BitNet's per-token activation quantization (onebit.ternary_linear)."""
    r = 127.0 / np.maximum(np.abs(x).max(axis=1, keepdims=True), 1e-5)
    q = np.clip(np.round(x * r), -128, 127)
    return q, r


def prepare(args):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    os.makedirs(args.dir, exist_ok=True)
    rng = np.random.default_rng(5)
    for n, k, m in SHAPES:
        name = f"layer_{n}x{k}"
        trits = rng.integers(-1, 2, (n, k)).astype(np.float32)
        scale = np.float32(0.03125)
        w = (trits * scale).T  # MatMul's K x N
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul")],
            name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])],
            [numpy_helper.from_array(w, "w")])
        model = helper.make_model(graph,
                                  opset_imports=[helper.make_opsetid("", 18)])
        onnx_path = os.path.join(args.dir, name + ".onnx")
        onnx.save(model, onnx_path)
        so_path = os.path.join(args.dir, name + ".so")
        subprocess.run([args.compiler, onnx_path, "-o", so_path,
                        "--quantize=absmean", "--min-elements=1",
                        "--int8-activations", f"--mcpu={args.mcpu}",
                        f"--lookup-tables={args.lookup_tables}"], check=True)
        os.remove(onnx_path)  # 64 MB for the largest; the .so is what runs
        x = rng.standard_normal((m, k)).astype(np.float32)
        q, r = int8_rows(x.astype(np.float64))
        want = (q @ trits.T.astype(np.float64)) / r * float(scale)
        np.savez(os.path.join(args.dir, name + ".npz"), x=x, want=want)
        print(f"prepared {name} (M = {m})")


def check(args):
    import onebit

    failures = 0
    for n, k, m in SHAPES:
        name = f"layer_{n}x{k}"
        data = np.load(os.path.join(args.dir, name + ".npz"))
        session = onebit.InferenceSession(os.path.join(args.dir, name + ".so"))
        (y,) = session.run(None, {"x": data["x"]})
        want = data["want"]
        error = np.abs(y - want).max() / max(np.abs(want).max(), 1e-30)
        ok = y.shape == want.shape and error <= 1e-6
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name} M = {m}: max relative error "
              f"{error:.2e}")
    if failures:
        sys.exit(f"{failures} of {len(SHAPES)} layers disagree")
    print(f"all {len(SHAPES)} layers agree")


def best_call_seconds(session, x, calls):
    session.run(None, {"x": x})
    best = float("inf")
    for _ in range(calls):
        start = time.perf_counter()
        session.run(None, {"x": x})
        best = min(best, time.perf_counter() - start)
    return best


def time_variants(args, rounds=5):
    import onebit

    rng = np.random.default_rng(0)
    layers = {d: (onebit.InferenceSession(os.path.join(d, TIMED + ".so")),
                  onebit.InferenceSession(os.path.join(d, "layer_1x1.so")))
              for d in args.dirs}
    best = {}
    for _ in range(rounds):
        for d, (layer, empty) in layers.items():
            overhead = best_call_seconds(empty, np.ones((1, 1), np.float32),
                                         200)
            for m in TIMED_ROWS:
                x = rng.standard_normal((m, 4096)).astype(np.float32)
                t = best_call_seconds(layer, x, max(4, 200 // m)) - overhead
                best[d, m] = min(best.get((d, m), t), t)
    print(f"{TIMED}, best of {rounds} rounds, µs per call less the 1x1 "
          f"layer's (ONEBIT_NUM_THREADS={os.environ.get('ONEBIT_NUM_THREADS', 'all')})")
    print("| folder | " + " | ".join(f"M = {m}" for m in TIMED_ROWS) + " |")
    print("| --- |" + " ---: |" * len(TIMED_ROWS))
    for d in args.dirs:
        print(f"| {d} | " + " | ".join(f"{best[d, m] * 1e6:,.0f}"
                                       for m in TIMED_ROWS) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("dir")
    p.add_argument("--compiler", default=os.path.join(ROOT, "build", "bin",
                                                      "onebit-compile"))
    p.add_argument("--mcpu", default="native")
    p.add_argument("--lookup-tables", default="auto")
    c = sub.add_parser("check")
    c.add_argument("dir")
    t = sub.add_parser("time")
    t.add_argument("dirs", nargs="+")
    args = parser.parse_args()
    {"prepare": prepare, "check": check, "time": time_variants}[args.command](args)


if __name__ == "__main__":
    main()
