"""Input that breaks what the compiled code relies on, and that only the run
can see, ends the run with an error naming the node: indices out of range
in Gather, GatherElements and GatherND (an error in onnxruntime too), and
dynamic dimensions that disagree in a broadcast. Where onnxruntime answers,
onebit answers the same; the session keeps working after a refused run, and
a refused run frees what it had allocated.

Oracle: onnxruntime on the same ONNX files."""
import os
import pathlib
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import onebit

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPILE = pathlib.Path(os.environ.get(
    "ONEBIT_COMPILE", ROOT / "build" / "bin" / "onebit-compile"))

RNG = np.random.default_rng(7)
TABLE = RNG.standard_normal((10, 3)).astype(np.float32)


def build(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "checks", inputs, outputs,
                              [numpy_helper.from_array(a, name)
                               for name, a in initializers])
    model = helper.make_model(graph, ir_version=10,
                              opset_imports=[helper.make_opsetid("", 18)])
    onnx.checker.check_model(model, full_check=True)
    return model


def compiled(model, folder):
    path = folder / "model.onnx"
    onnx.save(model, path)
    library = folder / "model.so"
    subprocess.run([str(COMPILE), str(path), "-o", str(library)], check=True)
    return (onebit.InferenceSession(str(library)),
            ort.InferenceSession(str(path),
                                 providers=["CPUExecutionProvider"]))


def assert_both_answer(sessions, feeds):
    ours, reference = sessions
    want = reference.run(None, feeds)
    got = ours.run(None, feeds)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def assert_both_refuse(sessions, feeds, message):
    ours, reference = sessions
    with pytest.raises(Exception):
        reference.run(None, feeds)
    with pytest.raises(onebit.OnebitError, match=message):
        ours.run(None, feeds)


@pytest.fixture(scope="module")
def gather(tmp_path_factory):
    model = build(
        [helper.make_node("Gather", ["table", "ids"], ["rows"],
                          name="embed", axis=0)],
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info("rows", TensorProto.FLOAT, ["n", 3])],
        [("table", TABLE)])
    return compiled(model, tmp_path_factory.mktemp("gather"))


def test_gather_in_range_matches_onnxruntime(gather):
    assert_both_answer(gather, {"ids": np.array([0, 9, -1, -10, 4])})
    assert_both_answer(gather, {"ids": np.zeros(0, np.int64)})


@pytest.mark.parametrize("bad", [10, 10**9, -11, -10**9])
def test_gather_out_of_range_is_refused_naming_node_and_index(gather, bad):
    ids = np.array([1, bad, 2])
    assert_both_refuse(
        gather, {"ids": ids},
        rf"^Gather node 'embed': an index in 'ids' is out of range for axis "
        rf"0 of 'table' \(\[-10, 10\)\): {bad}$")
    # The refused run left the session usable.
    assert_both_answer(gather, {"ids": np.array([3, -3])})


def test_gather_names_the_index_that_is_out_of_range(gather):
    """Of an index too low and one too high, the message names one of them,
    each a value the input holds."""
    with pytest.raises(onebit.OnebitError, match=r": (-12|15)$"):
        gather[0].run(None, {"ids": np.array([-12, 0, 15])})


@pytest.fixture(scope="module")
def gather_elements(tmp_path_factory):
    model = build(
        [helper.make_node("GatherElements", ["table", "ids"], ["picked"],
                          name="pick", axis=1)],
        [helper.make_tensor_value_info("ids", TensorProto.INT32, ["n", 2])],
        [helper.make_tensor_value_info("picked", TensorProto.FLOAT,
                                       ["n", 2])],
        [("table", TABLE)])
    return compiled(model, tmp_path_factory.mktemp("gather-elements"))


def test_gather_elements_checks_its_axis(gather_elements):
    ids = np.array([[0, 2], [-1, -3], [1, 1]], np.int32)
    assert_both_answer(gather_elements, {"ids": ids})
    ids[1, 0] = 3
    assert_both_refuse(
        gather_elements, {"ids": ids},
        r"^GatherElements node 'pick': an index in 'ids' is out of range for "
        r"axis 1 of 'table' \(\[-3, 3\)\): 3$")
    ids[1, 0] = 0
    assert_both_answer(gather_elements, {"ids": ids})


@pytest.fixture(scope="module")
def gather_nd(tmp_path_factory):
    model = build(
        [helper.make_node("GatherND", ["table", "ids"], ["picked"],
                          name="pick_nd")],
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n", 2])],
        [helper.make_tensor_value_info("picked", TensorProto.FLOAT, ["n"])],
        [("table", TABLE)])
    return compiled(model, tmp_path_factory.mktemp("gather-nd"))


def test_gather_nd_checks_each_index_against_its_own_axis(gather_nd):
    ids = np.array([[9, 2], [-10, -3], [0, 0]])
    assert_both_answer(gather_nd, {"ids": ids})
    # 5 is a row (axis 0 has 10) but not a column (axis 1 has 3).
    ids[2] = [0, 5]
    assert_both_refuse(
        gather_nd, {"ids": ids},
        r"^GatherND node 'pick_nd': an index in 'ids' is out of range for "
        r"axis 1 of 'table': 5$")
    ids[2] = [-11, 0]
    assert_both_refuse(gather_nd, {"ids": ids}, r"axis 0 of 'table': -11$")
    ids[2] = [5, 0]
    assert_both_answer(gather_nd, {"ids": ids})


@pytest.fixture(scope="module")
def broadcast(tmp_path_factory):
    model = build(
        [helper.make_node("Add", ["a", "b"], ["sum"], name="add_dynamic")],
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", 4]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, ["m", 4])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT,
                                       [None, 4])])
    return compiled(model, tmp_path_factory.mktemp("broadcast"))


