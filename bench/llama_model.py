#!/usr/bin/env python3
"""Whole-model CPU benchmark: a LLaMA-like decoder, onebit against onnxruntime.

Writes a LLaMA-shaped ONNX model with onnx.helper (token embedding Gather,
RMSNorm, q/k/v/o projections with rotary position embedding, causal softmax
attention, SwiGLU MLP, final RMSNorm and LM head; every projection a MatMul
with an initializer), compiles it with

    onebit-compile --quantize=none     (onebit's float path)
    onebit-compile --quantize=absmean  (ternary layers)

and times both against onnxruntime on the same float model, at batch 1 and
each --seq length (a whole prompt at once; there is no KV cache). Each is
compiled twice: for any length (as onnxruntime runs it) and specialized to
each length with --input-shape.

Every projection weight is exactly ternary (gamma * {-1, 0, +1}, BitNet's
absmean codes of a Gaussian), so absmean packs it without loss and all three
compute the same function: before anything is timed, both onebit libraries'
logits are checked against onnxruntime's, and a mismatch ends the run.

    python3 bench/llama_model.py --compiler build/bin/onebit-compile \
        --work DIR --threads 2 --json out.json
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class GraphBuilder:
    """Collects nodes and initializers with unique names."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint, array):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, hint=None, **attrs):
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out],
                                           name=out + "_node", **attrs))
        return out


def ternary_weight(rng, rows, cols, std=0.02):
    """An exactly ternary [rows, cols] weight: absmean codes times gamma."""
    w = rng.normal(0.0, std, size=(rows, cols))
    gamma = np.abs(w).mean()
    return (np.clip(np.rint(w / gamma), -1, 1) * gamma).astype(np.float32)


def rms_norm(g, x, weight, eps):
    square = g.op("Mul", [x, x])
    mean = g.op("ReduceMean", [square], axes=[-1], keepdims=1)
    shifted = g.op("Add", [mean, g.const("eps", np.array(eps, np.float32))])
    inverse = g.op("Reciprocal", [g.op("Sqrt", [shifted])])
    return g.op("Mul", [g.op("Mul", [x, inverse]), weight])


def rotary(g, x, cos, sin, half):
    """x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1]."""
    axis = g.const("axis", np.array([-1], np.int64))
    first = g.op("Slice", [x, g.const("s", np.array([0], np.int64)),
                           g.const("e", np.array([half], np.int64)), axis])
    second = g.op("Slice", [x, g.const("s", np.array([half], np.int64)),
                            g.const("e", np.array([2 * half], np.int64)), axis])
    rotated = g.op("Concat", [g.op("Neg", [second]), first], axis=-1)
    return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rotated, sin])])


