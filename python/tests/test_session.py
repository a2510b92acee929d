"""InferenceSession on the fake model: signature, results, ownership."""

import gc
import numpy as np
import pytest

import onebit
from fake_model import (INPUT_NAMES, OUTPUT_NAMES, TABLE, expected_outputs,
                        make_inputs)


def assert_outputs(results, feed, names=OUTPUT_NAMES):
    expected = expected_outputs(feed)
    assert len(results) == len(names)
    for name, result in zip(names, results):
        want = expected[name]
        assert result.dtype == want.dtype, name
        assert result.shape == want.shape, name
        np.testing.assert_array_equal(result, want, err_msg=name)


def test_inputs(session):
    inputs = session.get_inputs()
    assert [i.name for i in inputs] == INPUT_NAMES
    assert inputs[0].shape == [None, 8]
    assert inputs[0].type == "tensor(float)"
    assert inputs[1].shape == [3]
    assert inputs[1].type == "tensor(int64)"


def test_outputs(session):
    outputs = session.get_outputs()
    assert [o.name for o in outputs] == OUTPUT_NAMES
    assert outputs[1].shape == [8, None]
    assert outputs[3].type == "tensor(int64)"
    assert outputs[5].shape == []


def test_node_arg_repr(session):
    assert repr(session.get_inputs()[0]) == \
        "NodeArg(name='x', type='tensor(float)', shape=[None, 8])"


def test_get_inputs_returns_a_copy(session):
    session.get_inputs().clear()
    assert len(session.get_inputs()) == 2


def test_run_all_outputs(session):
    feed = make_inputs(5)
    assert_outputs(session.run(None, feed), feed)


@pytest.mark.parametrize("batch", [1, 2, 17, 300])
def test_dynamic_dimension(session, batch):
    feed = make_inputs(batch, seed=batch)
    assert_outputs(session.run(None, feed), feed)


def test_selected_outputs_in_the_order_asked(session):
    feed = make_inputs(3)
    names = ["batch", "y", "batch"]
    assert_outputs(session.run(names, feed), feed, names)


def test_no_outputs_asked(session):
    assert session.run([], make_inputs(2)) == []


def test_zero_size_input(session):
    feed = make_inputs(0)
    results = session.run(None, feed)
    assert_outputs(results, feed)
    assert results[0].shape == (0, 8)
    assert results[1].shape == (8, 0)


def test_non_contiguous_inputs_are_made_contiguous(session):
    wide = np.arange(4 * 16, dtype=np.float32).reshape(4, 16)
    ids = np.arange(6, dtype=np.int64)
    feed = {"x": wide[:, ::2], "input_ids": ids[::2]}
    assert not feed["x"].flags.c_contiguous
    assert_outputs(session.run(None, feed), feed)


def test_fortran_order_input(session):
    feed = make_inputs(4)
    feed["x"] = np.asfortranarray(feed["x"])
    assert_outputs(session.run(None, feed), feed)


def test_lists_are_accepted_but_never_narrowed(session):
    feed = {"x": [[1.0] * 8], "input_ids": [1, 2, 3]}
    # A list of Python floats is float64: not silently narrowed.
    with pytest.raises(onebit.InvalidArgument):
        session.run(None, feed)
    feed["x"] = np.float32([[1.0] * 8])
    y, doubled = session.run(["y", "ids_doubled"], feed)
    np.testing.assert_array_equal(y, np.full((1, 8), 2.0, np.float32))
    np.testing.assert_array_equal(doubled, [2, 4, 6])


def test_outputs_are_the_callers(session, fake_model_path):
    """Outputs view the run's buffers in place (no copy), writable, apart
    from the inputs and the model's constants, and valid for as long as the
    caller holds them, whatever happens to the session and the run's other
    outputs."""
    feed = make_inputs(2)
    x_before = feed["x"].copy()
    y, echo, table = session.run(["y", "x_echo", "table"], feed)
    for array in (y, echo, table):
        assert array.flags.writeable and array.flags.c_contiguous
    assert not np.shares_memory(echo, feed["x"])
    # Writing to an output touches neither the inputs nor the model's
    # constants.
    echo[:] = 0
    table[:] = 0
    np.testing.assert_array_equal(feed["x"], x_before)
    np.testing.assert_array_equal(session.run(["table"], feed)[0], TABLE)

    other = onebit.InferenceSession(fake_model_path)
    kept = other.run(["y"], feed)[0]
    want = kept.copy()
    del other, y, echo, table
    gc.collect()
    for _ in range(3):  # runs that would reuse freed buffers
        session.run(None, make_inputs(2))
    np.testing.assert_array_equal(kept, want)


def test_an_output_asked_for_twice_comes_as_two_arrays(session):
    feed = make_inputs(2)
    first, second = session.run(["y", "y"], feed)
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, second)


def test_model_path(session, fake_model_path):
    assert session.model_path == fake_model_path


def test_two_sessions_of_one_model(fake_model_path):
    first = onebit.InferenceSession(fake_model_path)
    second = onebit.InferenceSession(fake_model_path)
    feed = make_inputs(3)
    assert_outputs(first.run(None, feed), feed)
    assert_outputs(second.run(None, feed), feed)
