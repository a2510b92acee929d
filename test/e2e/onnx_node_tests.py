#!/usr/bin/env python3
"""Runs the ONNX backend node tests (Debian's libonnx-testdata) through
onebit-compile and the Python session, against their stored outputs.

Each test directory holds model.onnx and test_data_set_*/{input,output}_N.pb.

Selection: the importer itself decides which tests count. Every model is
handed to onebit-compile; one it rejects with `unsupported op X` lines uses an
op the importer does not register and is left out (its ops are listed). Every
other test counts, whatever its opset or attributes: an importer that
registers an op but rejects one of its forms fails that test. The ops seen
either way are checked against the table in docs/importer.md, so that the
documented list stays the importer's list.

A test passes when every output has the stored dtype and shape and matches
within the tolerance of its dtype (TOLERANCES; integers and bools exactly,
NaN where NaN is stored). Prints each failure with its reason, then the
closing line `node tests: N passed, N failed`; exits 1 when a test outside
test/e2e/node_test_expectations.txt failed, when a listed test passed (the
list must stay true) or is not a selected test, or when the docs disagree.

Each test is compiled and run in a worker process (--jobs of them), so that a
model that crashes or hangs costs that test only (--timeout per test).

    python3 test/e2e/onnx_node_tests.py [--filter REGEX] [--jobs N] [-v]
"""
import argparse
import json
import os
import pathlib
import queue
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
import onebit  # noqa: E402
from onebit.compiler import command_line  # noqa: E402

DATA = pathlib.Path(os.environ.get("ONNX_NODE_TEST_DATA",
                                   "/usr/share/libonnx-testdata/data/node"))
# The compiler under test: $ONEBIT_COMPILE (as for onebit.compile), else
# bin/onebit-compile of $ONEBIT_BUILD_DIR (default: build/).
BUILD = pathlib.Path(os.environ.get("ONEBIT_BUILD_DIR", ROOT / "build"))
COMPILE = pathlib.Path(os.environ.get("ONEBIT_COMPILE",
                                      BUILD / "bin" / "onebit-compile"))
EXPECTATIONS = pathlib.Path(__file__).with_name("node_test_expectations.txt")
IMPORTER_DOC = ROOT / "docs" / "importer.md"

# (rtol, atol) per stored output dtype; a dtype not listed compares exactly.
# float32 is tighter than ONNX's own runner (1e-3 / 1e-7); float16 and
# bfloat16 allow about one unit in the last place of their mantissas.
TOLERANCES = {
    np.dtype(np.float64): (1e-7, 1e-9),
    np.dtype(np.float32): (1e-4, 1e-4),
    np.dtype(np.float16): (1e-3, 1e-3),
}
BFLOAT16_TOLERANCE = (1e-2, 1e-2)
# bfloat16 outputs, stored and computed, are compared as float32 arrays of
# this dtype (float32 with metadata), so compare() knows their precision.
BFLOAT16_MARK = np.dtype(np.float32, metadata={"onnx": "bfloat16"})

UNSUPPORTED_OP = re.compile(r"unsupported op (\S+) \(domain '([^']*)'")


# --- Reading the test data -----------------------------------------------

def read_tensor(path, as_input=False, declared=None):
    """(name, array) of a stored TensorProto. A bfloat16 output comes back as
    float32 marked with BFLOAT16_MARK; a bfloat16 input as numpy_helper
    gives it (bit patterns in uint16), which the session takes as is.
    `declared` is the output's element type in the model: onnx 1.12 stored
    its bfloat16 outputs as UINT16 tensors of the bit patterns."""
    tensor = onnx.TensorProto()
    tensor.ParseFromString(path.read_bytes())
    array = numpy_helper.to_array(tensor)
    bfloat16 = tensor.data_type == onnx.TensorProto.BFLOAT16 or (
        declared == onnx.TensorProto.BFLOAT16 and
        tensor.data_type == onnx.TensorProto.UINT16)
    if bfloat16 and not as_input:
        array = bfloat16_as_float32(array)
    return tensor.name, array


