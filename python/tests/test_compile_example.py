"""onebit-compile on the bundled example, run through the Python session and
checked against numpy.

The oracle is numpy on the generator's own weights: the float model for
--quantize=none, and BitNet's absmean formula (written out here again, from
the paper) for --quantize=absmean.
"""
import importlib.util
import os
import pathlib
import subprocess

import numpy as np
import pytest

import onebit

ROOT = pathlib.Path(__file__).resolve().parents[2]
# ctest sets ONEBIT_COMPILE; by hand, the default build folder's tool.
COMPILE = pathlib.Path(os.environ.get(
    "ONEBIT_COMPILE", ROOT / "build" / "bin" / "onebit-compile"))
EXAMPLE = ROOT / "examples" / "mlp.mlir"


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "make_example_mlp", ROOT / "scripts" / "make_example_mlp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def absmean(w: np.ndarray) -> np.ndarray:
    """BitNet b1.58: gamma = mean|W| (at least 1e-5), W_t = RoundClip(W/gamma).
    The division is in float32, as torch does it; a weight whose ratio lands
    within rounding of a .5 could otherwise round the other way."""
    gamma = np.float32(max(np.abs(w).mean(dtype=np.float64), 1e-5))
    return np.clip(np.round(w / gamma), -1, 1) * gamma


def compile_example(tmp_path, quantize, *extra):
    out = tmp_path / f"mlp-{quantize}.so"
    subprocess.run([str(COMPILE), str(EXAMPLE), f"--quantize={quantize}",
                    "-o", str(out), *extra], check=True)
    return onebit.InferenceSession(str(out))


@pytest.fixture(scope="module")
def generator():
    return load_generator()


@pytest.mark.parametrize("rows", [1, 3, 17])
def test_float_model_matches_numpy(tmp_path, generator, rows):
    session = compile_example(tmp_path, "none")
    x = np.random.default_rng(rows).standard_normal((rows, 64)).astype(np.float32)
    (y,) = session.run(None, {session.get_inputs()[0].name: x})
    expected = generator.forward(generator.make_weights(), x)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mcpu", ["native", "haswell"])
def test_absmean_model_matches_numpy(tmp_path, generator, mcpu):
    # haswell has no AVX-512: the 8-lane kernels.
    session = compile_example(tmp_path, "absmean", f"--mcpu={mcpu}")
    weights = generator.make_weights()
    # "mid" is already ternary ({-c, 0, +c}): packed as it is, whatever the
    # method (absmean would rescale it by mean|W| instead of c).
    assert len(np.unique(np.abs(weights["mid"]))) == 2
    for name in ("up", "down"):
        weights[name] = absmean(weights[name]).astype(np.float32)
    x = np.random.default_rng(7).standard_normal((5, 64)).astype(np.float32)
    (y,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(y, generator.forward(weights, x),
                               rtol=1e-4, atol=1e-4)


def test_signature(tmp_path):
    session = compile_example(tmp_path, "auto")
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert inp.type == "tensor(float)" and inp.shape[1] == 64
    assert out.shape[1] == 32
