#!/usr/bin/env python3
"""Exports small random-weight transformer models to ONNX, as test data for
the importer (issue #3), with onnxruntime's outputs as the numeric oracle.

Needs torch (>= 2.5, for the dynamo exporter), transformers, onnx,
onnxruntime and numpy; none of them is needed to build or test onebit.

For each model and exporter it writes test/models/<model>-<exporter>/:
    model.onnx          the export (weights inline; every file < 1 MB)
    io_<B>x<S>.npz      inputs (input_ids, attention_mask where the model has
                        one) and onnxruntime's outputs ("out:<name>") for a
                        few batch x sequence shapes
    manifest.json       opset, exporter, input/output names, shapes, the
                        number of weight matmuls (MatMul/Gemm whose weight is
                        an initializer, directly or through a Transpose)

Models (2 layers, hidden 64, vocab 256, seed 0):
    gpt2     GPT2LMHeadModel: LayerNorm, GELU (tanh), fused QKV (Conv1D),
             causal mask subgraph, tied LM head
    llama    LlamaForCausalLM: RMSNorm, SwiGLU, rotary embeddings,
             grouped-query attention (4 query heads, 2 KV heads)
    bert     BertModel: LayerNorm, GELU (erf), padding mask, pooler (Tanh)
    bitnet   a BitNet b1.58-style decoder written here: ternary weights
             (values in {-s, 0, +s} per layer), per-token int8 activation
             fake-quantization, extra sub-layer RMSNorms, squared ReLU MLP,
             rotary embeddings
Exporters:
    torchscript   torch.onnx.export(dynamo=False), opset 17
    dynamo        torch.onnx.export(dynamo=True), opset 18

Usage:
    python3 scripts/export_models.py [--out test/models] [--models gpt2,llama]
        [--exporters torchscript,dynamo] [--check build/bin/onebit-translate]
    python3 scripts/export_models.py --refresh-io [--out test/models]

--refresh-io remakes only the io_*.npz files (inputs from numpy, outputs
from onnxruntime) of the exports already on disk; it needs no torch.
Inputs are drawn from seeds 0, 1, ... until no Round node's input lies
within TIE_MARGIN_ULPS of a .5 tie (see round_tie_margin); the seeds used
are in the manifest.

With --check, each export is imported by onebit-translate (dynamic shapes and
with --input-shape) and the number of onebit.linear ops is compared with the
manifest's weight-matmul count.
"""
import argparse
import json
import math
import pathlib
import re
import subprocess
import sys

import numpy as np

SHAPES = [(1, 8), (2, 16), (1, 1)]
VOCAB = 256
HIDDEN = 64
LAYERS = 2
HEADS = 4
KV_HEADS = 2
FFN = 128
MAX_POS = 64
SIZE_LIMIT = 1 << 20
TIE_MARGIN_ULPS = 32
MAX_SEEDS = 500


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

def build_models(torch, names):
    import transformers
    from torch import nn

    torch.manual_seed(0)

    class LogitsOnly(nn.Module):
        """HF models return tuples/dicts and caches; exports want tensors."""

        def __init__(self, model, with_mask, output="logits"):
            super().__init__()
            self.model = model
            self.with_mask = with_mask
            self.output = output

        def forward(self, input_ids, attention_mask=None):
            kwargs = dict(input_ids=input_ids, return_dict=True)
            if self.with_mask:
                kwargs["attention_mask"] = attention_mask
            if hasattr(self.model.config, "use_cache"):
                kwargs["use_cache"] = False
            out = self.model(**kwargs)
            if self.output == "bert":
                return out.last_hidden_state, out.pooler_output
            return out.logits

    models = {}
    if "gpt2" in names:
        cfg = transformers.GPT2Config(
            vocab_size=VOCAB, n_positions=MAX_POS, n_embd=HIDDEN,
            n_layer=LAYERS, n_head=HEADS, n_inner=FFN,
            attn_implementation="eager")
        models["gpt2"] = (LogitsOnly(transformers.GPT2LMHeadModel(cfg), True),
                          ["input_ids", "attention_mask"], ["logits"])
    if "llama" in names:
        cfg = transformers.LlamaConfig(
            vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=FFN,
            num_hidden_layers=LAYERS, num_attention_heads=HEADS,
            num_key_value_heads=KV_HEADS, max_position_embeddings=MAX_POS,
            attn_implementation="eager")
        models["llama"] = (
            LogitsOnly(transformers.LlamaForCausalLM(cfg), True),
            ["input_ids", "attention_mask"], ["logits"])
    if "bert" in names:
        cfg = transformers.BertConfig(
            vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=LAYERS,
            num_attention_heads=HEADS, intermediate_size=FFN,
            max_position_embeddings=MAX_POS, attn_implementation="eager")
        models["bert"] = (
            LogitsOnly(transformers.BertModel(cfg), True, output="bert"),
            ["input_ids", "attention_mask"],
            ["last_hidden_state", "pooler_output"])
    if "bitnet" in names:
        models["bitnet"] = (BitNetDecoder(torch, nn), ["input_ids"],
                            ["logits"])
    for model, _, _ in models.values():
        model.eval()
    return models


