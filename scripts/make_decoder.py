#!/usr/bin/env python3
"""Decoder-only transformers with a KV cache, written as ONNX without torch.

Writes the graph torch.onnx gives a Hugging Face LLaMA or BitNet decoder
(opset 17, TorchScript style: every projection a MatMul with its weight
stored transposed), with random weights, at any size:

  inputs   input_ids                int64  [batch, seq]
           past_key_values.L.key    float  [batch, kv_heads, past, head_dim]
           past_key_values.L.value  (the same), for each layer L
  outputs  logits                   float  [batch, seq, vocab]
           present.L.key, present.L.value  [batch, kv_heads, past + seq, head_dim]

Positions continue from the cache (past + i), the mask is causal over the
cached and new tokens, and grouped-query attention repeats each key/value
head for heads / kv_heads query heads (Unsqueeze, Expand, Reshape, as
repeat_kv exports). A first call passes caches with past = 0.

--arch bitnet is BitNet b1.58 (microsoft/bitnet-b1.58-2B-4T): every
decoder projection exactly ternary (absmean codes times one scale, so
onebit's --quantize=auto packs it without loss), a sub-norm before o_proj
and before down_proj, squared-ReLU gating, tied embeddings (the LM head is
the embedding table, through a Transpose). --arch llama: Gaussian float
projections, SiLU gating, a separate LM head.

Weights go to external data (model.onnx.data beside model.onnx) when the
model is over --external-over MB, written one tensor at a time, so a
2.4 B-parameter model needs no more memory than its largest tensor.

    python3 scripts/make_decoder.py --preset tiny-bitnet -o tiny/model.onnx
    python3 scripts/make_decoder.py --preset bitnet-2b4t -o big/model.onnx
"""

import argparse
import dataclasses
import pathlib
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


@dataclasses.dataclass
class DecoderConfig:
    arch: str  # "bitnet" or "llama"
    vocab: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    ffn: int
    max_positions: int = 4096
    rope_theta: float = 500000.0
    eps: float = 1e-5
    seed: int = 0
    # 1, not a trained model's 0.02: at 0.02 the random layers' outputs
    # swamp the token's embedding and greedy decoding settles on one token
    # whatever the prompt (tied BitNet heads then repeat the last token).
    embedding_std: float = 1.0

    @property
    def head_dim(self):
        return self.hidden // self.heads

    @property
    def tied(self):
        return self.arch == "bitnet"

    def parameters(self):
        attention = self.hidden * self.head_dim * (2 * self.heads
                                                   + 2 * self.kv_heads)
        mlp = 3 * self.hidden * self.ffn
        head = 0 if self.tied else self.vocab * self.hidden
        return self.vocab * self.hidden + head + self.layers * (attention + mlp)


PRESETS = {
    "tiny-bitnet": DecoderConfig("bitnet", vocab=256, hidden=64, layers=2,
                                 heads=4, kv_heads=2, ffn=160,
                                 max_positions=256),
    "tiny-llama": DecoderConfig("llama", vocab=256, hidden=64, layers=2,
                                heads=4, kv_heads=2, ffn=160,
                                max_positions=256),
    # microsoft/bitnet-b1.58-2B-4T's config.json.
    "bitnet-2b4t": DecoderConfig("bitnet", vocab=128256, hidden=2560,
                                 layers=30, heads=20, kv_heads=5, ffn=6912),
}


class Weights:
    """Initializers, inline or appended one by one to an external file."""

    def __init__(self, data_path=None):
        self.tensors = []
        self.data_path = data_path
        self.file = open(data_path, "wb") if data_path else None
        self.offset = 0

    def add(self, name, array):
        array = np.ascontiguousarray(array)
        if not self.file or array.nbytes < 1024:
            self.tensors.append(numpy_helper.from_array(array, name))
            return name
        tensor = TensorProto(name=name, dims=array.shape,
                             data_type=helper.np_dtype_to_tensor_dtype(
                                 array.dtype))
        tensor.data_location = TensorProto.EXTERNAL
        # Offsets aligned to 4 KiB, so that the importer can map each tensor.
        pad = -self.offset % 4096
        self.file.write(b"\0" * pad)
        self.offset += pad
        for key, value in (("location", self.data_path.name),
                           ("offset", str(self.offset)),
                           ("length", str(array.nbytes))):
            tensor.external_data.add(key=key, value=value)
        self.file.write(array.tobytes())
        self.offset += array.nbytes
        self.tensors.append(tensor)
        return name

    def close(self):
        if self.file:
            self.file.close()


