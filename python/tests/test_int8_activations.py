"""Ternary layers with int8 activations (BitNet's W1.58A8, onebit-compile
--int8-activations) against BitNet's formula computed by numpy.

The CPU kernel sums the int8 activations in 16-bit lanes and widens them to
32 bits chunk by chunk of K (lib/Conversion/OnebitToVector). K here spans
several chunks, a remainder and a tail at every vector width, and one row of
the input with one channel of the weights drives every lane to its largest
sum: an overflow of the 16-bit lanes would show as a wrong result. The sums
are exact integers, so the results must equal numpy's bit for bit."""
import os
import pathlib
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onebit

ROOT = pathlib.Path(__file__).resolve().parents[2]
# ctest sets ONEBIT_COMPILE; by hand, the default build folder's tool.
COMPILE = pathlib.Path(os.environ.get(
    "ONEBIT_COMPILE", ROOT / "build" / "bin" / "onebit-compile"))

# Rows: one 4-row tile and a single row. Channels: not a multiple of 4.
ROWS, INPUTS, OUTPUTS = 5, 9001, 6
GAMMA = np.float32(0.0625)


def ternary_codes(rng):
    """T [OUTPUTS, INPUTS] in {-1, 0, 1}; channel 0 all +1, channel 1 all -1."""
    codes = rng.integers(-1, 2, size=(OUTPUTS, INPUTS)).astype(np.int64)
    codes[0] = 1
    codes[1] = -1
    return codes


def activations(rng):
    x = rng.standard_normal((ROWS, INPUTS)).astype(np.float32)
    x[0] = -1.0     # every q = -127: channel 1's lanes all reach +127 * steps
    x[1, ::2] = 0   # a row with a large spread and many zeros
    x[1, 7] = 40.0
    x[2] = 0        # max |x| below the 1e-5 floor: r = 127 / 1e-5
    return x


def bitnet_w158a8(x, codes, gamma):
    """BitNet b1.58's activation_quant then the ternary product, in f32 as
    onebit.ternary_linear specifies it."""
    r = np.float32(127) / np.maximum(np.abs(x).max(axis=1), np.float32(1e-5))
    q = np.clip(np.rint(x * r[:, None]), -128, 127).astype(np.int64)
    sums = (q @ codes.T).astype(np.float32)
    return sums / r[:, None] * gamma


@pytest.fixture(scope="module")
def layer(tmp_path_factory):
    rng = np.random.default_rng(158)
    codes = ternary_codes(rng)
    # The weight is exactly gamma * T, so absmean packs it without loss.
    weight = (codes.T.astype(np.float32) * GAMMA).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")], "int8",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [ROWS, INPUTS])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [ROWS, OUTPUTS])],
        [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    folder = tmp_path_factory.mktemp("int8-activations")
    path = folder / "layer.onnx"
    onnx.save(model, str(path))
    return path, codes, rng


# The host's widest vectors (16 f32 lanes on AVX-512: 32 i16 lanes, chunks
# of 4096) and AVX2's (8 f32 lanes: 16 i16 lanes, chunks of 2048).
@pytest.mark.parametrize("mcpu", ["native", "haswell"])
def test_matches_bitnet_formula_exactly(layer, tmp_path, mcpu):
    path, codes, rng = layer
    library = tmp_path / "layer.so"
    subprocess.run([str(COMPILE), str(path), "-o", str(library),
                    "--quantize=absmean", "--int8-activations",
                    f"--mcpu={mcpu}"], check=True)
    session = onebit.InferenceSession(str(library))
    x = activations(rng)
    (y,) = session.run(None, {"x": x})
    np.testing.assert_array_equal(y, bitnet_w158a8(x, codes, GAMMA))
    assert y[0, 1] == np.float32(127 * INPUTS) / np.float32(127) * GAMMA
