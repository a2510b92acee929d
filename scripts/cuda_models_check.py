#!/usr/bin/env python3
"""The committed exports compiled for CUDA, checked on a GPU machine.

Two steps, because onebit-compile runs here (it needs LLVM and the CUDA
toolkit) and the models run where the GPU is:

  python3 scripts/cuda_models_check.py prepare OUT --build build
      Compiles every model under test/models with --target=cuda with
      --quantize=none, absmean and svid (BitNet also with --quantize=auto),
      and the absmean and svid models for the CPU too: the CPU build's
      outputs on every saved input are written to OUT as the oracle of the
      quantized GPU build.

  python3 scripts/cuda_models_check.py check OUT
      On the GPU machine (the device tool: carry OUT): runs each .so through
      onebit.InferenceSession and compares it with its oracle: onnxruntime's
      saved outputs for the float and lossless builds, the CPU build for the
      absmean and svid ones, within 1e-3 (relative and absolute); then runs
      each float build from 4 threads at once and checks every thread gets
      the single-threaded outputs bit for bit; then runs each float build on
      an empty sequence (1 x 0), which must give onnxruntime's outputs where
      onnxruntime gives any, and otherwise may be refused by a run-time
      shape check but never end in a CUDA error: the session must still
      give the saved outputs afterwards; then feeds each float build token
      ids past its vocabulary and below minus it, which must be refused
      naming a Gather node (as onnxruntime refuses them), 1,000 times, with
      the GPU's free memory the same before and after and the saved outputs
      still given. Prints one line per build and shape and exits non-zero
      on any mismatch.

  --quantize none,auto (both steps) limits the builds to those listed.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "test" / "models"
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(MODELS_DIR))
import onebit  # noqa: E402
from saved_io import MODELS, run_all, saved_runs  # noqa: E402

TOLERANCE = dict(rtol=1e-3, atol=1e-3)


ALL_BUILDS = ("none", "auto", "absmean", "svid")
SELECTED = set(ALL_BUILDS)


def builds(model):
    """(build name, quantize flag, oracle) of a model's cuda builds."""
    every = [("none", "--quantize=none", "onnxruntime")]
    if model.startswith("bitnet"):
        every.append(("auto", "--quantize=auto", "onnxruntime"))
    every += [("absmean", "--quantize=absmean", "cpu"),
              ("svid", "--quantize=svid", "cpu")]
    return [b for b in every if b[0] in SELECTED]


def compile_model(compiler, model, out, *flags):
    command = [str(compiler), str(MODELS_DIR / model / "model.onnx"),
               "-o", str(out), *flags]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")


def empty_feeds(model):
    """The first saved input cut to an empty sequence."""
    _, feeds, _ = next(saved_runs(model))
    return {k: v[:, :0] for k, v in feeds.items()}


def prepare(out_dir, build_dir):
    compiler = build_dir / "bin" / "onebit-compile"
    out_dir.mkdir(parents=True, exist_ok=True)
    import onnxruntime as ort
    for model in MODELS:
        # onnxruntime's answer to an empty sequence, or none where it
        # refuses one (ONNX leaves a -1 beside an empty dim undefined).
        reference = ort.InferenceSession(str(MODELS_DIR / model / "model.onnx"),
                                         providers=["CPUExecutionProvider"])
        try:
            outputs = reference.run(None, empty_feeds(model))
            np.savez(out_dir / f"{model}-empty.npz",
                     **dict(zip([o.name for o in reference.get_outputs()],
                                outputs)))
        except Exception:  # onnxruntime's own error
            pass
        for name, flag, oracle in builds(model):
            so = out_dir / f"{model}-{name}-cuda.so"
            start = time.perf_counter()
            compile_model(compiler, model, so, "--target=cuda", flag)
            print(f"compiled {so.name} ({time.perf_counter() - start:.1f} s)",
                  flush=True)
            if oracle != "cpu":
                continue
            cpu_so = out_dir / f"{model}-{name}-cpu.so"
            compile_model(compiler, model, cpu_so, "--target=cpu", flag)
            session = onebit.InferenceSession(str(cpu_so))
            reference = {}
            for shape, feeds, _ in saved_runs(model):
                for output, value in run_all(session, feeds).items():
                    reference[f"{shape}:{output}"] = value
            np.savez(out_dir / f"{model}-{name}-cpu.npz", **reference)
            del session
            cpu_so.unlink()