class Graph:
    """Nodes with unique names, and the model's weights."""

    def __init__(self, weights):
        self.nodes, self.weights, self.count = [], weights, 0

    def fresh(self, hint):
        self.count += 1
        return f"/{hint}_{self.count}"

    def const(self, array, hint="const"):
        return self.weights.add(self.fresh(hint), np.asarray(array))

    def ints(self, *values):
        return self.const(np.array(values, np.int64), "ints")

    def op(self, op_type, inputs, hint=None, output=None, **attrs):
        out = output or self.fresh(hint or op_type)
        self.nodes.append(helper.make_node(op_type, inputs, [out],
                                           name=out + "/" + op_type, **attrs))
        return out


def ternary(rng, rows, cols):
    """An exactly ternary [rows, cols] weight (BitNet's absmean codes of a
    Gaussian, times their scale), float32."""
    w = rng.standard_normal((rows, cols), dtype=np.float32) * 0.02
    gamma = np.float32(np.abs(w).mean())
    return (np.clip(np.rint(w / gamma), -1, 1) * gamma).astype(np.float32)


def gaussian(rng, rows, cols, std=0.02):
    return rng.standard_normal((rows, cols), dtype=np.float32) * np.float32(std)


def build(config, weights, progress=None):
    """The ModelProto (its weights in `weights`)."""
    c = config
    rng = np.random.default_rng(c.seed)
    g = Graph(weights)
    hd, kvd = c.head_dim, c.kv_heads * c.head_dim

    def rms_norm(x, name):
        weight = weights.add(name, (1 + 0.1 * rng.standard_normal(
            x_width[x], dtype=np.float32)).astype(np.float32))
        mean = g.op("ReduceMean", [g.op("Pow", [x, g.const(np.float32(2))])],
                    axes=[-1], keepdims=1)
        inverse = g.op("Reciprocal", [g.op("Sqrt", [
            g.op("Add", [mean, g.const(np.float32(c.eps))])])])
        out = g.op("Mul", [g.op("Mul", [x, inverse]), weight])
        x_width[out] = x_width[x]
        return out

    def linear(x, name, inputs, outputs):
        w = ternary(rng, outputs, inputs) if c.arch == "bitnet" else \
            gaussian(rng, outputs, inputs)
        out = g.op("MatMul", [x, weights.add(name, w.T)])
        x_width[out] = outputs
        return out

    x_width = {}  # a value's last dimension, for the norms' weights
    embedding = weights.add("model.embed_tokens.weight",
                            gaussian(rng, c.vocab, c.hidden,
                                     c.embedding_std))
    h = g.op("Gather", [embedding, "input_ids"], "embed_tokens", axis=0)
    x_width[h] = c.hidden

    # Sizes: batch and seq from input_ids, past from the first cache.
    ids_shape = g.op("Shape", ["input_ids"])
    batch = g.op("Slice", [ids_shape, g.ints(0), g.ints(1)])
    seq = g.op("Slice", [ids_shape, g.ints(1), g.ints(2)])
    past = g.op("Slice", [g.op("Shape", ["past_key_values.0.key"]),
                          g.ints(2), g.ints(3)])
    total = g.op("Add", [past, seq])
    scalar = lambda v: g.op("Squeeze", [v, g.ints(0)])  # noqa: E731
    positions = g.op("Range", [scalar(past), scalar(total),
                               g.const(np.int64(1))], "positions")
    keys = g.op("Range", [g.const(np.int64(0)), scalar(total),
                          g.const(np.int64(1))], "key_positions")

    # Rotary tables for max_positions, gathered at the new positions.
    inv_freq = 1.0 / (c.rope_theta ** (np.arange(0, hd, 2) / hd))
    angles = np.outer(np.arange(c.max_positions), inv_freq)
    angles = np.concatenate([angles, angles], axis=-1)
    cos = g.op("Gather", [g.const(np.cos(angles).astype(np.float32), "cos"),
                          positions], axis=0)
    sin = g.op("Gather", [g.const(np.sin(angles).astype(np.float32), "sin"),
                          positions], axis=0)
    # Causal mask [seq, past + seq]: a key after the query is -inf.
    later = g.op("Greater", [g.op("Unsqueeze", [keys, g.ints(0)]),
                             g.op("Unsqueeze", [positions, g.ints(1)])])
    mask = g.op("Where", [later, g.const(np.float32(-3.4e38)),
                          g.const(np.float32(0))], "causal_mask")
    scale = g.const(np.float32(1 / np.sqrt(hd)))
    q_shape = g.op("Concat", [batch, seq, g.ints(c.heads, hd)], axis=0)
    kv_shape = g.op("Concat", [batch, seq, g.ints(c.kv_heads, hd)], axis=0)
    hidden_shape = g.op("Concat", [batch, seq, g.ints(c.hidden)], axis=0)
    rep = c.heads // c.kv_heads
    repeat_shape = g.op("Concat", [batch, g.ints(c.kv_heads, rep), total,
                                   g.ints(hd)], axis=0)
    repeated_shape = g.op("Concat", [batch, g.ints(c.heads), total,
                                     g.ints(hd)], axis=0)

    def rotary(x):
        first = g.op("Slice", [x, g.ints(0), g.ints(hd // 2), g.ints(-1)])
        second = g.op("Slice", [x, g.ints(hd // 2), g.ints(hd), g.ints(-1)])
        rotated = g.op("Concat", [g.op("Neg", [second]), first], axis=-1)
        return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rotated, sin])])

    def heads_first(x, shape):
        return g.op("Transpose", [g.op("Reshape", [x, shape])],
                    perm=[0, 2, 1, 3])

    def repeat_kv(x):
        if rep == 1:
            return x
        wide = g.op("Expand", [g.op("Unsqueeze", [x, g.ints(2)]),
                               repeat_shape])
        return g.op("Reshape", [wide, repeated_shape])

    outputs = [helper.make_tensor_value_info(
        "logits", TensorProto.FLOAT, ["batch", "seq", c.vocab])]
    inputs = [helper.make_tensor_value_info(
        "input_ids", TensorProto.INT64, ["batch", "seq"])]
    cache = ["batch", c.kv_heads, "past", hd]
    for layer in range(c.layers):
        if progress:
            progress(layer)
        p = f"model.layers.{layer}."
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(
                f"past_key_values.{layer}.{kind}", TensorProto.FLOAT, cache))
            outputs.append(helper.make_tensor_value_info(
                f"present.{layer}.{kind}", TensorProto.FLOAT,
                ["batch", c.kv_heads, "total", hd]))
        x = rms_norm(h, p + "input_layernorm.weight")
        q = rotary(heads_first(linear(x, p + "self_attn.q_proj.weight",
                                      c.hidden, c.hidden), q_shape))
        k = rotary(heads_first(linear(x, p + "self_attn.k_proj.weight",
                                      c.hidden, kvd), kv_shape))
        v = heads_first(linear(x, p + "self_attn.v_proj.weight", c.hidden,
                               kvd), kv_shape)
        k = g.op("Concat", [f"past_key_values.{layer}.key", k], axis=2,
                 output=f"present.{layer}.key")
        v = g.op("Concat", [f"past_key_values.{layer}.value", v], axis=2,
                 output=f"present.{layer}.value")
        scores = g.op("Mul", [g.op("MatMul", [q, g.op(
            "Transpose", [repeat_kv(k)], perm=[0, 1, 3, 2])]), scale])
        probs = g.op("Softmax", [g.op("Add", [scores, mask])], axis=-1)
        context = g.op("Reshape", [g.op("Transpose", [g.op(
            "MatMul", [probs, repeat_kv(v)])], perm=[0, 2, 1, 3]),
            hidden_shape])
        x_width[context] = c.hidden
        if c.arch == "bitnet":
            context = rms_norm(context, p + "self_attn.attn_sub_norm.weight")
        h = g.op("Add", [h, linear(context, p + "self_attn.o_proj.weight",
                                   c.hidden, c.hidden)])
        x_width[h] = c.hidden

        x = rms_norm(h, p + "post_attention_layernorm.weight")
        gate = linear(x, p + "mlp.gate_proj.weight", c.hidden, c.ffn)
        up = linear(x, p + "mlp.up_proj.weight", c.hidden, c.ffn)
        if c.arch == "bitnet":  # relu(gate)^2 * up
            relu = g.op("Relu", [gate])
            act = g.op("Mul", [relu, relu])
        else:  # silu(gate) * up
            act = g.op("Mul", [gate, g.op("Sigmoid", [gate])])
        mixed = g.op("Mul", [act, up])
        x_width[mixed] = c.ffn
        if c.arch == "bitnet":
            mixed = rms_norm(mixed, p + "mlp.ffn_sub_norm.weight")
        h = g.op("Add", [h, linear(mixed, p + "mlp.down_proj.weight", c.ffn,
                                   c.hidden)])
        x_width[h] = c.hidden

    x = rms_norm(h, "model.norm.weight")
    if c.tied:
        head = g.op("Transpose", [embedding], "lm_head", perm=[1, 0])
    else:
        head = weights.add("lm_head.weight", gaussian(rng, c.vocab, c.hidden).T)
    g.op("MatMul", [x, head], output="logits")

    graph = helper.make_graph(g.nodes, f"{c.arch}_decoder", inputs, outputs,
                              weights.tensors)
    # IR 8 / opset 17: what Debian's libonnx checker knows.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="onebit make_decoder")
    model.ir_version = 8
    return model


def write(config, output, external_over_mb=1024, log=print):
    """Writes the model (and model.onnx.data when large); returns its path."""
    output = pathlib.Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    external = config.parameters() * 4 > external_over_mb << 20
    data = output.with_name(output.name + ".data") if external else None
    weights = Weights(data)
    started = time.time()

    def progress(layer):
        log(f"[make_decoder] layer {layer + 1}/{config.layers} "
            f"({time.time() - started:.0f} s)")

    try:
        model = build(config, weights, progress if external else None)
    finally:
        weights.close()
    onnx.save_model(model, str(output))
    if not external:
        onnx.checker.check_model(model)
    return output


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny-bitnet")
    for field in ("vocab", "hidden", "layers", "heads", "kv_heads", "ffn",
                  "max_positions", "seed"):
        parser.add_argument("--" + field.replace("_", "-"), type=int,
                            help=f"override the preset's {field}")
    parser.add_argument("--arch", choices=["bitnet", "llama"])
    parser.add_argument("--external-over", type=int, default=1024,
                        metavar="MB", help="weights go to model.onnx.data "
                        "past this many MB of float32 (default 1024)")
    parser.add_argument("-o", "--output", required=True, type=pathlib.Path)
    args = parser.parse_args()
    overrides = {k: v for k, v in vars(args).items()
                 if k in DecoderConfig.__dataclass_fields__ and v is not None}
    config = dataclasses.replace(PRESETS[args.preset], **overrides)
    if config.hidden % config.heads or config.heads % config.kv_heads:
        sys.exit("error: hidden must divide by heads, and heads by kv-heads")
    print(f"{config.arch} decoder: {config.parameters() / 1e6:.1f} M "
          f"parameters", file=sys.stderr)
    path = write(config, args.output, args.external_over,
                 log=lambda m: print(m, file=sys.stderr))
    print(path)


if __name__ == "__main__":
    main()