def build_model(vocab, hidden, layers, heads, ffn, max_seq, seed, eps=1e-5):
    rng = np.random.default_rng(seed)
    head_dim = hidden // heads
    g = GraphBuilder()

    embedding = g.const("embed_tokens",
                        rng.normal(0, 1, (vocab, hidden)).astype(np.float32))
    h = g.op("Gather", [embedding, "input_ids"], axis=0)

    # Rotary tables and the causal mask for max_seq positions, cut to the
    # prompt's length S at run time (S = Shape(input_ids)[1]).
    inv_freq = 1.0 / (10000.0 ** (np.arange(0, head_dim, 2) / head_dim))
    angles = np.outer(np.arange(max_seq), inv_freq)
    angles = np.concatenate([angles, angles], axis=-1)
    seq_end = g.op("Slice", [g.op("Shape", ["input_ids"]),
                             g.const("s", np.array([1], np.int64)),
                             g.const("e", np.array([2], np.int64))])
    axis0 = g.const("axes", np.array([0], np.int64))
    zero = g.const("s", np.array([0], np.int64))
    cos = g.op("Slice", [g.const("cos", np.cos(angles).astype(np.float32)),
                         zero, seq_end, axis0])
    sin = g.op("Slice", [g.const("sin", np.sin(angles).astype(np.float32)),
                         zero, seq_end, axis0])
    mask_table = np.triu(np.full((max_seq, max_seq), -1e9, np.float32), k=1)
    mask = g.op("Slice", [g.const("mask", mask_table),
                          g.const("s", np.array([0, 0], np.int64)),
                          g.op("Concat", [seq_end, seq_end], axis=0),
                          g.const("axes", np.array([0, 1], np.int64))])
    heads_shape = g.const("shape", np.array([1, -1, heads, head_dim], np.int64))
    hidden_shape = g.const("shape", np.array([1, -1, hidden], np.int64))
    scale = g.const("scale", np.array(1.0 / np.sqrt(head_dim), np.float32))

    def norm_weight(hint):
        return g.const(hint, (1.0 + 0.1 * rng.standard_normal(hidden)).astype(np.float32))

    def linear(x, hint, inputs, outputs):
        # TorchScript's nn.Linear: MatMul(x, W^T) with W^T [in, out] stored.
        weight = ternary_weight(rng, outputs, inputs)
        return g.op("MatMul", [x, g.const(hint, np.ascontiguousarray(weight.T))])

    def split_heads(x):
        return g.op("Transpose", [g.op("Reshape", [x, heads_shape])],
                    perm=[0, 2, 1, 3])

    for layer in range(layers):
        p = f"layers.{layer}."
        x = rms_norm(g, h, norm_weight(p + "input_layernorm"), eps)
        q = rotary(g, split_heads(linear(x, p + "q_proj", hidden, hidden)),
                   cos, sin, head_dim // 2)
        k = rotary(g, split_heads(linear(x, p + "k_proj", hidden, hidden)),
                   cos, sin, head_dim // 2)
        v = split_heads(linear(x, p + "v_proj", hidden, hidden))
        scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k],
                                                      perm=[0, 1, 3, 2])]),
                              scale])
        probs = g.op("Softmax", [g.op("Add", [scores, mask])], axis=-1)
        context = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [probs, v])],
                                        perm=[0, 2, 1, 3]), hidden_shape])
        h = g.op("Add", [h, linear(context, p + "o_proj", hidden, hidden)])

        x = rms_norm(g, h, norm_weight(p + "post_attention_layernorm"), eps)
        gate = linear(x, p + "gate_proj", hidden, ffn)
        up = linear(x, p + "up_proj", hidden, ffn)
        swiglu = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])
        h = g.op("Add", [h, linear(swiglu, p + "down_proj", ffn, hidden)])

    x = rms_norm(g, h, norm_weight("norm"), eps)
    logits = g.op("MatMul", [x, g.const("lm_head",
                                        np.ascontiguousarray(
                                            ternary_weight(rng, vocab, hidden).T))])
    g.nodes.append(helper.make_node("Identity", [logits], ["logits"], name="out"))

    graph = helper.make_graph(
        g.nodes, "llama_like",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "seq", vocab])],
        g.initializers)
    # IR 8 / opset 17: what Debian's libonnx 1.12 checker knows.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="onebit-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def up_to_date(output, *inputs):
    return os.path.exists(output) and all(
        os.path.getmtime(output) > os.path.getmtime(i) for i in inputs)


