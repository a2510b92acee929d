"""A compiled ternary model on the runtime's thread pool.

The low-bit kernels' loops over output channels run on ONEBIT_NUM_THREADS
threads. Each output is computed by one thread in a fixed order, so the
results must be bit-for-bit the same for any thread count, and match numpy.
Runs for one thread count happen in a fresh process each: the pool reads
ONEBIT_NUM_THREADS once, when the model's first parallel loop starts it.

These tests compile real models with onebit-compile ($ONEBIT_COMPILE, which
ctest sets, else build/bin/onebit-compile).
"""

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import onebit
from onebit.compiler import find_compiler
from onebit.errors import CompileError

IN, HIDDEN, OUT = 100, 144, 40  # K = 100 leaves a tail of the 8/16 lanes
BATCHES = (1, 3, 17, 64)


def _compiler_or_skip() -> str:
    try:
        return find_compiler()
    except CompileError as error:
        if os.environ.get("ONEBIT_COMPILE"):
            raise
        pytest.skip(f"no onebit-compile to test with: {error}")


def _dense(matrix: np.ndarray) -> str:
    rows = ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]"
                     for row in matrix)
    return f"dense<[{rows}]> : tensor<{matrix.shape[0]}x{matrix.shape[1]}xf32>"


def _ternary(rng, rows: int, cols: int, scales: np.ndarray) -> np.ndarray:
    """Exactly ternary weights: each row in {-c, 0, +c} for its scale c."""
    trits = rng.integers(-1, 2, size=(rows, cols)).astype(np.float32)
    return trits * scales[:, None].astype(np.float32)


@pytest.fixture(scope="module")
def ternary_model(tmp_path_factory):
    """x[?, 100] -> ternary linear (one scale) -> relu -> ternary linear (a
    scale per row) -> y[?, 40], with weights that --quantize=auto packs
    without loss, so numpy's float product of the same weights is the
    oracle."""
    compiler = _compiler_or_skip()
    rng = np.random.default_rng(1234)
    w1 = _ternary(rng, HIDDEN, IN, np.full(HIDDEN, 0.125))
    w2 = _ternary(rng, OUT, HIDDEN, 2.0 ** rng.integers(-4, 1, size=OUT))
    source = textwrap.dedent(f"""\
        #id = affine_map<(d0, d1) -> (d0, d1)>
        func.func @main(%x: tensor<?x{IN}xf32> {{onnx.name = "x"}}) -> tensor<?x{OUT}xf32> {{
          %w1 = arith.constant {_dense(w1)}
          %h = onebit.linear %x, %w1 {{layer_name = "fc1"}} : tensor<?x{IN}xf32>, tensor<{HIDDEN}x{IN}xf32> -> tensor<?x{HIDDEN}xf32>
          %zero = arith.constant 0.0 : f32
          %c0 = arith.constant 0 : index
          %n = tensor.dim %x, %c0 : tensor<?x{IN}xf32>
          %e = tensor.empty(%n) : tensor<?x{HIDDEN}xf32>
          %r = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}}
              ins(%h : tensor<?x{HIDDEN}xf32>) outs(%e : tensor<?x{HIDDEN}xf32>) {{
          ^bb0(%a: f32, %o: f32):
            %m = arith.maximumf %a, %zero : f32
            linalg.yield %m : f32
          }} -> tensor<?x{HIDDEN}xf32>
          %w2 = arith.constant {_dense(w2)}
          %y = onebit.linear %r, %w2 {{layer_name = "fc2"}} : tensor<?x{HIDDEN}xf32>, tensor<{OUT}x{HIDDEN}xf32> -> tensor<?x{OUT}xf32>
          return %y : tensor<?x{OUT}xf32>
        }}
        """)
    directory = tmp_path_factory.mktemp("ternary")
    mlir = directory / "model.mlir"
    mlir.write_text(source)
    onebit_ir = subprocess.run(
        [compiler, str(mlir), "--quantize=auto", "--emit=onebit", "-o", "-"],
        check=True, capture_output=True, text=True).stdout
    # Both layers really take the ternary kernels, not the float path.
    assert onebit_ir.count("onebit.ternary_linear") == 2, onebit_ir[:2000]
    library = directory / "model.so"
    onebit.compile(mlir, library, quantize="auto")
    return library, w1, w2


def _inputs(batch: int) -> np.ndarray:
    return np.random.default_rng(batch).standard_normal(
        (batch, IN)).astype(np.float32)