def BitNetDecoder(torch, nn):
    """A BitNet b1.58-style decoder: every projection is a BitLinear with
    ternary weights (times a per-layer scale) and per-token absmax int8
    activation fake-quantization; RMSNorm before each block and before the
    output projections (BitNet's sub-layer norms); squared ReLU MLP."""

    class RMSNorm(nn.Module):
        def __init__(self, dim, eps=1e-6):
            super().__init__()
            self.weight = nn.Parameter(1 + 0.1 * torch.randn(dim))
            self.eps = eps

        def forward(self, x):
            var = x.pow(2).mean(-1, keepdim=True)
            return x * torch.rsqrt(var + self.eps) * self.weight

    class BitLinear(nn.Linear):
        def __init__(self, n_in, n_out):
            super().__init__(n_in, n_out, bias=False)
            with torch.no_grad():
                w = torch.randn(n_out, n_in)
                scale = w.abs().mean().clamp(min=1e-5)
                ternary = (w / scale).round().clamp(-1, 1)
                self.weight.copy_(ternary * scale)

        def forward(self, x):
            # Per-token absmax int8 fake quantization (BitNet's activation_quant).
            s = 127.0 / x.abs().max(dim=-1, keepdim=True).values.clamp(min=1e-5)
            xq = (x * s).round().clamp(-128, 127) / s
            return nn.functional.linear(xq, self.weight)

    def rotate_half(x):
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            hd = HIDDEN // HEADS
            self.attn_norm = RMSNorm(HIDDEN)
            self.q = BitLinear(HIDDEN, HIDDEN)
            self.k = BitLinear(HIDDEN, KV_HEADS * hd)
            self.v = BitLinear(HIDDEN, KV_HEADS * hd)
            self.attn_sub_norm = RMSNorm(HIDDEN)
            self.o = BitLinear(HIDDEN, HIDDEN)
            self.ffn_norm = RMSNorm(HIDDEN)
            self.up = BitLinear(HIDDEN, FFN)
            self.ffn_sub_norm = RMSNorm(FFN)
            self.down = BitLinear(FFN, HIDDEN)

        def forward(self, x, cos, sin, mask):
            b, s, _ = x.shape
            hd = HIDDEN // HEADS
            h = self.attn_norm(x)
            q = self.q(h).view(b, s, HEADS, hd).transpose(1, 2)
            k = self.k(h).view(b, s, KV_HEADS, hd).transpose(1, 2)
            v = self.v(h).view(b, s, KV_HEADS, hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            rep = HEADS // KV_HEADS
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
            att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
            out = att.softmax(-1) @ v
            out = out.transpose(1, 2).reshape(b, s, HIDDEN)
            x = x + self.o(self.attn_sub_norm(out))
            h = self.ffn_norm(x)
            u = torch.relu(self.up(h)).pow(2)
            return x + self.down(self.ffn_sub_norm(u))

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, HIDDEN)
            self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
            self.norm = RMSNorm(HIDDEN)
            self.head = BitLinear(HIDDEN, VOCAB)
            hd = HIDDEN // HEADS
            inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
            self.register_buffer("inv_freq", inv, persistent=False)

        def forward(self, input_ids):
            s = input_ids.shape[1]
            x = self.embed(input_ids)
            pos = torch.arange(s, device=input_ids.device).float()
            freqs = pos[:, None] * self.inv_freq[None, :]
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos()[None, None], emb.sin()[None, None]
            mask = torch.full((s, s), float("-inf")).triu(1)[None, None]
            for block in self.blocks:
                x = block(x, cos, sin, mask)
            return self.head(self.norm(x))

    return Decoder()


# ---------------------------------------------------------------------------
# Export and reference outputs
# ---------------------------------------------------------------------------