def bfloat16_as_float32(array):
    """bfloat16 values (ml_dtypes', or raw bit patterns in uint16) as a
    float32 array whose dtype carries the bfloat16 mark."""
    if array.dtype.name == "bfloat16":
        array = array.astype(np.float32)
    else:
        bits = array.astype(np.uint16).astype(np.uint32) << 16
        array = bits.view(np.float32)
    return array.astype(BFLOAT16_MARK)


def numbered(data_set, prefix):
    """input_0.pb, input_1.pb, ... in numeric order."""
    files = data_set.glob(prefix + "_*.pb")
    return sorted(files, key=lambda p: int(p.stem.split("_")[1]))


def model_ops(directory):
    model = onnx.load(str(directory / "model.onnx"), load_external_data=False)
    return {(node.domain or "ai.onnx", node.op_type)
            for node in model.graph.node}


def documented_ops():
    """The ops in the table under '## Supported ops' of docs/importer.md;
    parenthesised remarks in a cell are not op names."""
    text = IMPORTER_DOC.read_text()
    section = text.split("## Supported ops", 1)[1].split("\n## ", 1)[0]
    ops = set()
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) < 4 or set(cells[1].strip()) <= set("-") or \
                cells[1].strip() == "Family":
            continue
        ops.update(re.sub(r"\([^)]*\)", " ", cells[2]).split())
    return ops


# --- One test (in a worker process) ---------------------------------------

def is_bfloat16(array):
    return (array.dtype.metadata or {}).get("onnx") == "bfloat16"


def compare(index, actual, expected):
    """None when `actual` matches the stored output, else why not."""
    if actual.dtype.name == "bfloat16" or (is_bfloat16(expected) and
                                           actual.dtype == np.uint16):
        actual = bfloat16_as_float32(actual)
    if is_bfloat16(actual) != is_bfloat16(expected):
        return (f"output {index}: dtype {'bfloat16' if is_bfloat16(actual) else actual.dtype}, "
                f"expected {'bfloat16' if is_bfloat16(expected) else expected.dtype}")
    if actual.dtype != expected.dtype:
        return f"output {index}: dtype {actual.dtype}, expected {expected.dtype}"
    if actual.shape != expected.shape:
        return f"output {index}: shape {actual.shape}, expected {expected.shape}"
    if is_bfloat16(expected):
        tolerance = BFLOAT16_TOLERANCE
    else:
        tolerance = TOLERANCES.get(expected.dtype)
    if tolerance is None:
        differ = actual != expected
        if differ.any():
            where = np.argwhere(differ)[0]
            return (f"output {index}: {int(differ.sum())} of {differ.size} "
                    f"elements differ (first at {tuple(int(i) for i in where)}: "
                    f"{actual[tuple(where)]!r}, expected {expected[tuple(where)]!r})")
        return None
    rtol, atol = tolerance
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    if np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True):
        return None
    nan_mismatch = np.isnan(a) != np.isnan(e)
    if nan_mismatch.any():
        return f"output {index}: NaN where the stored output has none, or not NaN where it has"
    with np.errstate(invalid="ignore"):
        error = np.abs(a - e)
        error[np.isnan(error)] = 0
        # Infinities of the same sign are equal; of opposite sign, inf.
        error[(a == e)] = 0
    worst = np.unravel_index(np.argmax(error), error.shape)
    return (f"output {index}: max abs error {error[worst]:.3g} at "
            f"{tuple(int(i) for i in worst)} (got {a[worst]:.7g}, expected "
            f"{e[worst]:.7g}; rtol={rtol:g} atol={atol:g})")


