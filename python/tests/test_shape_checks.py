"""Run-time shape checks in compiled code: a size the model declares static
that the inputs break ends the run with an error naming the node, instead
of reading outside a buffer, and the session keeps working afterwards."""
import os
import pathlib
import subprocess
import threading

import numpy as np
import pytest

import onebit

ROOT = pathlib.Path(__file__).resolve().parents[2]
# ctest sets ONEBIT_COMPILE; by hand, the default build folder's tool.
COMPILE = pathlib.Path(os.environ.get(
    "ONEBIT_COMPILE", ROOT / "build" / "bin" / "onebit-compile"))

# x has any length, but the cast (as the importer's types make from an ONNX
# file's declarations) promises 4; the generic then reads 4 elements.
MODEL = """
func.func @main(%x: tensor<?xf32> {onnx.name = "x"}) -> (tensor<4xf32> {onnx.name = "y"}) {
  %fixed = tensor.cast %x : tensor<?xf32> to tensor<4xf32> loc("node_declared_four")
  %empty = tensor.empty() : tensor<4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%fixed : tensor<4xf32>) outs(%empty : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.addf %a, %a : f32
    linalg.yield %d : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}
"""


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shape-checks")
    source = folder / "model.mlir"
    source.write_text(MODEL)
    library = folder / "model.so"
    subprocess.run([str(COMPILE), str(source), "-o", str(library)],
                   check=True)
    return onebit.InferenceSession(str(library))


def test_declared_size_runs(session):
    (y,) = session.run(None, {"x": np.arange(4, dtype=np.float32)})
    np.testing.assert_array_equal(y, [0, 2, 4, 6])


@pytest.mark.parametrize("length", [0, 3, 5])
def test_other_sizes_are_refused_naming_the_node(session, length):
    with pytest.raises(onebit.OnebitError,
                       match="node_declared_four: dimension 0 of this value "
                             "is not the 4 that the model declares"):
        session.run(None, {"x": np.ones(length, dtype=np.float32)})
    # The failed run left the session (and this thread) usable.
    (y,) = session.run(None, {"x": np.ones(4, dtype=np.float32)})
    np.testing.assert_array_equal(y, [2, 2, 2, 2])


def test_failures_on_several_threads_stay_apart(session):
    """Each thread's failed check returns to its own run."""
    errors, results = [], []

    def work(index):
        for _ in range(20):
            try:
                session.run(None, {"x": np.ones(3 + 2 * (index % 2),
                                                dtype=np.float32)})
            except onebit.OnebitError as error:
                errors.append(str(error))
            (y,) = session.run(None, {"x": np.full(4, index, np.float32)})
            results.append((index, y.copy()))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 80
    assert all("node_declared_four" in error for error in errors)
    for index, y in results:
        np.testing.assert_array_equal(y, np.full(4, 2 * index))
