"""The committed exports and their saved inputs and onnxruntime outputs
(made by scripts/export_models.py), for the tests here and for
scripts/cuda_models_check.py. Needs numpy only."""

import json
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parent
MODELS = sorted(p.name for p in MODELS_DIR.iterdir() if (p / "model.onnx").is_file())


def saved_runs(model):
    """(shape, feeds, expected outputs by name) for every saved shape."""
    manifest = json.loads((MODELS_DIR / model / "manifest.json").read_text())
    assert manifest["shapes"], f"{model} has no saved inputs"
    for shape in manifest["shapes"]:
        saved = np.load(MODELS_DIR / model / f"io_{shape}.npz")
        feeds = {k: saved[k] for k in saved.files if not k.startswith("out:")}
        expected = {k[4:]: saved[k] for k in saved.files if k.startswith("out:")}
        yield shape, feeds, expected


def run_all(session, feeds):
    """A session's outputs on `feeds`, by name."""
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))
