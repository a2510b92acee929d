"""The exported GPT-2, LLaMA, BERT and BitNet models under test/models,
compiled by onebit-compile and run through the Python session.

Oracles: onnxruntime's outputs saved beside each export (by
scripts/export_models.py) for the float and the lossless builds; the
reference lowering (--onebit-lower-to-linalg, plain linalg.matmul over the
unpacked weights) for the lossy absmean and svid builds, whose add-only
kernels it checks on real layer shapes. One .so serves every saved shape.

Needs ONEBIT_COMPILE and ONEBIT_OPT (ctest sets them).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

MODELS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(MODELS_DIR.parents[1] / "python"))
sys.path.insert(0, str(MODELS_DIR))
import onebit  # noqa: E402
from saved_io import MODELS, run_all, saved_runs  # noqa: E402
TOLERANCE = dict(rtol=1e-4, atol=1e-4)


def tool(name):
    path = os.environ.get(name)
    if not path or not os.path.isfile(path):
        pytest.fail(f"set {name} to the built tool (ctest does)")
    return path


def run_tool(*args):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert p.returncode == 0, f"{' '.join(map(str, args))} failed:\n{p.stderr}"
    return p


def compile_model(model, out_dir, *flags):
    so = out_dir / "model.so"
    run_tool(tool("ONEBIT_COMPILE"), MODELS_DIR / model / "model.onnx",
             "-o", so, *flags)
    return onebit.InferenceSession(str(so))


def assert_matches_onnxruntime(session, model):
    for shape, feeds, expected in saved_runs(model):
        actual = run_all(session, feeds)
        assert actual.keys() == expected.keys()
        for name, want in expected.items():
            np.testing.assert_allclose(
                actual[name], want, **TOLERANCE,
                err_msg=f"{model} {shape} output {name}")


def assert_empty_sequence_is_safe(session, model):
    """An empty sequence must not crash the model (it once divided by zero
    inferring a reshape's -1) nor read outside a buffer (run-time shape
    checks stop such runs with an error). Where onnxruntime answers, onebit
    answers the same; where onnxruntime refuses (ONNX leaves a -1 beside an
    empty dim undefined, BERT's pooler reads token 0), onebit may answer or
    refuse."""
    import onnxruntime as ort
    _, feeds, _ = next(saved_runs(model))
    empty = {k: v[:, :0] for k, v in feeds.items()}
    reference = ort.InferenceSession(str(MODELS_DIR / model / "model.onnx"),
                                     providers=["CPUExecutionProvider"])
    try:
        want = dict(zip([o.name for o in reference.get_outputs()],
                        reference.run(None, empty)))
    except Exception:  # onnxruntime's own error: undefined in ONNX
        want = None
    try:
        got = run_all(session, empty)
    except onebit.OnebitError as error:
        assert want is None, (
            f"{model}: onnxruntime runs an empty sequence, onebit: {error}")
        return
    if want is None:
        return
    for name, value in want.items():
        np.testing.assert_allclose(got[name], value, **TOLERANCE,
                                   err_msg=f"{model} empty {name}")


def assert_out_of_range_ids_are_refused(session, model):
    """Token ids past the vocabulary, or below minus its size (a tokenizer
    of another vocabulary), end the run with an error that names the Gather
    node and the id, as onnxruntime refuses them too; the session answers
    the next good input as before."""
    import onnxruntime as ort
    _, feeds, expected = next(saved_runs(model))
    reference = ort.InferenceSession(str(MODELS_DIR / model / "model.onnx"),
                                     providers=["CPUExecutionProvider"])
    for bad_id in (10**9, -10**9):
        bad = {k: np.full_like(v, bad_id) if k == "input_ids" else v
               for k, v in feeds.items()}
        with pytest.raises(Exception, match="out of (data bounds|range)"):
            reference.run(None, bad)
        with pytest.raises(onebit.OnebitError,
                           match=r"Gather node '[^']+': an index in "
                                 r"'[^']+' is out of range .*: "
                                 + str(bad_id) + "$"):
            run_all(session, bad)
        for name, value in run_all(session, feeds).items():
            np.testing.assert_allclose(value, expected[name], **TOLERANCE,
                                       err_msg=f"{model} {name} after")


@pytest.mark.parametrize("model", MODELS)
def test_float_build_matches_onnxruntime(model, tmp_path):
    session = compile_model(model, tmp_path, "--quantize=none")
    assert_matches_onnxruntime(session, model)
    assert_empty_sequence_is_safe(session, model)
    assert_out_of_range_ids_are_refused(session, model)


@pytest.mark.parametrize("model", [m for m in MODELS if m.startswith("bitnet")])
def test_bitnet_auto_packs_every_linear_losslessly(model, tmp_path):
    report_path = tmp_path / "report.json"
    session = compile_model(model, tmp_path, "--quantize=auto",
                            f"--report={report_path}")
    manifest = json.loads((MODELS_DIR / model / "manifest.json").read_text())
    layers = json.loads(report_path.read_text())["layers"]
    assert len(layers) == manifest["weight_matmuls"]
    for layer in layers:
        assert layer["form"] == "ternary" and layer["lossless"], layer
        assert layer["bits_per_weight"] < 2.1, layer
    assert_matches_onnxruntime(session, model)


# Every export with both methods: the two take different kernels (ternary
# and sign layers), and the exports differ in how a layer's input is shaped
# (the TorchScript GPT-2's c_proj reads a generic Reshape's output, whose
# row length is dynamic in its type).
QUANTIZED = [(model, method)
             for model in ("gpt2-torchscript", "llama-torchscript",
                           "bert-torchscript", "gpt2-dynamo", "llama-dynamo",
                           "bert-dynamo")
             for method in ("absmean", "svid")]


@pytest.mark.parametrize("model,method", QUANTIZED)
def test_quantized_build_matches_reference_lowering(model, method, tmp_path):
    fast = compile_model(model, tmp_path, f"--quantize={method}")
    # The same quantized IR, lowered by the reference path instead.
    quantized = tmp_path / "quantized.mlir"
    reference_ir = tmp_path / "reference.mlir"
    run_tool(tool("ONEBIT_COMPILE"), MODELS_DIR / model / "model.onnx",
             f"--quantize={method}", "--emit=onebit", "-o", quantized)
    assert "onebit.linear" not in quantized.read_text()
    run_tool(tool("ONEBIT_OPT"), quantized, "--onebit-lower-to-linalg",
             "-o", reference_ir)
    reference_so = tmp_path / "reference.so"
    run_tool(tool("ONEBIT_COMPILE"), reference_ir, "-o", reference_so)
    reference = onebit.InferenceSession(str(reference_so))
    for shape, feeds, expected in saved_runs(model):
        want = run_all(reference, feeds)
        got = run_all(fast, feeds)
        for name in expected:
            np.testing.assert_allclose(got[name], want[name], **TOLERANCE,
                                       err_msg=f"{model} {shape} {name}")
            # Quantization changed the result: the check compares kernels,
            # not two float builds.
            assert not np.allclose(want[name], expected[name], rtol=1e-3,
                                   atol=1e-3)