def example_inputs(input_names, b, s, seed):
    """Token ids (and a mask with left padding in the last row of a batch)
    from numpy, so that the inputs can be made again without torch."""
    rng = np.random.default_rng(seed + 131 * b + s)
    inputs = {"input_ids": rng.integers(0, VOCAB, (b, s), dtype=np.int64)}
    if "attention_mask" in input_names:
        mask = np.ones((b, s), dtype=np.int64)
        if b > 1 and s > 2:
            mask[-1, : s // 4] = 0
        inputs["attention_mask"] = mask
    return inputs


def round_tie_margin(onnx, ort, onnx_model, feeds):
    """How far, in units of float32 ulps, the closest input of any Round node
    lies from a .5 tie, as onnxruntime computes it (inf without Round).

    A fake-quantized model (BitNet's activation quantization) is a step
    function of its activations: where a value lands within a few ulps of a
    tie, any other summation order rounds it the other way and every later
    layer differs by a whole quantization step. Such inputs test float
    rounding luck, not a compiler, so they are not used as test data."""
    rounds = [n.input[0] for n in onnx_model.graph.node if n.op_type == "Round"]
    if not rounds:
        return math.inf
    probe = onnx.ModelProto()
    probe.CopyFrom(onnx_model)
    del probe.graph.output[:]
    for name in rounds:
        probe.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    session = ort.InferenceSession(probe.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    margin = math.inf
    for x in session.run(None, feeds):
        x = x.astype(np.float32)
        distance = np.abs(np.abs(x - np.trunc(x)) - 0.5)
        ulps = distance / np.spacing(np.maximum(np.abs(x), 1.0))
        margin = min(margin, float(ulps.min()))
    return margin


def export(torch, model, input_names, output_names, exporter, path):
    args = tuple(torch.from_numpy(v) for v in
                 example_inputs(input_names, 2, 16, 0).values())
    if exporter == "torchscript":
        dynamic_axes = {n: {0: "batch", 1: "sequence"} for n in input_names}
        for n in output_names:
            dynamic_axes[n] = {0: "batch", 1: "sequence"} if n != "pooler_output" else {0: "batch"}
        torch.onnx.export(model, args, str(path), opset_version=17,
                          input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, dynamo=False,
                          do_constant_folding=True)
    else:
        batch = torch.export.Dim("batch", min=1, max=8)
        seq = torch.export.Dim("sequence", min=1, max=MAX_POS)
        dynamic_shapes = {n: {0: batch, 1: seq} for n in input_names}
        program = torch.onnx.export(model, args, dynamo=True, opset_version=18,
                                    input_names=input_names,
                                    output_names=output_names,
                                    dynamic_shapes=dynamic_shapes,
                                    optimize=True, external_data=False)
        program.save(str(path), external_data=False)


def weight_matmuls(onnx_model):
    """MatMul/Gemm nodes whose weight operand (B) is an initializer, directly
    or through a 2-d Transpose: each must import as onebit.linear."""
    inits = {t.name: t for t in onnx_model.graph.initializer}
    producers = {o: n for n in onnx_model.graph.node for o in n.output}
    count = 0
    for node in onnx_model.graph.node:
        if node.op_type not in ("MatMul", "Gemm") or len(node.input) < 2:
            continue
        name = node.input[1]
        if name in inits and len(inits[name].dims) == 2:
            count += 1
            continue
        p = producers.get(name)
        if (p is not None and p.op_type == "Transpose" and
                p.input[0] in inits and len(inits[p.input[0]].dims) == 2):
            count += 1
    return count


def write_io(onnx, ort, directory, input_names, torch_model=None, torch=None):
    """Saves io_<B>x<S>.npz for every shape: inputs and onnxruntime's
    outputs, from the first seed whose Round inputs stay TIE_MARGIN_ULPS
    away from ties; compares with torch where the torch model is given.
    Returns the input and output names, the shapes and each shape's seed."""
    path = directory / "model.onnx"
    onnx_model = onnx.load(str(path))
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    feeds_names = [i.name for i in session.get_inputs()]
    ort_outputs = [o.name for o in session.get_outputs()]
    shapes, seeds = [], {}
    for b, s in SHAPES:
        for seed in range(MAX_SEEDS):
            inputs = example_inputs(input_names, b, s, seed)
            feeds = {k: v for k, v in inputs.items() if k in feeds_names}
            if round_tie_margin(onnx, ort, onnx_model, feeds) >= TIE_MARGIN_ULPS:
                break
        else:
            raise RuntimeError(f"{directory.name} {b}x{s}: no seed below "
                               f"{MAX_SEEDS} keeps Round inputs off ties")
        outs = session.run(None, feeds)
        if torch_model is not None:
            with torch.no_grad():
                ref = torch_model(*[torch.from_numpy(v) for v in inputs.values()])
            ref = ref if isinstance(ref, tuple) else (ref,)
            for o, r in zip(outs, ref):
                err = np.abs(o - r.numpy()).max()
                if err > 1e-3:
                    print(f"warning: {directory.name} {b}x{s}: onnxruntime "
                          f"and torch differ by {err:.3g}", file=sys.stderr)
        arrays = dict(feeds)
        arrays.update({f"out:{n}": o for n, o in zip(ort_outputs, outs)})
        np.savez_compressed(directory / f"io_{b}x{s}.npz", **arrays)
        shapes.append(f"{b}x{s}")
        seeds[f"{b}x{s}"] = seed
    return feeds_names, ort_outputs, shapes, seeds


def write_manifest(onnx, directory, name, exporter, io):
    path = directory / "model.onnx"
    onnx_model = onnx.load(str(path))
    feeds_names, ort_outputs, shapes, seeds = io
    opsets = {o.domain or "ai.onnx": o.version for o in onnx_model.opset_import}
    manifest = {
        "model": name, "exporter": exporter, "opsets": opsets,
        "inputs": feeds_names, "outputs": ort_outputs, "shapes": shapes,
        "seeds": seeds,
        "weight_matmuls": weight_matmuls(onnx_model),
        "ops": sorted({f"{n.domain or 'ai.onnx'}::{n.op_type}"
                       for n in onnx_model.graph.node}),
        "size_bytes": path.stat().st_size,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def write_model(torch, onnx, ort, name, exporter, spec, out_root, check):
    model, input_names, output_names = spec
    directory = out_root / f"{name}-{exporter}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "model.onnx"
    export(torch, model, input_names, output_names, exporter, path)
    onnx.checker.check_model(onnx.load(str(path)))
    size = path.stat().st_size
    if size > SIZE_LIMIT:
        raise SystemExit(f"{path} is {size} bytes, over the 1 MB limit")
    io = write_io(onnx, ort, directory, input_names, model, torch)
    manifest = write_manifest(onnx, directory, name, exporter, io)
    print(f"{directory}: {size} bytes, {manifest['weight_matmuls']} weight "
          f"matmuls, opsets {manifest['opsets']}")
    if check:
        check_import(check, directory, manifest)


def refresh_io(onnx, ort, out_root, check):
    """Remakes the inputs and onnxruntime outputs of exports already on
    disk, without torch."""
    for manifest_path in sorted(out_root.glob("*/manifest.json")):
        directory = manifest_path.parent
        old = json.loads(manifest_path.read_text())
        io = write_io(onnx, ort, directory, old["inputs"])
        manifest = write_manifest(onnx, directory, old["model"],
                                  old["exporter"], io)
        print(f"{directory}: inputs and outputs remade, seeds {manifest['seeds']}")
        if check:
            check_import(check, directory, manifest)


def check_import(translate, directory, manifest):
    runs = [[]]
    b, s = manifest["shapes"][0].split("x")
    runs.append([f"--input-shape={n}={b}x{s}" for n in manifest["inputs"]])
    for extra in runs:
        p = subprocess.run([translate, "--import-onnx",
                            str(directory / "model.onnx"), *extra],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"  import FAILED {extra}:\n{p.stderr}", file=sys.stderr)
            continue
        linears = len(re.findall(r"onebit\.linear ", p.stdout))
        status = "ok" if linears == manifest["weight_matmuls"] else "MISMATCH"
        print(f"  import {status} {' '.join(extra)}: {linears} onebit.linear "
              f"of {manifest['weight_matmuls']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = pathlib.Path(__file__).resolve().parents[1]
    parser.add_argument("--out", type=pathlib.Path, default=root / "test" / "models")
    parser.add_argument("--models", default="gpt2,llama,bert,bitnet")
    parser.add_argument("--exporters", default="torchscript,dynamo")
    parser.add_argument("--check", metavar="ONEBIT_TRANSLATE",
                        help="import each export with this onebit-translate")
    parser.add_argument("--refresh-io", action="store_true",
                        help="only remake inputs and onnxruntime outputs of "
                             "the exports under --out (needs no torch)")
    args = parser.parse_args()

    import onnx
    import onnxruntime as ort
    if args.refresh_io:
        refresh_io(onnx, ort, args.out, args.check)
        return
    import torch

    names = args.models.split(",")
    models = build_models(torch, names)
    failures = []
    for name in names:
        for exporter in args.exporters.split(","):
            try:
                write_model(torch, onnx, ort, name, exporter, models[name],
                            args.out, args.check)
            except Exception as e:  # keep going: report every failure
                failures.append(f"{name}-{exporter}: {type(e).__name__}: {e}")
                print(f"FAILED {failures[-1]}", file=sys.stderr)
    if failures:
        print("\n".join(["failed exports:"] + failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
