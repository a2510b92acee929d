#!/usr/bin/env python3
"""What the run-time checks cost: the LLaMA-like model with and without them.

The importer states each promise the input may break as an onebit.check (a
min/max over the token ids before the embedding Gather, a comparison of the
dynamic dims that meet in each broadcast). Here the same model is imported
once (onebit-translate --import-onnx), and compiled twice from that MLIR:
as imported, and with every onebit.check line removed (the reductions they
read then fold away). Both are timed interleaved, round after round, at
batch 1 and each --seq length; the report gives the median time per call
of each and their ratio, beside the machine's CPU and last-level cache.

    python3 bench/check_overhead.py --build build --work DIR [--quantize absmean]
"""

import argparse
import glob
import os
import pathlib
import platform
import statistics
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))
import onebit  # noqa: E402
import llama_model  # noqa: E402


def cpu_description():
    name = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    caches = []
    for index in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
        try:
            level = open(os.path.join(index, "level")).read().strip()
            size = open(os.path.join(index, "size")).read().strip()
            kind = open(os.path.join(index, "type")).read().strip()
        except OSError:
            continue
        if kind != "Instruction":
            caches.append(f"L{level} {size}")
    return f"{name}, {os.cpu_count()} CPUs, caches: {', '.join(caches)}"


def run(command):
    done = subprocess.run([str(c) for c in command], capture_output=True,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"`{' '.join(map(str, command))}` failed:\n{done.stderr}")
    return done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=pathlib.Path, default=ROOT / "build")
    parser.add_argument("--work", type=pathlib.Path, required=True)
    parser.add_argument("--quantize", default="absmean")
    parser.add_argument("--seq", default="1,128")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--min-seconds", type=float, default=0.1)
    args = parser.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    bin_dir = args.build / "bin"

    model = llama_model.build_model(vocab=32000, hidden=512,
                                    layers=args.layers, heads=8, ffn=1376,
                                    max_seq=512, seed=0)
    import onnx
    onnx_path = work / "llama.onnx"
    onnx.save(model, onnx_path)
    imported = run([bin_dir / "onebit-translate", "--import-onnx", onnx_path])
    checks = sum("onebit.check" in line for line in imported.splitlines())
    unchecked = "\n".join(line for line in imported.splitlines()
                          if "onebit.check" not in line)
    sessions = {}
    for name, text in (("checked", imported), ("unchecked", unchecked)):
        source = work / f"{name}.mlir"
        source.write_text(text)
        library = work / f"{name}.so"
        run([bin_dir / "onebit-compile", source, f"--quantize={args.quantize}",
             "-o", library])
        sessions[name] = onebit.InferenceSession(str(library))

    print(cpu_description())
    print(f"model: LLaMA-like, {args.layers} layers, hidden 512, vocab 32000, "
          f"--quantize={args.quantize}; {checks} onebit.check ops in the "
          f"imported IR")
    print(f"{'seq':>5} {'checked ms':>11} {'unchecked ms':>13} {'ratio':>7}")
    rng = np.random.default_rng(0)
    for seq in [int(s) for s in args.seq.split(",")]:
        feeds = {"input_ids": rng.integers(0, 32000, (1, seq), dtype=np.int64)}
        outputs = {n: s.run(None, feeds)[0] for n, s in sessions.items()}
        if not np.array_equal(outputs["checked"], outputs["unchecked"]):
            sys.exit("the two builds disagree")
        times = {name: [] for name in sessions}
        for _ in range(args.rounds):
            for name, session in sessions.items():
                times[name].append(llama_model.time_call(
                    lambda: session.run(None, feeds), args.min_seconds))
        checked = statistics.median(times["checked"]) * 1e3
        plain = statistics.median(times["unchecked"]) * 1e3
        print(f"{seq:>5} {checked:11.3f} {plain:13.3f} {checked / plain:7.3f}",
              flush=True)


if __name__ == "__main__":
    main()
