"""Finds the fake models that test/runtime builds (libonebit_fake_model.so
and libonebit_broken_signature_model.so): from $ONEBIT_FAKE_MODEL and
$ONEBIT_BROKEN_MODEL, which ctest sets, else in build/test/runtime/."""

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "python"))


def _model(env_var: str, file_name: str) -> str:
    from_env = os.environ.get(env_var)
    if from_env:
        if not os.path.isfile(from_env):
            pytest.fail(f"{env_var}={from_env} does not exist")
        return from_env
    built = REPO_ROOT / "build" / "test" / "runtime" / file_name
    if not built.is_file():
        pytest.skip(f"{built} is not built (ninja -C build {built.stem[3:]}) "
                    f"and {env_var} is not set")
    return str(built)


@pytest.fixture(scope="session")
def fake_model_path() -> str:
    return _model("ONEBIT_FAKE_MODEL", "libonebit_fake_model.so")


@pytest.fixture(scope="session")
def broken_model_path() -> str:
    return _model("ONEBIT_BROKEN_MODEL",
                  "libonebit_broken_signature_model.so")


@pytest.fixture(scope="session")
def session(fake_model_path):
    import onebit
    return onebit.InferenceSession(fake_model_path)
