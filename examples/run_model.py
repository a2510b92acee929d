#!/usr/bin/env python3
"""Runs compiled model.so files through onebit's Python session on saved
inputs, prints what they compute and how fast, and compares the outputs
with onnxruntime's, saved beside the inputs.

    python3 examples/run_model.py --io test/models/bitnet-torchscript/io_2x16.npz \\
        build/example/bitnet-ternary.so build/example/bitnet-float.so
"""
import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))
import onebit  # noqa: E402


def median_seconds(run, repeats):
    run()  # the first run touches the weights and starts the threads
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=pathlib.Path)
    parser.add_argument("--io", type=pathlib.Path, required=True,
                        help="npz with the inputs and onnxruntime's outputs ('out:NAME')")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()

    saved = np.load(args.io)
    feeds = {k: saved[k] for k in saved.files if not k.startswith("out:")}
    shapes = ", ".join(f"{k} {'x'.join(map(str, v.shape))}" for k, v in feeds.items())
    print(f"inputs: {shapes}")
    baseline = None
    for path in args.models:
        session = onebit.InferenceSession(str(path))
        names = [o.name for o in session.get_outputs()]
        outputs = dict(zip(names, session.run(None, feeds)))
        seconds = median_seconds(lambda: session.run(None, feeds), args.repeats)
        baseline = baseline or seconds
        print(f"\n{path.name}: {seconds * 1e3:.3f} ms per run "
              f"(median of {args.repeats}; {baseline / seconds:.2f}x the first model)")
        for name, value in outputs.items():
            expected = saved[f"out:{name}"]
            error = np.abs(value - expected).max()
            print(f"  {name} {'x'.join(map(str, value.shape))}: "
                  f"max |onebit - onnxruntime| = {error:.2e}")
            if value.ndim == 3:  # logits: the next token after each position
                print(f"    argmax of the last position per row: "
                      f"{value[:, -1].argmax(-1).tolist()} "
                      f"(onnxruntime: {expected[:, -1].argmax(-1).tolist()})")


if __name__ == "__main__":
    main()
