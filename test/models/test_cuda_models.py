"""The committed exports compiled with --target=cuda.

Here (CI has no GPU) this checks that every model compiles for sm_90, that
the .so embeds a cubin and PTX for it, and that creating a session fails
with a message saying why; then the numeric part skips, saying so. Where a
GPU is present the same test runs the model and compares it with
onnxruntime's saved outputs within 1e-3. (scripts/cuda_models_check.py does
the GPU part for every build from models compiled elsewhere.)

Needs ONEBIT_COMPILE (ctest sets it).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

MODELS_DIR = Path(__file__).resolve().parent
ROOT = MODELS_DIR.parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(MODELS_DIR))
import onebit  # noqa: E402
from fatbin_contents import images  # noqa: E402
from saved_io import MODELS, run_all, saved_runs  # noqa: E402


def compile_for_cuda(model, out_dir, quantize):
    compiler = os.environ.get("ONEBIT_COMPILE")
    if not compiler or not os.path.isfile(compiler):
        pytest.fail("set ONEBIT_COMPILE to the built onebit-compile (ctest does)")
    so = out_dir / "model.so"
    p = subprocess.run([compiler, str(MODELS_DIR / model / "model.onnx"),
                        "--target=cuda", "--cuda-arch=sm_90",
                        f"--quantize={quantize}", "-o", str(so)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return so


@pytest.mark.parametrize("model", MODELS)
def test_cuda_build_matches_onnxruntime(model, tmp_path):
    quantize = "auto" if model.startswith("bitnet") else "none"
    so = compile_for_cuda(model, tmp_path, quantize)
    found = {(kind, arch) for kind, arch, *_ in images(so.read_bytes())}
    assert found == {("elf", 90), ("ptx", 90)}, found

    try:
        session = onebit.InferenceSession(str(so))
    except onebit.InvalidModel as error:
        assert "CUDA" in str(error)
        pytest.skip(f"no usable GPU here, the session says: {error}")
    for shape, feeds, expected in saved_runs(model):
        actual = run_all(session, feeds)
        for name, want in expected.items():
            np.testing.assert_allclose(actual[name], want, rtol=1e-3, atol=1e-3,
                                       err_msg=f"{model} {shape} {name}")