def check(out_dir):
    failures = 0
    print(f"{'build':36} {'shape':6} {'oracle':12} {'max abs err':>12} "
          f"{'ms/run':>8}")
    for model in MODELS:
        for name, _, oracle in builds(model):
            so = out_dir / f"{model}-{name}-cuda.so"
            session = onebit.InferenceSession(str(so))
            cpu = (np.load(out_dir / f"{model}-{name}-cpu.npz")
                   if oracle == "cpu" else None)
            for shape, feeds, expected in saved_runs(model):
                if cpu is not None:
                    expected = {k.split(":", 1)[1]: cpu[k] for k in cpu.files
                                if k.startswith(f"{shape}:")}
                actual = run_all(session, feeds)
                start = time.perf_counter()
                session.run(None, feeds)
                ms = (time.perf_counter() - start) * 1e3
                worst, ok = 0.0, actual.keys() == expected.keys()
                for output, want in expected.items():
                    got = actual.get(output)
                    if got is None or got.shape != want.shape:
                        ok = False
                        continue
                    if np.issubdtype(want.dtype, np.floating):
                        worst = max(worst, float(np.max(np.abs(
                            got.astype(np.float64) - want), initial=0.0)))
                        ok &= bool(np.allclose(got, want, **TOLERANCE))
                    else:
                        ok &= bool(np.array_equal(got, want))
                failures += not ok
                print(f"{model + ' ' + name:36} {shape:6} {oracle:12} "
                      f"{worst:12.3g} {ms:8.2f} {'ok' if ok else 'MISMATCH'}",
                      flush=True)
    if "none" in SELECTED:
        failures += check_concurrent_runs(out_dir)
        failures += check_empty_sequences(out_dir)
        failures += check_refused_runs(out_dir)
    print(f"{failures} mismatches")
    return 1 if failures else 0


def check_concurrent_runs(out_dir, threads=4, rounds=5):
    """Several threads running one cuda session at once (each run has its
    own stream and buffers) must give every thread the single-threaded
    outputs, bit for bit."""
    from concurrent.futures import ThreadPoolExecutor
    failures = 0
    for model in MODELS:
        session = onebit.InferenceSession(str(out_dir / f"{model}-none-cuda.so"))
        shape, feeds, _ = list(saved_runs(model))[1]
        want = run_all(session, feeds)

        def worker(_):
            outputs = [run_all(session, feeds) for _ in range(rounds)]
            return all(np.array_equal(o[k], want[k]) for o in outputs for k in want)

        with ThreadPoolExecutor(threads) as pool:
            ok = all(pool.map(worker, range(threads)))
        failures += not ok
        print(f"{model + ' none':36} {shape:6} {threads} threads x {rounds} runs "
              f"{'identical' if ok else 'MISMATCH'}", flush=True)
    return failures


