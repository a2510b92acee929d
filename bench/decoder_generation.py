#!/usr/bin/env python3
"""Whole-model generation benchmark: a KV-cache decoder from
scripts/make_decoder.py, compiled by onebit and run by onebit.generate,
against onnxruntime fp32 on the same export, in one run.

For each engine: prefill tokens/s (one call on a --prompt-token prompt) and
decode tokens/s (--new-tokens steps of one token with the cache fed back,
greedy), the weight bytes a decode step reads, and those bytes per second as
a fraction of the machine's streaming read bandwidth measured in the same
run (numpy OR-reducing 1 GiB, split over the threads; ONEBIT_NUM_THREADS and
onnxruntime's intra-op threads set to --threads). onebit's compile is timed
with its peak resident memory. Before timing, onebit's greedy tokens are
checked against onnxruntime's on the same prompt.

    python3 bench/decoder_generation.py --preset bitnet-2b4t --work /tmp/big --threads 1
"""
import argparse
import dataclasses
import json
import os
import pathlib
import resource
import subprocess
import sys
import threading
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "examples"))
import make_decoder  # noqa: E402
import onebit  # noqa: E402
from generate import onnxruntime_greedy  # noqa: E402


def read_bandwidth(threads, bytes_=1 << 30):
    """Bytes/s of summing a buffer larger than any cache, per thread."""
    # An OR reduction over uint8 keeps up with memory where a float sum
    # does not quite (17.8 against 15.1 GB/s on the Zen 3 machine).
    part = np.ones(bytes_ // threads, np.uint8)
    parts = [part] + [part.copy() for _ in range(threads - 1)]
    best = 0.0
    for _ in range(3):
        workers = [threading.Thread(target=np.bitwise_or.reduce, args=(p,))
                   for p in parts]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        best = max(best, bytes_ / (time.perf_counter() - start))
    return best


def decode_bytes(config, quantized):
    """Weight bytes one decode step reads: every decoder projection (2 bits
    packed, or f32), the LM head (f32; the tied table), one embedding row."""
    c = config
    projections = c.parameters() - c.vocab * c.hidden * (1 if c.tied else 2)
    head = c.vocab * c.hidden * 4
    return projections * (2 / 8 if quantized else 4) + head + c.hidden * 4


def time_engine(step_run, prompt, new_tokens):
    """(prefill s, decode s per token) of a greedy loop over step_run(ids,
    caches) -> (logits, caches)."""
    start = time.perf_counter()
    logits, caches = step_run(prompt, None)
    prefill = time.perf_counter() - start
    token = logits[:, -1].argmax(-1).reshape(-1, 1)
    start = time.perf_counter()
    for _ in range(new_tokens - 1):
        logits, caches = step_run(token, caches)
        token = logits[:, -1].argmax(-1).reshape(-1, 1)
    return prefill, (time.perf_counter() - start) / max(new_tokens - 1, 1)


def stepper(run, output_names, pasts, cache_shape):
    """step_run over an engine's run(output_names, feeds); caches None is
    the first call (empty caches of cache_shape = [1, heads, 0, dim])."""
    def step(ids, caches):
        if caches is None:
            caches = {n: np.zeros(cache_shape, np.float32) for n in pasts}
        outputs = dict(zip(output_names, run(output_names,
                                             {"input_ids": ids, **caches})))
        return outputs["logits"], {
            n: outputs["present." + n[len("past_key_values."):]] for n in pasts}
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="bitnet-2b4t",
                        choices=sorted(make_decoder.PRESETS))
    parser.add_argument("--layers", type=int, help="override the preset's")
    parser.add_argument("--work", type=pathlib.Path, required=True,
                        help="where the model and its build go (kept)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--skip-onnxruntime", action="store_true")
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()
    config = make_decoder.PRESETS[args.preset]
    if args.layers:
        config = dataclasses.replace(config, layers=args.layers)
    os.environ["ONEBIT_NUM_THREADS"] = str(args.threads)

    model = args.work / "model.onnx"
    if not model.exists():
        make_decoder.write(config, model, log=lambda m: print(m, flush=True))
    library = args.work / "model.so"
    compile_seconds = peak_rss = None
    if not library.exists():
        start = time.perf_counter()
        subprocess.run([onebit.compiler.find_compiler(), str(model), "-o",
                        str(library), "--quantize=auto", "-v"], check=True)
        compile_seconds = time.perf_counter() - start
        peak_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss << 10

    rng = np.random.default_rng(0)
    prompt = rng.integers(0, config.vocab, (1, args.prompt_tokens),
                          dtype=np.int64)
    check_prompt, check_tokens = prompt[:, :8], 8
    session = onebit.InferenceSession(str(library))
    ours = onebit.generate(session, check_prompt, check_tokens).tokens
    rows = []
    bandwidth = read_bandwidth(args.threads)
    engines = [("onebit --quantize=auto", session.run,
                [i.name for i in session.get_inputs()],
                [o.name for o in session.get_outputs()], True)]
    if not args.skip_onnxruntime:
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        reference = ort.InferenceSession(str(model), options,
                                         providers=["CPUExecutionProvider"])
        theirs = onnxruntime_greedy(model, check_prompt, check_tokens)
        if not np.array_equal(ours, theirs):
            sys.exit(f"error: greedy tokens differ: onebit {ours.tolist()}, "
                     f"onnxruntime {theirs.tolist()}")
        engines.append(("onnxruntime fp32", reference.run,
                        [i.name for i in reference.get_inputs()],
                        [o.name for o in reference.get_outputs()], False))
    for name, run, inputs, outputs, quantized in engines:
        pasts = [n for n in inputs if n.startswith("past_key_values.")]
        step = stepper(run, outputs, pasts,
                       (1, config.kv_heads, 0, config.head_dim))
        step(prompt[:, :4], None)  # warm-up: pages in the weights
        prefill, per_token = time_engine(step, prompt, args.new_tokens)
        bytes_ = decode_bytes(config, quantized)
        rows.append(dict(engine=name, prefill_tokens_per_s=args.prompt_tokens
                         / prefill, decode_tokens_per_s=1 / per_token,
                         decode_bytes=bytes_,
                         roof_fraction=bytes_ / per_token / bandwidth))

    print(f"\n## {args.preset} ({config.layers} layers, "
          f"{config.parameters() / 1e9:.2f} B parameters), {args.threads} "
          f"thread(s), prompt {args.prompt_tokens}, {args.new_tokens} new "
          f"tokens; read bandwidth {bandwidth / 1e9:.1f} GB/s")
    if compile_seconds:
        print(f"compile: {compile_seconds:.0f} s, peak RSS "
              f"{peak_rss / 2**30:.1f} GiB")
    print(f"model.so {library.stat().st_size / 2**20:,.0f} MiB; ONNX weights "
          f"{(model.with_name(model.name + '.data')).stat().st_size / 2**20:,.0f} MiB"
          if model.with_name(model.name + ".data").exists() else "")
    print("\n| engine | prefill tokens/s | decode tokens/s | MB read per "
          "token | % of read roof |\n| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['engine']} | {r['prefill_tokens_per_s']:.1f} "
              f"| {r['decode_tokens_per_s']:.2f} | {r['decode_bytes'] / 1e6:,.0f} "
              f"| {r['roof_fraction']:.0%} |")
    if args.json:
        args.json.write_text(json.dumps(dict(
            preset=args.preset, layers=config.layers, threads=args.threads,
            bandwidth=bandwidth, compile_seconds=compile_seconds,
            peak_rss=peak_rss, rows=rows), indent=1) + "\n")


if __name__ == "__main__":
    main()
