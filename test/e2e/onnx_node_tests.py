#!/usr/bin/env python3
"""Runs the ONNX backend node tests (Debian's libonnx-testdata) through
onebit-compile and the Python session, against their stored outputs.

Each test directory holds model.onnx and test_data_set_*/{input,output}_N.pb.
A test counts when every node of its model is an op the importer supports;
it passes when each output matches within rtol = atol = 1e-4 (ONNX's own
runner uses 1e-3 / 1e-7). Prints a table of failures with their reasons and
the closing line `N passed, N failed`; exits 1 if a test outside
test/e2e/node_test_expectations.txt failed, or an expected failure passed.

    python3 test/e2e/onnx_node_tests.py [--filter REGEX] [--jobs N]
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
import onebit  # noqa: E402

DATA = pathlib.Path("/usr/share/libonnx-testdata/data/node")
BUILD = pathlib.Path(os.environ.get("ONEBIT_BUILD_DIR", ROOT / "build"))
COMPILE = BUILD / "bin" / "onebit-compile"
EXPECTATIONS = pathlib.Path(__file__).with_name("node_test_expectations.txt")

# The ops the importer supports (docs/importer.md); a test is run when all
# its nodes are among them.
SUPPORTED = set("""
Add Sub Mul Div Pow Sqrt Reciprocal Neg Abs Exp Log Erf Tanh Sigmoid Relu Cos
Sin Max Min Round Clip Where Equal Less LessOrEqual Greater GreaterOrEqual And
Or Not IsNaN Cast MatMul Gemm Softmax LayerNormalization ReduceMean ReduceSum
ReduceMax Gather GatherElements GatherND Reshape Transpose Concat Slice Split
Squeeze Unsqueeze Flatten Expand Shape Range Trilu Constant ConstantOfShape
Identity
""".split())


def load_expectations():
    expected = {}
    if EXPECTATIONS.exists():
        for line in EXPECTATIONS.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                expected[name] = reason.strip()
    return expected


def selected_tests(pattern):
    for directory in sorted(DATA.iterdir()):
        if pattern and not re.search(pattern, directory.name):
            continue
        model = onnx.load(str(directory / "model.onnx"), load_external_data=False)
        if all(node.op_type in SUPPORTED and node.domain in ("", "ai.onnx")
               for node in model.graph.node):
            yield directory


def read_tensor(path):
    tensor = onnx.TensorProto()
    tensor.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(tensor)


def run_one(directory):
    """Returns (name, None) on a pass or (name, reason) on a failure."""
    name = directory.name
    with tempfile.TemporaryDirectory() as tmp:
        library = pathlib.Path(tmp) / "model.so"
        result = subprocess.run(
            [str(COMPILE), str(directory / "model.onnx"), "--quantize=none",
             "-o", str(library)], capture_output=True, text=True)
        if result.returncode != 0:
            lines = [l for l in result.stderr.splitlines() if "error" in l]
            return name, "compile: " + (lines[0] if lines else result.stderr[-200:]).strip()
        try:
            session = onebit.InferenceSession(str(library))
            names = [i.name for i in session.get_inputs()]
            for data_set in sorted(directory.glob("test_data_set_*")):
                inputs = [read_tensor(p) for p in sorted(data_set.glob("input_*.pb"),
                          key=lambda p: int(p.stem.split("_")[1]))]
                outputs = [read_tensor(p) for p in sorted(data_set.glob("output_*.pb"),
                           key=lambda p: int(p.stem.split("_")[1]))]
                got = session.run(None, dict(zip(names, inputs)))
                for index, (actual, expected) in enumerate(zip(got, outputs)):
                    if actual.shape != expected.shape:
                        return name, f"output {index}: shape {actual.shape}, expected {expected.shape}"
                    if expected.dtype.kind in "fc":
                        if not np.allclose(actual, expected, rtol=1e-4, atol=1e-4, equal_nan=True):
                            worst = np.nanmax(np.abs(actual.astype(np.float64) - expected))
                            return name, f"output {index}: max abs error {worst:.3g}"
                    elif not np.array_equal(actual, expected):
                        return name, f"output {index}: values differ"
        except Exception as error:  # the reason is what the table reports
            return name, f"run: {type(error).__name__}: {error}"[:200]
    return name, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", default="")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if not COMPILE.exists():
        print(f"error: {COMPILE} does not exist; build first", file=sys.stderr)
        return 1
    expected = load_expectations()
    tests = list(selected_tests(args.filter))
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run_one, tests))
    failures = {name: reason for name, reason in results if reason}
    unexpected = {n: r for n, r in failures.items() if n not in expected}
    fixed = [n for n, _ in results if n in expected and n not in failures]
    for name, reason in sorted(failures.items()):
        mark = "expected" if name in expected else "NEW"
        print(f"{mark:8} {name:50} {reason}")
    for name in fixed:
        print(f"FIXED    {name:50} remove it from {EXPECTATIONS.name}")
    passed = len(results) - len(failures)
    print(f"node tests: {passed} passed, {len(failures)} failed")
    return 1 if unexpected or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
