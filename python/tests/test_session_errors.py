"""InferenceSession's errors: each says what was expected and what was
given."""

import shutil

import numpy as np
import pytest

import onebit
from fake_model import make_inputs


def test_missing_input(session):
    feed = make_inputs(2)
    del feed["input_ids"]
    with pytest.raises(onebit.InvalidArgument,
                       match=r"missing input 'input_ids' \(the model's "
                             r"inputs are 'x', 'input_ids'\)"):
        session.run(None, feed)


def test_unknown_input(session):
    feed = make_inputs(2)
    feed["attention_mask"] = np.ones(3, np.int64)
    with pytest.raises(onebit.InvalidArgument,
                       match="unknown input 'attention_mask'"):
        session.run(None, feed)


def test_unknown_output(session):
    with pytest.raises(onebit.InvalidArgument,
                       match=r"unknown output 'logits' \(the model's outputs "
                             r"are 'y', "):
        session.run(["y", "logits"], make_inputs(2))


def test_output_names_must_be_a_list(session):
    with pytest.raises(onebit.InvalidArgument, match="not a string"):
        session.run("y", make_inputs(2))


def test_wrong_dtype_is_not_cast(session):
    feed = make_inputs(2)
    feed["x"] = feed["x"].astype(np.float64)
    with pytest.raises(onebit.InvalidArgument,
                       match=r"input 'x': expected dtype float32 "
                             r"\(tensor\(float\)\), got float64"):
        session.run(None, feed)
    feed = make_inputs(2)
    feed["input_ids"] = feed["input_ids"].astype(np.int32)
    with pytest.raises(onebit.InvalidArgument,
                       match="input 'input_ids': expected dtype int64 "
                             r"\(tensor\(int64\)\), got int32"):
        session.run(None, feed)


def test_wrong_rank(session):
    feed = make_inputs(2)
    feed["x"] = feed["x"].reshape(2, 8, 1)
    with pytest.raises(onebit.InvalidArgument,
                       match="input 'x': expected rank 2, got 3"):
        session.run(None, feed)


def test_rank_beyond_the_api_limit(session):
    feed = make_inputs(1)
    feed["x"] = feed["x"].reshape((1,) * 7 + (2, 4))
    with pytest.raises(onebit.InvalidArgument,
                       match="input 'x': expected rank 2, got 9"):
        session.run(None, feed)


def test_wrong_static_dimension_gives_the_runtime_message(session):
    feed = make_inputs(2)
    feed["x"] = np.zeros((2, 7), np.float32)
    with pytest.raises(onebit.InvalidArgument) as error:
        session.run(None, feed)
    assert str(error.value) == "input 'x': dimension 1 is 7, expected 8"
    feed = make_inputs(2)
    feed["input_ids"] = np.zeros(4, np.int64)
    with pytest.raises(onebit.InvalidArgument,
                       match="input 'input_ids': dimension 0 is 4, "
                             "expected 3"):
        session.run(None, feed)


def test_errors_are_value_errors(session):
    with pytest.raises(ValueError):
        session.run(None, {})


def test_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "model.so"
    with pytest.raises(onebit.NoSuchFile, match="does not exist"):
        onebit.InferenceSession(str(missing))
    with pytest.raises(FileNotFoundError):
        onebit.InferenceSession(str(missing))


def test_file_that_is_not_a_shared_library(tmp_path):
    text = tmp_path / "model.so"
    text.write_text("not a shared library\n")
    with pytest.raises(onebit.InvalidModel,
                       match="is not an onebit model: cannot load it"):
        onebit.InferenceSession(str(text))


def test_shared_library_that_is_not_a_model(tmp_path):
    # Any shared library without the onebit API: Python's own _ctypes.
    import _ctypes
    library = getattr(_ctypes, "__file__", "")
    if not library.endswith(".so"):
        pytest.skip("_ctypes is built into this Python")
    copy = tmp_path / "not_a_model.so"
    shutil.copy(library, copy)
    with pytest.raises(onebit.InvalidModel,
                       match="is not an onebit model: it has no 'onebit_run' "
                             "symbol"):
        onebit.InferenceSession(str(copy))


def test_malformed_signature(broken_model_path):
    with pytest.raises(onebit.InvalidModel,
                       match="the model's signature is malformed: line 1: "
                             "dtype '99' of 'x' is not an onebit_dtype "
                             "number"):
        onebit.InferenceSession(broken_model_path)