def compile_model(compiler, model_path, output, quantize, seq=None):
    """Seconds taken (0 when the library is newer than the model and the
    compiler), or None and what failed."""
    if up_to_date(output, model_path, compiler):
        return 0.0, None
    command = [compiler, f"--quantize={quantize}", model_path, "-o", output]
    if seq is not None:
        command[1:1] = ["--input-shape", f"input_ids=1x{seq}"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        return None, (f"`{' '.join(command)}` exited {result.returncode}:\n"
                      + result.stderr.strip())
    return time.perf_counter() - start, None


def time_call(run, min_seconds):
    """Seconds per call of `run`, averaged over >= min_seconds (one call at least)."""
    calls, start = 0, time.perf_counter()
    while True:
        run()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler",
                        default=os.path.join(ROOT, "build/bin/onebit-compile"))
    parser.add_argument("--work", required=True, help="folder for the model files")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seq", default="1,128")
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--ffn", type=int, default=1376)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-seconds", type=float, default=0.2)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    seqs = [int(s) for s in args.seq.split(",")]

    # Both runtimes read their thread count when they start.
    os.environ["ONEBIT_NUM_THREADS"] = str(args.threads)
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import onebit
    import onnxruntime as ort

    os.makedirs(args.work, exist_ok=True)
    model_path = os.path.join(args.work, "llama_like.onnx")
    model = build_model(args.vocab, args.hidden, args.layers, args.heads,
                        args.ffn, max(seqs), seed=0)
    # Rewritten only when it changed, so later runs reuse the compiled libraries.
    serialized = model.SerializeToString()
    if not (os.path.exists(model_path) and open(model_path, "rb").read() == serialized):
        with open(model_path, "wb") as f:
            f.write(serialized)
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    reference = ort.InferenceSession(model_path, options,
                                     providers=["CPUExecutionProvider"])

    results = {
        "model": {"vocab": args.vocab, "hidden": args.hidden,
                  "layers": args.layers, "heads": args.heads, "ffn": args.ffn,
                  "parameters": params},
        "threads": args.threads,
        "rounds": args.rounds, "min_seconds": args.min_seconds,
        "onnxruntime": ort.__version__,
        "compile": {}, "errors": {}, "times": {},
    }
    # The dynamic-length model is what onnxruntime runs: onebit compiles it
    # once (sessions named *_dynamic serve every length) and, as a user who
    # knows the length may, once per length with --input-shape.
    dynamic = {}
    for name, quantize in (("onebit_f32", "none"), ("onebit_ternary", "absmean")):
        output = os.path.join(args.work, f"llama_like_{quantize}_dynamic.so")
        seconds, error = compile_model(args.compiler, model_path, output, quantize)
        results["compile"][name + " dynamic"] = seconds if error is None else error
        if error:
            print(f"{name}: the dynamic-length compile failed: {error}",
                  file=sys.stderr)
        else:
            dynamic[name + "_dynamic"] = onebit.InferenceSession(output)

    def specialized(seq):
        sessions = {}
        for name, quantize in (("onebit_f32", "none"), ("onebit_ternary", "absmean")):
            output = os.path.join(args.work, f"llama_like_{quantize}_1x{seq}.so")
            seconds, error = compile_model(args.compiler, model_path, output,
                                           quantize, seq)
            results["compile"][f"{name} 1x{seq}"] = seconds if error is None else error
            if error:
                print(f"{name}: compile failed: {error}", file=sys.stderr)
                results["errors"][f"{name} seq {seq}"] = error
                continue
            sessions[name] = onebit.InferenceSession(output)
        return sessions

    rng = np.random.default_rng(1)
    for seq in seqs:
        ids = rng.integers(0, args.vocab, size=(1, seq), dtype=np.int64)
        feed = {"input_ids": ids}
        want, = reference.run(None, feed)
        sessions = {**specialized(seq), **dynamic}
        row = {}
        for name, session in sessions.items():
            try:
                got, = session.run(None, feed)
            except onebit.OnebitError as error:
                results["errors"][f"{name} seq {seq}"] = str(error)
                print(f"{name} at seq {seq}: {error}", file=sys.stderr)
                continue
            worst = float(np.abs(got - want).max())
            largest = float(np.abs(want).max())
            if got.shape != want.shape or not worst <= 1e-3 * largest:
                print(f"error: {name} at seq {seq} disagrees with onnxruntime: "
                      f"max |error| {worst} against max |logit| {largest}",
                      file=sys.stderr)
                return 1
            row[name + "_max_error"] = worst
        row["max_logit"] = float(np.abs(want).max())
        # Interleaved rounds: a burst of load on the machine hits them all.
        samples = {name: [] for name in ["onnxruntime", *sessions]}
        runners = {"onnxruntime": lambda: reference.run(None, feed)}
        for name, session in sessions.items():
            if name + "_max_error" in row:
                runners[name] = (lambda s: lambda: s.run(None, feed))(session)
        for run in runners.values():
            run()  # page faults and lazy initialization stay out of the samples
        for _ in range(args.rounds):
            for name, run in runners.items():
                samples[name].append(time_call(run, args.min_seconds))
        for name, values in samples.items():
            if values:
                # Best round: load from elsewhere only ever adds time.
                row[name] = min(values)
        results["times"][str(seq)] = row
        print(f"seq {seq}: " + ", ".join(
            f"{name} {row[name] * 1e3:.2f} ms" for name in runners), file=sys.stderr)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
