#!/usr/bin/env python3
"""Peer benchmark: llama.cpp generating with the same decoder that
bench/decoder_generation.py times in onebit.

The model is a KV-cache export of scripts/make_decoder.py (BitNet-shaped:
ternary projections, a tied embedding). This script writes the same
weights as a GGUF of llama.cpp's `bitnet` architecture, quantizes it with
llama.cpp's own llama-quantize (TQ2_0, TQ1_0: the ternary projections at
2.06 and 1.69 bits per weight; llama-quantize keeps the tied token table at
Q4_K for both), and times it with llama-bench (pp = prefill of a prompt,
tg = generating tokens one by one with the cache), beside the machine's
streaming read bandwidth in the same run.

Nothing of llama.cpp lives in this repository. As bench/peers/ggml_layers.py
does, the script takes llama.cpp from llama-cpp-python's source
distribution on PyPI (`pip download --no-binary :all: --no-deps`, cached
under --work), builds llama-quantize and llama-bench (CPU backend, Release,
GGML_NATIVE, OpenMP, no network code), and writes the GGUF with the `gguf`
package from PyPI (llama.cpp's gguf-py; `pip install gguf`).

The architectures differ in one place: llama.cpp's bitnet graph gates with
SiLU where the export squares a ReLU; that is one elementwise op per FFN
element, nothing next to the weights a step reads. The weights are the
export's, unchanged (the norms in f32, everything else in f16 before
llama-quantize).

    .venv/bin/python bench/peers/llama_generation.py /tmp/big/full/model.onnx --threads "1 2"
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "bench"))
import ggml_layers as peer  # noqa: E402

LLAMA_OPTIONS = dict(peer.GGML_OPTIONS, LLAMA_CURL="OFF",
                     LLAMA_OPENSSL="OFF", LLAMA_BUILD_TESTS="OFF",
                     LLAMA_BUILD_EXAMPLES="OFF", LLAMA_BUILD_SERVER="OFF",
                     LLAMA_BUILD_TOOLS="ON")


def build_llama(llama_cpp, work, version):
    """llama-quantize and llama-bench built from the extracted sdist."""
    build_dir = work / f"llama-build-{version}"
    peer.run(["cmake", "-S", llama_cpp, "-B", build_dir, "-G", "Ninja",
              "-Wno-dev", "--log-level=WARNING"]
             + [f"-D{k}={v}" for k, v in LLAMA_OPTIONS.items()],
             stdout=subprocess.DEVNULL)
    started = time.time()
    peer.run(["cmake", "--build", build_dir, "--target", "llama-quantize",
              "llama-bench"], stdout=subprocess.DEVNULL)
    peer.log(f"built in {time.time() - started:.0f} s")
    return build_dir / "bin"


def onnx_initializers(model_path):
    """{name: array} of the export's initializers, external data mapped."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(str(model_path), load_external_data=False)
    arrays = {}
    for tensor in model.graph.initializer:
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            arrays[tensor.name] = numpy_helper.to_array(tensor)
            continue
        info = {e.key: e.value for e in tensor.external_data}
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type)
        arrays[tensor.name] = np.memmap(
            model_path.parent / info["location"], dtype=dtype, mode="r",
            offset=int(info.get("offset", 0)), shape=tuple(tensor.dims))
    return model, arrays


# make_decoder's initializer names -> llama.cpp's, and whether the ONNX
# array is the MatMul's in x out (transposed back to llama.cpp's out x in).
LAYER_TENSORS = {
    "input_layernorm.weight": ("attn_norm.weight", False),
    "self_attn.q_proj.weight": ("attn_q.weight", True),
    "self_attn.k_proj.weight": ("attn_k.weight", True),
    "self_attn.v_proj.weight": ("attn_v.weight", True),
    "self_attn.o_proj.weight": ("attn_output.weight", True),
    "self_attn.attn_sub_norm.weight": ("attn_sub_norm.weight", False),
    "post_attention_layernorm.weight": ("ffn_norm.weight", False),
    "mlp.gate_proj.weight": ("ffn_gate.weight", True),
    "mlp.up_proj.weight": ("ffn_up.weight", True),
    "mlp.down_proj.weight": ("ffn_down.weight", True),
    "mlp.ffn_sub_norm.weight": ("ffn_sub_norm.weight", False),
}


def gguf_tensors(arrays, layers):
    """(llama.cpp name, array in its layout, f16?) for every weight."""
    yield "token_embd.weight", arrays["model.embed_tokens.weight"], True
    yield "output_norm.weight", arrays["model.norm.weight"], False
    for layer in range(layers):
        for ours, (theirs, transposed) in LAYER_TENSORS.items():
            array = arrays[f"model.layers.{layer}.{ours}"]
            yield f"blk.{layer}.{theirs}", array.T if transposed else array, \
                transposed