def _oracle(x: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    hidden = np.maximum(x.astype(np.float64) @ w1.T.astype(np.float64), 0.0)
    return hidden @ w2.T.astype(np.float64)


# Runs the model in a fresh process: prints how many threads the first run
# added to the process, and saves the outputs for BATCHES.
CHILD = textwrap.dedent("""\
    import json, os, sys
    import numpy as np
    import onebit
    library, out, batches = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    sess = onebit.InferenceSession(library)
    threads_before = len(os.listdir("/proc/self/task"))
    outputs = {}
    for batch in batches:
        x = np.random.default_rng(batch).standard_normal((batch, %d))
        outputs[str(batch)] = sess.run(None, {"x": x.astype(np.float32)})[0]
    threads_after = len(os.listdir("/proc/self/task"))
    np.savez(out, **outputs)
    print(json.dumps({"added_threads": threads_after - threads_before}))
    """ % IN)


def _run_with_threads(library: Path, threads: int, out: Path):
    env = dict(os.environ, ONEBIT_NUM_THREADS=str(threads),
               PYTHONPATH=str(Path(onebit.__file__).resolve().parents[1]))
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(library), str(out),
         json.dumps(BATCHES)],
        env=env, capture_output=True, text=True, timeout=300)
    # A non-zero exit (a crash while the pool shuts down at exit included)
    # fails here.
    assert child.returncode == 0, child.stderr
    report = json.loads(child.stdout.strip().splitlines()[-1])
    with np.load(out) as saved:
        return report, {int(k): saved[k] for k in saved.files}


def test_outputs_identical_for_any_thread_count(ternary_model, tmp_path):
    library, w1, w2 = ternary_model
    results = {}
    for threads in (1, 2, 4):
        report, outputs = _run_with_threads(
            library, threads, tmp_path / f"threads{threads}.npz")
        # The pool really ran: the caller plus threads - 1 workers.
        assert report["added_threads"] == threads - 1, (threads, report)
        results[threads] = outputs

    for batch in BATCHES:
        single = results[1][batch]
        assert single.shape == (batch, OUT) and single.dtype == np.float32
        np.testing.assert_allclose(single, _oracle(_inputs(batch), w1, w2),
                                   rtol=1e-5, atol=1e-5)
        for threads in (2, 4):
            assert results[threads][batch].tobytes() == single.tobytes(), (
                f"batch {batch}: {threads} threads differ from 1")


def test_concurrent_runs_share_the_pool(ternary_model):
    library, w1, w2 = ternary_model
    sess = onebit.InferenceSession(str(library))
    shared = _inputs(9)
    shared_before = shared.copy()
    expected_shared = _oracle(shared, w1, w2)

    def run_many(thread):
        for run in range(20):
            batch = 1 + (thread * 7 + run) % 13
            x = np.random.default_rng(thread * 100 + run).standard_normal(
                (batch, IN)).astype(np.float32)
            y, = sess.run(None, {"x": x})
            np.testing.assert_allclose(y, _oracle(x, w1, w2),
                                       rtol=1e-5, atol=1e-5)
            # One input array read by every thread at once.
            y, = sess.run(None, {"x": shared})
            np.testing.assert_allclose(y, expected_shared,
                                       rtol=1e-5, atol=1e-5)
        return True

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert all(pool.map(run_many, range(6)))
    assert np.array_equal(shared, shared_before)


def test_inputs_are_never_written(tmp_path):
    """A model whose only op could update its input in place (x + x into
    x's own buffer): the compiled code must write a new buffer instead, or
    concurrent runs sharing one input would see each other's results."""
    compiler = _compiler_or_skip()
    source = tmp_path / "double.mlir"
    source.write_text(textwrap.dedent("""\
        #id = affine_map<(d0, d1) -> (d0, d1)>
        func.func @main(%x: tensor<?x4xf32> {onnx.name = "x"}) -> tensor<?x4xf32> {
          %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
              outs(%x : tensor<?x4xf32>) {
          ^bb0(%o: f32):
            %m = arith.addf %o, %o : f32
            linalg.yield %m : f32
          } -> tensor<?x4xf32>
          return %r : tensor<?x4xf32>
        }
        """))
    library = tmp_path / "double.so"
    subprocess.run([compiler, str(source), "-o", str(library)], check=True)
    sess = onebit.InferenceSession(str(library))
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    original = x.copy()

    def run_many(_):
        return all(np.array_equal(sess.run(None, {"x": x})[0], 2 * original)
                   for _ in range(25))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(run_many, range(4)))
    assert np.array_equal(x, original)
