"""onebit-compile --quantize-embeddings=int8|int4 on the KV-cache decoders of
scripts/make_decoder.py. The oracle is onnxruntime on the same export with
its embedding table replaced by numpy's quantization of it (the formula of
onebit-quantize-embeddings written out here: a scale per row, max |W| / qmax,
values rounded half to even): every output within float rounding, the same
greedy tokens, and the reported error equal to numpy's."""
import json
import pathlib
import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import onebit
from onebit.generate import generate

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "examples"))
import make_decoder  # noqa: E402
from generate import onnxruntime_greedy  # noqa: E402


def quantize_rows(table, bits):
    """W ~ scale[:, None] * q with q in [-qmax, qmax], as float32."""
    qmax = 2 ** (bits - 1) - 1
    scale = (np.abs(table).max(axis=1) / np.float32(qmax)).astype(np.float32)
    safe = np.where(scale == 0, np.float32(1), scale)
    q = np.clip(np.round(table / safe[:, None]), -qmax, qmax)
    q[scale == 0] = 0
    return (scale[:, None] * q.astype(np.float32)).astype(np.float32)


def token_embeddings(model):
    """Names of the 2-d float initializers that a Gather reads at a graph
    input (the token ids); the rotary caches, gathered at computed
    positions, are not among them."""
    initializers = {t.name: t for t in model.graph.initializer}
    inputs = {i.name for i in model.graph.input}
    return {node.input[0] for node in model.graph.node
            if node.op_type == "Gather" and node.input[0] in initializers
            and node.input[1] in inputs
            and len(initializers[node.input[0]].dims) == 2}


@pytest.fixture(scope="module", params=[
    ("tiny-bitnet", 8), ("tiny-bitnet", 4), ("tiny-llama", 8)],
    ids=lambda p: f"{p[0]}-int{p[1]}")
def built(request, tmp_path_factory):
    """(onebit session, the oracle export, the report, the float table)."""
    preset, bits = request.param
    folder = tmp_path_factory.mktemp(f"{preset}-int{bits}")
    model_path = make_decoder.write(make_decoder.PRESETS[preset],
                                    folder / "model.onnx")
    report = folder / "report.json"
    onebit.compile(model_path, folder / "model.so",
                   quantize="auto" if preset == "tiny-bitnet" else "none",
                   quantize_embeddings=f"int{bits}", report=report)
    model = onnx.load(str(model_path))
    (name,) = token_embeddings(model)
    table = None
    for tensor in model.graph.initializer:
        if tensor.name == name:
            table = numpy_helper.to_array(tensor)
            tensor.CopyFrom(numpy_helper.from_array(
                quantize_rows(table, bits), name))
    oracle = folder / "dequantized.onnx"
    onnx.save(model, str(oracle))
    session = onebit.InferenceSession(str(folder / "model.so"))
    return (session, oracle, json.loads(report.read_text()), table, name,
            bits, preset)


def test_every_output_matches_the_dequantized_export(built):
    import onnxruntime as ort
    session, oracle, *_ = built
    reference = ort.InferenceSession(str(oracle),
                                     providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    ids = np.random.default_rng(3).integers(0, 256, (2, 6), dtype=np.int64)
    feeds = {i.name: np.zeros((2, i.shape[1], 0, i.shape[3]), np.float32)
             for i in session.get_inputs() if i.name != "input_ids"}
    for start, end in ((0, 4), (4, 5), (5, 6)):
        step = {"input_ids": ids[:, start:end], **feeds}
        got = dict(zip(names, session.run(None, step)))
        want = dict(zip(names, reference.run(names, step)))
        for name in names:
            np.testing.assert_allclose(got[name], want[name], rtol=1e-4,
                                       atol=1e-4, err_msg=f"{name} {start}")
        feeds = {n.replace("present.", "past_key_values."): got[n]
                 for n in names if n.startswith("present.")}


def test_greedy_tokens_are_onnxruntimes_on_the_dequantized_export(built):
    session, oracle, *_ = built
    prompt = np.array([[3, 141, 59, 26, 53], [5, 35, 89, 79, 32]], np.int64)
    tokens = generate(session, prompt, 12).tokens
    np.testing.assert_array_equal(tokens,
                                  onnxruntime_greedy(oracle, prompt, 12))


def test_report_gives_numpys_error_and_the_packed_size(built):
    _, _, report, table, name, bits, preset = built
    assert report["quantize_embeddings"] == f"int{bits}"
    # The tied head is the same table: one entry for both, named after the
    # layer (the initializer), in place of the layer's float entry.
    entries = [layer for layer in report["layers"]
               if layer["form"] == f"int{bits}"]
    assert len(entries) == 1
    (entry,) = entries
    assert entry["name"] == name
    rows, cols = table.shape
    assert entry["shape"] == [rows, cols]
    assert entry["bytes_before"] == rows * cols * 4
    assert entry["bytes_after"] == rows * (cols * bits // 8) + rows * 4
    approx = quantize_rows(table, bits)
    error = np.linalg.norm(table - approx) / np.linalg.norm(table)
    assert entry["relative_error"] == pytest.approx(error, rel=1e-4)
    assert not [layer for layer in report["layers"]
                if layer["name"] == name and layer["form"] == "float"]
