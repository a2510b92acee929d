#!/usr/bin/env python3
"""What the ternary build buys: one decoder step of a model whose weights do
not fit in this machine's last-level cache, compiled in float and ternary.

The bundled BitNet export is tiny (its weights sit in cache, where the float
loop is as fast as the ternary one). This builds the LLaMA-like decoder of
bench/llama_model.py (written with onnx.helper, no torch) with enough layers
that its float weights are more than twice the last-level cache, so every
token streams them from memory; its projection weights are exactly ternary,
so `--quantize=auto` packs them at 2 bits without loss and both libraries
compute the same logits (checked before anything is timed). Each library is
compiled for one token (`--input-shape input_ids=1x1`: a decoder step with a
one-token prompt; there is no KV cache in this model).

Prints, for each, the .so size, the weight bytes a token reads, the median
time per token over interleaved rounds, and the bandwidth that implies.

    python3 examples/streaming_model.py --compiler build/bin/onebit-compile \\
        --work build/example/streaming
"""
import argparse
import glob
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))
import onebit  # noqa: E402
import llama_model  # noqa: E402


def last_level_cache_bytes():
    """The largest cache of cpu0 as sysfs lists it (0 when it lists none)."""
    largest = 0
    for index in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*"):
        try:
            text = open(os.path.join(index, "size")).read().strip()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        largest = max(largest, int(text.rstrip("KMG")) * scale)
    return largest


def mib(n):
    return f"{n / (1 << 20):.0f} MiB"


def compile_model(compiler, model, output, quantize):
    if output.exists() and output.stat().st_mtime > max(
            model.stat().st_mtime, pathlib.Path(compiler).stat().st_mtime):
        print(f"  {output.name}: up to date")
        return
    command = [compiler, f"--quantize={quantize}", "--input-shape",
               "input_ids=1x1", str(model), "-o", str(output)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    print(f"  {output.name}: compiled in {time.perf_counter() - start:.1f} s "
          f"(`{' '.join(command)}`)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compiler", default=str(ROOT / "build/bin/onebit-compile"))
    parser.add_argument("--work", type=pathlib.Path, required=True)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--ffn", type=int, default=2816)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    llc = last_level_cache_bytes()
    h, f, v = args.hidden, args.ffn, args.vocab
    per_layer = 4 * (4 * h * h + 3 * h * f)  # float bytes of the projections
    head = 4 * v * h
    # Float weights read per token: every projection and the LM head (the
    # embedding Gather reads one row).
    layers = max(4, -(-(2 * llc - head) // per_layer))
    streamed_float = layers * per_layer + head
    print(f"last-level cache {mib(llc)}; {layers} layers of hidden {h}, "
          f"ffn {f}, vocab {v}: {mib(streamed_float)} of float weights a token")

    args.work.mkdir(parents=True, exist_ok=True)
    model = args.work / "llama_like.onnx"
    shape = {"vocab": v, "hidden": h, "layers": layers, "heads": args.heads,
             "ffn": f}
    stamp = args.work / "llama_like.json"
    if not (model.exists() and stamp.exists()
            and json.loads(stamp.read_text()) == shape):
        start = time.perf_counter()
        onnx_model = llama_model.build_model(v, h, layers, args.heads, f,
                                             max_seq=1, seed=0)
        model.write_bytes(onnx_model.SerializeToString())
        stamp.write_text(json.dumps(shape))
        print(f"  {model.name}: generated in {time.perf_counter() - start:.1f} s")

    libraries = {"float": args.work / "llama_like-float.so",
                 "ternary": args.work / "llama_like-ternary.so"}
    compile_model(args.compiler, model, libraries["float"], "none")
    compile_model(args.compiler, model, libraries["ternary"], "auto")

    feed = {"input_ids": np.array([[17]], np.int64)}
    sessions = {name: onebit.InferenceSession(str(path))
                for name, path in libraries.items()}
    logits = {name: s.run(None, feed)[0] for name, s in sessions.items()}
    worst = float(np.abs(logits["ternary"] - logits["float"]).max())
    largest = float(np.abs(logits["float"]).max())
    if not worst <= 1e-3 * largest:
        sys.exit(f"error: the ternary logits differ from the float ones by "
                 f"{worst} (largest logit {largest})")
    print(f"ternary logits = float logits within {worst:.1e} "
          f"(largest {largest:.2f})")

    # Interleaved rounds, so a burst of load elsewhere hits both.
    samples = {name: [] for name in sessions}
    for _ in range(args.rounds):
        for name, session in sessions.items():
            start = time.perf_counter()
            session.run(None, feed)
            samples[name].append(time.perf_counter() - start)
    # Bytes of weights a token reads: float32, or 2 bits a weight plus the
    # per-tensor scales for the ternary projections and head.
    streamed = {"float": streamed_float, "ternary": streamed_float // 16}
    base = float(np.median(samples["float"]))
    print(f"\n{'one token':<10} {'.so size':>10} {'weights read':>13} "
          f"{'ms/token':>9} {'tokens/s':>9} {'GB/s':>6} {'speed':>6}")
    for name, times in samples.items():
        seconds = float(np.median(times))
        print(f"{name:<10} {mib(libraries[name].stat().st_size):>10} "
              f"{mib(streamed[name]):>13} {seconds * 1e3:>9.2f} "
              f"{1 / seconds:>9.1f} {streamed[name] / seconds / 1e9:>6.1f} "
              f"{base / seconds:>5.2f}x")
    print(f"(median of {args.rounds} interleaved runs; both .so files keep "
          f"the float token embedding, {mib(4 * v * h)})")


if __name__ == "__main__":
    main()
