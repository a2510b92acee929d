"""onebit-compile --weights=file: the model's big constants in model.weights
beside model.so, mapped when a session is created. The outputs are the
embedded build's bit for bit; a missing, truncated or foreign side file is
an InvalidModel error naming the file, never a crash."""
import pathlib
import shutil
import sys

import numpy as np
import pytest

import onebit

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import make_decoder  # noqa: E402


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """(embedded model.so, (model.so, model.weights) of the file build)."""
    folder = tmp_path_factory.mktemp("weights")
    model = make_decoder.write(make_decoder.PRESETS["tiny-llama"],
                               folder / "model.onnx")
    embedded = folder / "embedded" / "model.so"
    embedded.parent.mkdir()
    onebit.compile(model, embedded, quantize="none", weights="embedded")
    side = folder / "side" / "model.so"
    side.parent.mkdir()
    onebit.compile(model, side, quantize="none", weights="file")
    return embedded, side, side.with_suffix(".weights")


def run(library):
    session = onebit.InferenceSession(str(library))
    ids = np.array([[5, 17, 200, 3]], np.int64)
    feeds = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), np.float32)
             for i in session.get_inputs() if i.name != "input_ids"}
    return session.run(None, {"input_ids": ids, **feeds})


def test_side_file_holds_the_weights_and_gives_the_same_outputs(builds):
    embedded, side, weights = builds
    assert not embedded.with_suffix(".weights").exists()
    assert weights.read_bytes()[:8] == b"ONEBITW1"
    # The float weights (the tiny model's 0.13 M parameters) moved out.
    assert weights.stat().st_size > 400_000
    assert side.stat().st_size < embedded.stat().st_size - 400_000
    for got, want in zip(run(side), run(embedded)):
        np.testing.assert_array_equal(got, want)


def test_the_pair_moves_together(builds, tmp_path):
    _, side, weights = builds
    shutil.copy(side, tmp_path / "renamed.so")
    shutil.copy(weights, tmp_path / "model.weights")
    for got, want in zip(run(tmp_path / "renamed.so"), run(side)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("damage,message", [
    ("missing", "cannot be opened"),
    ("truncated", "has 4096 bytes, but the model expects"),
    ("foreign", "belongs to another build of the model"),
    ("not-weights", "is not an onebit weights file"),
])
def test_a_bad_side_file_is_a_clear_error(builds, tmp_path, damage, message):
    _, side, weights = builds
    shutil.copy(side, tmp_path / "model.so")
    target = tmp_path / "model.weights"
    data = bytearray(weights.read_bytes())
    if damage == "truncated":
        data = data[:4096]
    elif damage == "foreign":
        data[8:16] = b"\x01" * 8
    elif damage == "not-weights":
        data[:8] = b"GGUF\x03\x00\x00\x00"
    if damage != "missing":
        target.write_bytes(bytes(data))
    with pytest.raises(onebit.InvalidModel) as error:
        onebit.InferenceSession(str(tmp_path / "model.so"))
    assert message in str(error.value)
    assert str(target) in str(error.value)


def test_auto_keeps_small_models_in_one_file(builds, tmp_path):
    model = builds[0].parent.parent / "model.onnx"
    onebit.compile(model, tmp_path / "model.so", quantize="none")
    assert not (tmp_path / "model.weights").exists()


def test_file_is_for_cpu_shared_objects(builds, tmp_path):
    model = builds[0].parent.parent / "model.onnx"
    with pytest.raises(onebit.CompileError, match="--weights=file applies"):
        onebit.compile(model, tmp_path / "model.ll", emit="llvm",
                       weights="file")