def test_dynamic_dims_that_agree_broadcast(broadcast):
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    b = RNG.standard_normal((3, 4)).astype(np.float32)
    assert_both_answer(broadcast, {"a": a, "b": b})


@pytest.mark.parametrize("rows", [(3, 5), (5, 3), (2, 0)])
def test_dynamic_dims_that_disagree_are_refused(broadcast, rows):
    feeds = {"a": np.ones((rows[0], 4), np.float32),
             "b": np.ones((rows[1], 4), np.float32)}
    assert_both_refuse(
        broadcast, feeds,
        r"^Add node 'add_dynamic': dimension 0 of input 'b' does not match "
        r"the other inputs' at run time")
    assert_both_answer(broadcast, {"a": np.ones((2, 4), np.float32),
                                   "b": np.ones((2, 4), np.float32)})


def test_a_dynamic_dim_of_one_is_refused_not_misread(broadcast):
    """onnxruntime broadcasts a run-time 1 against 3; onebit's loops index
    both dims alike, so it refuses (never reads past the 1-row buffer)."""
    feeds = {"a": np.ones((3, 4), np.float32), "b": np.ones((1, 4),
                                                            np.float32)}
    assert broadcast[1].run(None, feeds)[0].shape == (3, 4)
    with pytest.raises(onebit.OnebitError, match="add_dynamic"):
        broadcast[0].run(None, feeds)


@pytest.fixture(scope="module")
def merge_heads(tmp_path_factory):
    """x[B, T, 2, 4] -> [N, S, 8], with N and S read off another input, as
    the exporters take batch and sequence from input_ids: a merge of the last
    two dims where (N, S) == (B, T), a legal regrouping of the data where
    only N * S == B * T."""
    model = build(
        [helper.make_node("Shape", ["ids"], ["ids_shape"]),
         helper.make_node("Gather", ["ids_shape", "zero"], ["rows"], axis=0),
         helper.make_node("Gather", ["ids_shape", "one"], ["steps"], axis=0),
         helper.make_node("Unsqueeze", ["rows", "axes"], ["rows1"]),
         helper.make_node("Unsqueeze", ["steps", "axes"], ["steps1"]),
         helper.make_node("Concat", ["rows1", "steps1", "width"], ["shape"],
                          axis=0),
         helper.make_node("Reshape", ["x", "shape"], ["y"],
                          name="merge_heads")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["b", "t", 2, 4]),
         helper.make_tensor_value_info("ids", TensorProto.INT64,
                                       ["n", "s"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [None, None, 8])],
        [("zero", np.array(0, np.int64)), ("one", np.array(1, np.int64)),
         ("axes", np.array([0], np.int64)), ("width", np.array([8], np.int64))])
    return compiled(model, tmp_path_factory.mktemp("merge_heads"))


def test_a_reshape_that_merges_dims_matches_onnxruntime(merge_heads):
    x = RNG.standard_normal((3, 5, 2, 4)).astype(np.float32)
    assert_both_answer(merge_heads, {"x": x, "ids": np.zeros((3, 5),
                                                             np.int64)})


def test_a_reshape_that_regroups_run_time_dims_is_refused(merge_heads):
    """[2, 6, 2, 4] as [4, 3, 8] is legal (onnxruntime answers), but not a
    merge of neighbouring dims: onebit builds reshapes with run-time sizes
    only as merges and splits (which fold into the loops around them), so
    it refuses, naming the node and the size it got."""
    feeds = {"x": RNG.standard_normal((2, 6, 2, 4)).astype(np.float32),
             "ids": np.zeros((4, 3), np.int64)}
    assert merge_heads[1].run(None, feeds)[0].shape == (4, 3, 8)
    with pytest.raises(
            onebit.OnebitError,
            match=r"^Reshape node 'merge_heads': dimension 0 of the new shape "
                  r"differs from dimension 0 of 'x' \(onebit reshapes "
                  r"run-time sizes only by merging or splitting neighbouring "
                  r"dimensions\): 4$"):
        merge_heads[0].run(None, feeds)
    test_a_reshape_that_merges_dims_matches_onnxruntime(merge_heads)


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_refused_runs_free_what_they_allocated(tmp_path):
    """A 1 MiB output is computed (and allocated) before the Gather's check
    refuses the run: 10,000 refused runs would hold 10 GiB if the jump out
    of the compiled code left it allocated."""
    size = 1 << 18
    model = build(
        [helper.make_node("Relu", ["x"], ["activated"], name="relu"),
         helper.make_node("Gather", ["table", "ids"], ["rows"],
                          name="embed", axis=0)],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [size]),
         helper.make_tensor_value_info("ids", TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info("activated", TensorProto.FLOAT,
                                       [size]),
         helper.make_tensor_value_info("rows", TensorProto.FLOAT, ["n", 3])],
        [("table", TABLE)])
    ours, _ = compiled(model, tmp_path)
    feeds = {"x": np.ones(size, np.float32), "ids": np.array([0, 99])}

    def refuse(times):
        for _ in range(times):
            try:
                ours.run(None, feeds)
            except onebit.OnebitError:
                continue
            pytest.fail("the out-of-range id was not refused")

    refuse(500)  # allocator and interpreter reach their steady state
    before = resident_bytes()
    refuse(10_000)
    grown = resident_bytes() - before
    assert grown < 64 << 20, f"resident memory grew {grown >> 20} MiB"
    activated, rows = ours.run(None, {"x": -feeds["x"], "ids": np.array([2])})
    assert not activated.any()
    np.testing.assert_array_equal(rows, TABLE[[2]])
