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


EMBEDDING_BITS = {"none": 32, "int8": 8, "int4": 4}


def decode_bytes(config, quantized, embeddings="none"):
    """Weight bytes one decode step reads: every decoder projection (2 bits
    packed, or f32), the LM head (the tied table: f32, or int8 / int4 with
    a scale per row), one embedding row."""
    c = config
    projections = c.parameters() - c.vocab * c.hidden * (1 if c.tied else 2)
    bits = EMBEDDING_BITS[embeddings]
    head = c.vocab * c.hidden * bits / 8 + (c.vocab * 4 if bits < 32 else 0)
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
    parser.add_argument("--embeddings", default="none",
                        help="space-separated onebit-compile "
                             "--quantize-embeddings forms, one build each "
                             "(none int8 int4)")
    parser.add_argument("--weights", default="auto",
                        choices=["auto", "embedded", "file"],
                        help="onebit-compile --weights")
    parser.add_argument("--int8-activations", action="store_true",
                        help="onebit-compile --int8-activations (W1.58A8, "
                             "BitNet's and llama.cpp TQ2_0's arithmetic)")
    parser.add_argument("--all-logits", action="store_true",
                        help="compile onebit without --last-position-only="
                             "logits (prefill then runs the LM head at every "
                             "prompt position; llama-bench's pp does not)")
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
    forms = args.embeddings.split()
    if any(f not in EMBEDDING_BITS for f in forms):
        sys.exit(f"error: --embeddings takes {' '.join(EMBEDDING_BITS)}")
    builds = {}  # form -> (library, compile s, peak RSS), None where reused
    for form in forms:
        a8 = ".a8" if args.int8_activations else ""
        last = "" if args.all_logits else ".last"
        library = args.work / f"model.{form}.{args.weights}{a8}{last}.so"
        compile_seconds = peak_rss = None
        if not library.exists():
            start = time.perf_counter()
            child = subprocess.Popen(
                [onebit.compiler.find_compiler(), str(model), "-o",
                 str(library), "--quantize=auto",
                 f"--quantize-embeddings={form}", f"--weights={args.weights}",
                 *(["--int8-activations"] if args.int8_activations else []),
                 *([] if args.all_logits
                   else ["--last-position-only=logits"]),
                 "-v", "--report",
                 str(library.with_suffix(".json"))])
            # wait4 gives this compile's own peak memory.
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode:
                sys.exit(f"error: onebit-compile failed ({child.returncode})")
            compile_seconds = time.perf_counter() - start
            peak_rss = usage.ru_maxrss << 10
        builds[form] = (library, compile_seconds, peak_rss)

    rng = np.random.default_rng(0)
    prompt = rng.integers(0, config.vocab, (1, args.prompt_tokens),
                          dtype=np.int64)
    check_prompt, check_tokens = prompt[:, :8], 8
    sessions = {form: onebit.InferenceSession(str(library))
                for form, (library, _, _) in builds.items()}
    rows = []
    bandwidth = read_bandwidth(args.threads)
    flags = " --int8-activations" if args.int8_activations else ""
    if not args.all_logits:
        flags += " --last-position-only=logits"
    engines = [(f"onebit --quantize-embeddings={form} --weights={args.weights}"
                f"{flags}",
                session.run, [i.name for i in session.get_inputs()],
                [o.name for o in session.get_outputs()], True, form)
               for form, session in sessions.items()]
    if not args.skip_onnxruntime:
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        reference = ort.InferenceSession(str(model), options,
                                         providers=["CPUExecutionProvider"])
        theirs = onnxruntime_greedy(model, check_prompt, check_tokens)
        # Float embeddings give onnxruntime's tokens exactly; quantized
        # ones are a different model (tested against the dequantized
        # export in python/tests), so only their agreement is shown.
        for form, session in sessions.items():
            ours = onebit.generate(session, check_prompt, check_tokens).tokens
            same = int((ours == theirs)[:, 8:].sum())
            if form == "none" and not args.int8_activations and \
                    same != check_tokens:
                sys.exit(f"error: greedy tokens differ: onebit "
                         f"{ours.tolist()}, onnxruntime {theirs.tolist()}")
            print(f"embeddings {form}: {same} of {check_tokens} greedy tokens "
                  "as onnxruntime fp32's", flush=True)
        engines.append(("onnxruntime fp32", reference.run,
                        [i.name for i in reference.get_inputs()],
                        [o.name for o in reference.get_outputs()], False,
                        "none"))
    for name, run, inputs, outputs, quantized, form in engines:
        pasts = [n for n in inputs if n.startswith("past_key_values.")]
        step = stepper(run, outputs, pasts,
                       (1, config.kv_heads, 0, config.head_dim))
        step(prompt[:, :4], None)  # warm-up: pages in the weights
        prefill, per_token = time_engine(step, prompt, args.new_tokens)
        bytes_ = decode_bytes(config, quantized, form)
        rows.append(dict(engine=name, prefill_tokens_per_s=args.prompt_tokens
                         / prefill, decode_tokens_per_s=1 / per_token,
                         decode_bytes=bytes_,
                         roof_fraction=bytes_ / per_token / bandwidth))

    print(f"\n## {args.preset} ({config.layers} layers, "
          f"{config.parameters() / 1e9:.2f} B parameters), {args.threads} "
          f"thread(s), prompt {args.prompt_tokens}, {args.new_tokens} new "
          f"tokens; read bandwidth {bandwidth / 1e9:.1f} GB/s")
    for form, (library, seconds, rss) in builds.items():
        line = f"--quantize-embeddings={form}: {library.name} " \
               f"{library.stat().st_size / 2**20:,.0f} MiB"
        side = library.with_suffix(".weights")
        if side.exists():
            line += f" + {side.name} {side.stat().st_size / 2**20:,.0f} MiB"
        if seconds:
            line += f", compile {seconds:.0f} s, peak RSS {rss / 2**30:.1f} GiB"
        print(line)
    data = model.with_name(model.name + ".data")
    if data.exists():
        print(f"ONNX weights {data.stat().st_size / 2**20:,.0f} MiB")
    print("\n| engine | prefill tokens/s | decode tokens/s | MB read per "
          "token | % of read roof |\n| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['engine']} | {r['prefill_tokens_per_s']:.1f} "
              f"| {r['decode_tokens_per_s']:.2f} | {r['decode_bytes'] / 1e6:,.0f} "
              f"| {r['roof_fraction']:.0%} |")
    if args.json:
        args.json.write_text(json.dumps(dict(
            preset=args.preset, layers=config.layers, threads=args.threads,
            bandwidth=bandwidth, builds={
                form: dict(library=str(library), compile_seconds=seconds,
                           peak_rss=rss, bytes=library.stat().st_size)
                for form, (library, seconds, rss) in builds.items()},
            rows=rows), indent=1) + "\n")


if __name__ == "__main__":
    main()