def run_test(directory, opt_level):
    """('pass', None); ('unsupported', [ops]) when the importer rejects ops
    of the model; ("fail", reason) for another compile error; or
    ('run-fail', reason) when the model compiled (so the importer took every
    op of it) but did not run or match."""
    with tempfile.TemporaryDirectory(prefix="onebit-node-") as tmp:
        library = pathlib.Path(tmp) / "model.so"
        args = command_line(directory / "model.onnx", library,
                            quantize="none", opt_level=opt_level,
                            compiler=str(COMPILE))
        result = subprocess.run(args, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True)
        if result.returncode != 0:
            unsupported = UNSUPPORTED_OP.findall(result.stderr)
            if unsupported:
                return "unsupported", sorted({op for op, _ in unsupported})
            lines = [l for l in result.stderr.splitlines() if "error" in l]
            message = lines[0] if lines else \
                result.stderr.strip()[-300:] or f"exit status {result.returncode}"
            # What precedes "error: " (the model path, "<unknown>:0") and an
            # MLIR location say nothing here.
            message = message.split("error: ", 1)[-1]
            message = re.sub(r'^loc\([^)]*\): ', "", message)
            return "fail", "compile: " + message.strip()
        try:
            reason = run_model(directory, library)
        except Exception as error:  # the reason is what the report shows
            reason = f"run: {type(error).__name__}: {error}"
        return ("run-fail", reason) if reason else ("pass", None)


def run_model(directory, library):
    """Runs every data set of the test through the session; None when all
    outputs match, else why not."""
    session = onebit.InferenceSession(str(library))
    inputs = session.get_inputs()
    input_names = {arg.name for arg in inputs}
    graph = onnx.load(str(directory / "model.onnx"),
                      load_external_data=False).graph
    declared_outputs = [o.type.tensor_type.elem_type for o in graph.output]
    data_sets = sorted(directory.glob("test_data_set_*"))
    if not data_sets:
        return "no test_data_set_* in the test directory"
    for data_set in data_sets:
        stored_inputs = [read_tensor(p, as_input=True)
                         for p in numbered(data_set, "input")]
        stored_outputs = [
            read_tensor(p, declared=declared)[1] for p, declared in
            zip(numbered(data_set, "output"), declared_outputs)]
        if len(stored_inputs) != len(inputs):
            return (f"model.so has {len(inputs)} inputs, the test data "
                    f"{len(stored_inputs)}")
        feeds = {}
        for arg, (name, array) in zip(inputs, stored_inputs):
            # The stored tensors carry the input's name; position is the
            # fallback for unnamed ones.
            feeds[name if name in input_names else arg.name] = array
        got = session.run(None, feeds)
        if len(got) != len(stored_outputs):
            return (f"{len(got)} outputs, the test data has "
                    f"{len(stored_outputs)}")
        for index, (actual, expected) in enumerate(zip(got, stored_outputs)):
            reason = compare(index, actual, expected)
            if reason:
                return f"{data_set.name}: {reason}" if len(data_sets) > 1 \
                    else reason
    return None


