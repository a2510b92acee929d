#!/usr/bin/env python3
"""GPU benchmarks of onebit's cuda builds, run on the GPU machine.

    python3 bench/cuda/run_cuda_benchmarks.py DIR [--json out.json]

DIR is what bench/cuda/prepare.sh made. Measured in this one run:
  - the device-to-device copy bandwidth (torch, a 1 GiB copy): the ceiling;
  - for each ternary_NxK.so / sign_NxK.so and M = 1, 4, 16, 128: the fastest
    time of the layer's kernel, read from the runtime's ONEBIT_CUDA_PROFILE
    file (each launch timed by CUDA events), as bandwidth at 2 (1) bits per
    weight and as a ratio to torch's fp16 F.linear (cuBLAS) on the same
    shape, timed with CUDA events over back-to-back launches;
  - the LLaMA-like model's time per run (one token, batch 1) through the
    Python session, copies included, against onnxruntime on the same ONNX
    model (its CUDA provider where installed, else its CPU provider), and
    the largest difference of their logits.
Before timing a layer it checks the build's outputs for M = 1, 2, 7, 15, 16,
17, 64 and 100 (single rows, tiles of rows, full or not, and both together)
against a float64 product with the same weights, made again here as
prepare.sh made them; a layer off by more than 1e-4 of its largest output
fails the run.
Each .so runs in a child process, since the profile is written at exit.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = (1, 4, 16, 128)

CHILD = r"""
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
import onebit
session = onebit.InferenceSession(sys.argv[2])
rows = int(sys.argv[3])
inp = session.get_inputs()[0]
shape = [rows if d == -1 or d is None else d for d in inp.shape]
x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
for _ in range(int(sys.argv[4])):
    session.run(None, {inp.name: x})