def check_empty_sequences(out_dir):
    """An empty sequence on each float build: onnxruntime's outputs where it
    has any; otherwise an answer or a refusal by a shape check, but not a
    CUDA error; and either way the session keeps giving the saved outputs."""
    failures = 0
    for model in MODELS:
        session = onebit.InferenceSession(str(out_dir / f"{model}-none-cuda.so"))
        oracle = out_dir / f"{model}-empty.npz"
        want = dict(np.load(oracle)) if oracle.exists() else None
        try:
            got = run_all(session, empty_feeds(model))
            outcome = "answered"
            ok = want is None or all(
                got[k].shape == v.shape and np.allclose(got[k], v, **TOLERANCE)
                for k, v in want.items())
        except onebit.OnebitError as error:
            outcome = f"refused: {str(error).splitlines()[0][:60]}"
            ok = want is None and "CUDA" not in str(error)
        shape, feeds, expected = next(saved_runs(model))
        after = run_all(session, feeds)
        usable = all(np.allclose(after[k], v, **TOLERANCE)
                     for k, v in expected.items())
        failures += not (ok and usable)
        print(f"{model + ' none':36} 1x0    {outcome}; then {shape} "
              f"{'ok' if usable else 'MISMATCH'}"
              f"{'' if ok else ' (onnxruntime: ' + ('answers' if want else 'refuses') + ')'}",
              flush=True)
    return failures


def gpu_free_bytes():
    """The GPU's free memory, from the driver (the primary context, which
    the runtime uses too)."""
    import ctypes
    cuda = ctypes.CDLL("libcuda.so.1")
    device, context = ctypes.c_int(), ctypes.c_void_p()
    free, total = ctypes.c_size_t(), ctypes.c_size_t()
    assert cuda.cuInit(0) == 0 and cuda.cuDeviceGet(ctypes.byref(device), 0) == 0
    assert cuda.cuDevicePrimaryCtxRetain(ctypes.byref(context), device) == 0
    assert cuda.cuCtxPushCurrent_v2(context) == 0
    assert cuda.cuMemGetInfo_v2(ctypes.byref(free), ctypes.byref(total)) == 0
    cuda.cuCtxPopCurrent_v2(ctypes.byref(context))
    cuda.cuDevicePrimaryCtxRelease_v2(device)
    return free.value


def check_refused_runs(out_dir, times=1000):
    """Token ids out of range on each float build: refused naming a Gather
    node, never a CUDA error; the refused runs give their device buffers and
    streams back (free memory unchanged over `times` of them); the session
    then gives the saved outputs."""
    failures = 0
    for model in MODELS:
        session = onebit.InferenceSession(str(out_dir / f"{model}-none-cuda.so"))
        shape, feeds, expected = next(saved_runs(model))
        messages, ok = set(), True
        free_before = None
        for i in range(times + 10):
            if i == 10:  # the cache and the stream pool are warm
                free_before = gpu_free_bytes()
            bad_id = 10**9 if i % 2 else -10**9
            bad = {k: np.full_like(v, bad_id) if k == "input_ids" else v
                   for k, v in feeds.items()}
            try:
                run_all(session, bad)
                ok = False
                messages.add("answered")
            except onebit.OnebitError as error:
                text = str(error)
                ok &= "Gather node" in text and "out of range" in text
                messages.add(text.split(":")[0])
        grown = free_before - gpu_free_bytes()
        after = run_all(session, feeds)
        usable = all(np.allclose(after[k], v, **TOLERANCE)
                     for k, v in expected.items())
        # The driver rounds allocations to 2 MiB pages: allow one page.
        flat = grown <= 2 << 20
        failures += not (ok and usable and flat)
        print(f"{model + ' none':36} {times} refused ({'; '.join(sorted(messages))}): "
              f"GPU memory {grown / 2**20:+.1f} MiB; then {shape} "
              f"{'ok' if ok and usable and flat else 'MISMATCH'}", flush=True)
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("out", type=Path)
    p.add_argument("--build", type=Path, default=ROOT / "build")
    c = sub.add_parser("check")
    c.add_argument("out", type=Path)
    for step in (p, c):
        step.add_argument("--quantize", default=",".join(ALL_BUILDS),
                          help="the builds to make or check, comma-separated")
    args = parser.parse_args()
    SELECTED.intersection_update(args.quantize.split(","))
    if args.step == "prepare":
        prepare(args.out, args.build.resolve())
        return 0
    return check(args.out)


if __name__ == "__main__":
    sys.exit(main())