def worker(opt_level):
    """Reads test directories from stdin, one a line; answers each with one
    JSON line on the original stdout. The model code and the runtime may
    print, so fd 1 is moved to stderr first."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    for line in sys.stdin:
        directory = pathlib.Path(line.strip())
        try:
            status, detail = run_test(directory, opt_level)
        except Exception as error:  # the reason is what the report shows
            status, detail = "fail", f"{type(error).__name__}: {error}"
        answers.write(json.dumps({"status": status, "detail": detail}) + "\n")
        answers.flush()


# --- The driver ------------------------------------------------------------

class Worker:
    """One worker process; restarted after a crash or a timeout."""

    def __init__(self, opt_level):
        self.opt_level = opt_level
        self.process = None

    def start(self):
        # A session of its own, so that stop() also ends an onebit-compile
        # the worker is waiting for.
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", f"-O{self.opt_level}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1,
            start_new_session=True)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def run(self, directory, timeout):
        if self.process is None or self.process.poll() is not None:
            self.start()
        self.process.stdin.write(str(directory) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.stop()
            return "fail", f"timed out after {timeout:g} s (compile + run)"
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            self.process = None
            how = f"signal {-code}" if code < 0 else f"exit status {code}"
            return "fail", f"the worker process died ({how})"
        answer = json.loads(line)
        return answer["status"], answer["detail"]


def run_all(tests, jobs, timeout, opt_level, progress):
    work = queue.Queue()
    for test in tests:
        work.put(test)
    results = {}
    lock = threading.Lock()

    def slot():
        runner = Worker(opt_level)
        try:
            while True:
                try:
                    test = work.get_nowait()
                except queue.Empty:
                    return
                outcome = runner.run(test, timeout)
                with lock:
                    results[test.name] = outcome
                    if progress:
                        print(f"[{len(results)}/{len(tests)}] {test.name}: "
                              f"{outcome[0]}", file=sys.stderr, flush=True)
        finally:
            runner.stop()

    threads = [threading.Thread(target=slot) for _ in range(max(1, jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def load_expectations():
    """test name -> reason; every entry must give one."""
    expected = {}
    problems = []
    for number, line in enumerate(EXPECTATIONS.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            problems.append(f"{EXPECTATIONS.name}:{number}: '{name}' has no reason")
        if name in expected:
            problems.append(f"{EXPECTATIONS.name}:{number}: '{name}' listed twice")
        expected[name] = reason.strip()
    return expected, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", default="",
                        help="only tests whose name matches this regex")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds per test, compile and run together")
    parser.add_argument("-O", dest="opt_level", type=int, default=2,
                        choices=range(4), help="onebit-compile -O level")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="progress on stderr")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.opt_level)
        return 0

    if not COMPILE.exists():
        print(f"error: {COMPILE} does not exist; build onebit-compile first "
              "(or set ONEBIT_COMPILE or ONEBIT_BUILD_DIR)", file=sys.stderr)
        return 1
    if not DATA.is_dir():
        print(f"error: {DATA} does not exist; install Debian's "
              "libonnx-testdata", file=sys.stderr)
        return 1
    expected, problems = load_expectations()
    tests = [d for d in sorted(DATA.iterdir())
             if d.is_dir() and re.search(args.filter, d.name)]
    if not tests:
        print(f"error: no node test matches '{args.filter}'", file=sys.stderr)
        return 1

    started = time.monotonic()
    results = run_all(tests, args.jobs, args.timeout, args.opt_level,
                      args.verbose)
    elapsed = time.monotonic() - started

    # The importer's verdict against the documented table: an op it rejected
    # must not be documented, and every op of a model that compiled must be.
    documented = documented_ops()
    rejected, accepted = set(), set()
    for test in tests:
        status, detail = results[test.name]
        if status == "unsupported":
            rejected.update(detail)
        elif status in ("pass", "run-fail"):
            accepted.update(op for domain, op in model_ops(test)
                            if domain == "ai.onnx")
    for op in sorted(rejected & documented):
        problems.append(f"docs/importer.md lists {op}, the importer rejects it")
    for op in sorted(accepted - documented):
        problems.append(f"the importer takes {op}, docs/importer.md does not list it")

    selected = [t.name for t in tests if results[t.name][0] != "unsupported"]
    failures = {n: results[n][1] for n in selected
                if results[n][0] in ("fail", "run-fail")}
    unexpected = {n: r for n, r in failures.items() if n not in expected}
    fixed = [n for n in selected if n in expected and n not in failures]
    if not args.filter:
        for name in sorted(set(expected) - set(selected)):
            problems.append(f"{EXPECTATIONS.name} lists '{name}', which is not "
                            "a selected test")

    left_out = [t.name for t in tests if results[t.name][0] == "unsupported"]
    print(f"left out: {len(left_out)} tests of ops the importer does not "
          f"register ({' '.join(sorted(rejected))})")
    for name, reason in sorted(failures.items()):
        mark = "expected" if name in expected else "NEW"
        print(f"{mark:8} {name:48} {reason}")
    for name in fixed:
        print(f"FIXED    {name:48} passes: remove it from {EXPECTATIONS.name}")
    for problem in problems:
        print(f"ERROR    {problem}")
    passed = len(selected) - len(failures)
    print(f"{len(selected)} of {len(tests)} node tests use only ops the "
          f"importer supports; {len(failures)} failed ({len(failures) - len(unexpected)} "
          f"expected), {len(unexpected)} unexpected, {len(fixed)} listed but "
          f"passing; {elapsed:.0f} s with {args.jobs} jobs")
    print(f"node tests: {passed} passed, {len(failures)} failed")
    return 1 if unexpected or fixed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