def write_gguf(model_path, gguf_path, gguf_module, config):
    """The export's weights as an f16/f32 GGUF of llama.cpp's bitnet."""
    _, arrays = onnx_initializers(model_path)
    writer = gguf_module.GGUFWriter(gguf_path, "bitnet")
    c = config
    writer.add_context_length(4096)
    writer.add_embedding_length(c.hidden)
    writer.add_block_count(c.layers)
    writer.add_feed_forward_length(c.ffn)
    writer.add_head_count(c.heads)
    writer.add_head_count_kv(c.kv_heads)
    writer.add_rope_dimension_count(c.hidden // c.heads)
    writer.add_rope_freq_base(c.rope_theta)
    writer.add_layer_norm_rms_eps(c.eps)
    writer.add_vocab_size(c.vocab)
    writer.add_file_type(gguf_module.LlamaFileType.MOSTLY_F16)
    # No tokenizer: llama-bench feeds random token ids.
    writer.add_tokenizer_model("none")
    tensors = list(gguf_tensors(arrays, c.layers))
    for name, array, half in tensors:
        dtype = np.float16 if half else np.float32
        writer.add_tensor_info(name, array.shape, np.dtype(dtype),
                               array.size * np.dtype(dtype).itemsize)
    writer.write_header_to_file(gguf_path)
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for i, (name, array, half) in enumerate(tensors):
        writer.write_tensor_data(np.ascontiguousarray(
            array, dtype=np.float16 if half else np.float32))
        if i % 50 == 0:
            peer.log(f"[gguf] {i + 1}/{len(tensors)} {name}")
    writer.close()


def bench(binary, gguf, threads, prompt, new_tokens, repetitions):
    """llama-bench's pp/tg rows (its JSON) for each thread count."""
    out = subprocess.run(
        [str(binary), "-m", str(gguf), "-p", str(prompt), "-n",
         str(new_tokens), "-t", ",".join(map(str, threads)), "-r",
         str(repetitions), "-o", "json"],
        check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=pathlib.Path,
                        help="a make_decoder export (model.onnx)")
    parser.add_argument("--preset", default="bitnet-2b4t",
                        help="the make_decoder preset it was written with")
    parser.add_argument("--work", type=pathlib.Path,
                        default=ROOT / "build" / "bench" / "ggml")
    parser.add_argument("--threads", default="1 2")
    parser.add_argument("--types", default="TQ2_0 TQ1_0")
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_decoder
    config = make_decoder.PRESETS[args.preset]

    work = args.work.resolve()
    tarball = peer.download(work / "cache", None, False)
    version = peer.sdist_version(tarball)
    ggml, _ = peer.extract(tarball, work)
    llama_cpp = ggml.parent
    try:
        import gguf  # PyPI's gguf (pip install gguf)
    except ImportError:
        sys.exit("error: needs the gguf package: pip install gguf")
    binaries = build_llama(llama_cpp, work, version)

    folder = args.model.resolve().parent
    f16 = folder / "model-f16.gguf"
    if not f16.exists():
        started = time.time()
        write_gguf(args.model, f16.with_suffix(".partial"), gguf, config)
        f16.with_suffix(".partial").rename(f16)
        peer.log(f"wrote {f16} in {time.time() - started:.0f} s")
    threads = [int(t) for t in args.threads.split()]
    bandwidth = {t: _bandwidth(t) for t in threads}
    results = []
    for kind in args.types.split():
        quantized = folder / f"model-{kind.lower()}.gguf"
        if not quantized.exists():
            peer.run([binaries / "llama-quantize", f16, quantized, kind,
                      str(max(threads))], stdout=subprocess.DEVNULL)
        rows = bench(binaries / "llama-bench", quantized, threads,
                     args.prompt_tokens, args.new_tokens, args.repetitions)
        for row in rows:
            test = "pp" if row["n_prompt"] else "tg"
            size = row["model_size"]
            per_token = 1 / row["avg_ts"]
            results.append(dict(type=kind, test=f"{test}{row['n_prompt'] or row['n_gen']}",
                                threads=row["n_threads"],
                                tokens_per_s=row["avg_ts"],
                                stddev=row["stddev_ts"], model_bytes=size,
                                roof_fraction=(size / per_token /
                                               bandwidth[row["n_threads"]]
                                               if test == "tg" else None)))
    print(f"\n## llama.cpp {version} on {args.model} ({peer.cpu_model()})")
    print("read bandwidth: " + ", ".join(
        f"{t} thread(s) {b / 1e9:.1f} GB/s" for t, b in bandwidth.items()))
    print("\n| type | test | threads | tokens/s | model MB | % of read roof |"
          "\n| --- | --- | ---: | ---: | ---: | ---: |")
    for r in results:
        roof = f"{r['roof_fraction']:.0%}" if r["roof_fraction"] else ""
        print(f"| {r['type']} | {r['test']} | {r['threads']} | "
              f"{r['tokens_per_s']:.2f} ± {r['stddev']:.2f} | "
              f"{r['model_bytes'] / 1e6:,.0f} | {roof} |")
    if args.json:
        args.json.write_text(json.dumps(dict(
            version=version, cpu=peer.cpu_model(), bandwidth=bandwidth,
            results=results), indent=1) + "\n")


def _bandwidth(threads):
    from decoder_generation import read_bandwidth
    return read_bandwidth(threads)


if __name__ == "__main__":
    main()