"""


def kernel_time_us(so, rows, runs=30):
    """The fastest launch of the slowest kernel in a run of `so`."""
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile.tsv"
        env = dict(os.environ, ONEBIT_CUDA_PROFILE=str(profile))
        subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "python"),
                        str(so), str(rows), str(runs)], env=env, check=True)
        lines = profile.read_text().splitlines()[1:]
        kernels = [(float(f[3]), f[0]) for f in (l.split("\t") for l in lines)]
        return max(kernels)


CHECK_ROWS = (1, 2, 7, 15, 16, 17, 64, 100)


def check_layer(so, kind, n, k):
    """The largest error of the build's outputs, relative to the largest
    output, over CHECK_ROWS; exits with the layer and M where it exceeds
    1e-4."""
    import numpy as np
    sys.path.insert(0, str(ROOT / "python"))
    sys.path.insert(0, str(ROOT / "bench"))
    import onebit
    from make_layer_models import layer_weights
    weight = layer_weights(n, k)[kind].astype(np.float64)
    session = onebit.InferenceSession(str(so))
    name = session.get_inputs()[0].name
    rng = np.random.default_rng(1)
    worst = 0.0
    for rows in CHECK_ROWS:
        x = rng.standard_normal((rows, k)).astype(np.float32)
        got, = session.run(None, {name: x})
        want = x.astype(np.float64) @ weight.T
        error = float(np.abs(got - want).max() / np.abs(want).max())
        if not error <= 1e-4:
            raise SystemExit(f"{so.name}: M={rows}: outputs off by {error:.3g} "
                             f"of the largest")
        worst = max(worst, error)
    return worst


def torch_linear_us(torch, n, k, rows, iters=50):
    x = torch.randn(rows, k, device="cuda", dtype=torch.float16)
    w = torch.randn(n, k, device="cuda", dtype=torch.float16)
    for _ in range(5):
        torch.nn.functional.linear(x, w)
    start, stop = (torch.cuda.Event(enable_timing=True) for _ in range(2))
    start.record()
    for _ in range(iters):
        torch.nn.functional.linear(x, w)
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) * 1e3 / iters


def copy_bandwidth(torch):
    a = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    b.copy_(a)
    start, stop = (torch.cuda.Event(enable_timing=True) for _ in range(2))
    start.record()
    for _ in range(10):
        b.copy_(a)
    stop.record()
    torch.cuda.synchronize()
    return 2 * a.numel() * 10 / (start.elapsed_time(stop) * 1e-3)


def time_ms(run, runs=50):
    import time
    for _ in range(5):
        run()
    start = time.perf_counter()
    for _ in range(runs):
        run()
    return (time.perf_counter() - start) * 1e3 / runs


def llama(so):
    """The LLaMA-like model, one token: onebit's cuda build against
    onnxruntime on the same ONNX model (made again here with the seed
    prepare.sh used), on its GPU provider where installed, else its CPU."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    sys.path.insert(0, str(ROOT / "python"))
    sys.path.insert(0, str(ROOT / "bench"))
    import onebit
    from llama_model import build_model
    session = onebit.InferenceSession(str(so))
    ids = np.array([[17]], dtype=np.int64)
    feeds = {"input_ids": ids}
    got, = session.run(None, feeds)
    result = {"onebit_cuda_ternary_ms": time_ms(lambda: session.run(None, feeds))}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "llama_like.onnx"
        onnx.save(build_model(4096, 512, 4, 8, 1376, 256, 0), str(path))
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider")
                     if p in ort.get_available_providers()]
        reference = ort.InferenceSession(str(path), providers=providers[:1])
        want, = reference.run(None, feeds)
        result["onnxruntime_provider"] = providers[0]
        result["onnxruntime_fp32_ms"] = time_ms(lambda: reference.run(None, feeds))
    result["max_abs_error"] = float(np.abs(got - want).max())
    result["max_abs_logit"] = float(np.abs(want).max())
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import torch
    bandwidth = copy_bandwidth(torch)
    print(f"device: {torch.cuda.get_device_name()}, "
          f"copy bandwidth {bandwidth / 1e9:.0f} GB/s (read + write)")
    results = {"device": torch.cuda.get_device_name(),
               "copy_bandwidth_gbs": bandwidth / 1e9, "layers": []}
    print(f"{'layer':22} {'M':>4} {'onebit us':>10} {'GB/s':>7} {'% bw':>6} "
          f"{'fp16 us':>9} {'speedup':>8}")
    for so in sorted(args.dir.glob("*_*x*.so")):
        kind, shape = so.stem.split("_")
        n, k = map(int, shape.split("x"))
        bits = 2 if kind == "ternary" else 1
        error = check_layer(so, kind, n, k)
        results.setdefault("checks", []).append(
            {"layer": so.stem, "rows": CHECK_ROWS, "max_relative_error": error})
        print(f"{so.stem}: outputs for M = {CHECK_ROWS} within {error:.2g} "
              f"of the largest", flush=True)
        for rows in ROWS:
            us, kernel = kernel_time_us(so, rows)
            fp16 = torch_linear_us(torch, n, k, rows)
            gbs = n * k * bits / 8 / (us * 1e-6) / 1e9
            row = {"layer": so.stem, "rows": rows, "kernel": kernel,
                   "onebit_us": us, "weight_gbs": gbs,
                   "fraction_of_copy_bw": gbs * 1e9 / bandwidth,
                   "torch_fp16_us": fp16, "speedup_vs_fp16": fp16 / us}
            results["layers"].append(row)
            print(f"{so.stem:22} {rows:4} {us:10.1f} {gbs:7.0f} "
                  f"{100 * gbs * 1e9 / bandwidth:5.0f}% {fp16:9.1f} "
                  f"{fp16 / us:7.2f}x", flush=True)
    so = args.dir / "llama_like_absmean.so"
    if so.exists():
        row = llama(so)
        results["llama_like"] = row
        print(f"LLaMA-like (hidden 512, 4 layers, ternary), one token, per "
              f"run through the Python session: onebit cuda "
              f"{row['onebit_cuda_ternary_ms']:.2f} ms, onnxruntime fp32 on "
              f"{row['onnxruntime_provider']} {row['onnxruntime_fp32_ms']:.2f} "
              f"ms; max |logit difference| {row['max_abs_error']:.2g} of "
              f"max |logit| {row['max_abs_logit']:.2g}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
