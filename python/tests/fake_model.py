"""What test/runtime/FakeModel.cpp computes, for checking its outputs."""

import numpy as np

INPUT_NAMES = ["x", "input_ids"]
OUTPUT_NAMES = ["y", "y_transposed", "x_echo", "table", "ids_doubled",
                "batch"]
TABLE = np.array([10, 20, 30, 40], dtype=np.int64)


def make_inputs(batch, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((batch, 8)).astype(np.float32),
        "input_ids": rng.integers(-100, 100, size=3, dtype=np.int64),
    }


def expected_outputs(feed):
    x, ids = feed["x"], feed["input_ids"]
    y = x + np.float32(1)
    return {
        "y": y,
        "y_transposed": y.T,
        "x_echo": x,
        "table": TABLE,
        "ids_doubled": ids * 2,
        "batch": np.array(x.shape[0], dtype=np.int64),
    }
