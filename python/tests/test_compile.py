"""onebit.compile against a stub onebit-compile that records its arguments
(the real tool is tested on its own; here only the mapping is)."""

import json
import os
import stat
import sys
import textwrap

import pytest

import onebit
from onebit.compiler import command_line, find_compiler

STUB = textwrap.dedent("""\
    #!{python}
    # Stands in for onebit-compile: records argv, writes the -o file, and
    # fails like the real tool when the model is named 'bad.onnx'.
    import json, sys
    args = sys.argv[1:]
    with open({record!r}, "w") as f:
        json.dump(args, f)
    if args[0].endswith("bad.onnx"):
        sys.stderr.write("error: bad.onnx: unsupported op 'Loop'\\n")
        sys.exit(1)
    if "-v" in args:
        sys.stderr.write("[1/6] Importing...\\n")
    with open(args[args.index("-o") + 1], "w") as f:
        f.write("model")
""")


@pytest.fixture
def stub(tmp_path, monkeypatch):
    """An executable stub onebit-compile, found through ONEBIT_COMPILE;
    returns a function reading the arguments of its last run."""
    record = tmp_path / "argv.json"
    tool = tmp_path / "onebit-compile"
    tool.write_text(STUB.format(python=sys.executable, record=str(record)))
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("ONEBIT_COMPILE", str(tool))
    return lambda: json.loads(record.read_text())


def test_defaults_pass_only_input_and_output(stub, tmp_path):
    output = tmp_path / "model.so"
    assert onebit.compile("model.onnx", output) == str(output)
    assert stub() == ["model.onnx", "-o", str(output)]
    assert output.read_text() == "model"


def test_every_option_maps_to_its_flag(stub, tmp_path):
    output = tmp_path / "model.so"
    onebit.compile("model.onnx", str(output), target="cpu", quantize="auto",
                   input_shapes={"input_ids": (1, 128), "mask": "1x128"},
                   emit="so", opt_level=3, mcpu="znver4", cuda_arch="sm_90",
                   report="report.json")
    assert stub() == [
        "model.onnx", "-o", str(output), "--target=cpu", "--quantize=auto",
        "--input-shape", "input_ids=1x128", "--input-shape", "mask=1x128",
        "--emit=so", "-O3", "--mcpu=znver4", "--cuda-arch=sm_90",
        "--report=report.json",
    ]


def test_opt_level_zero_is_passed(stub, tmp_path):
    onebit.compile("m.onnx", tmp_path / "m.so", opt_level=0)
    assert "-O0" in stub()


def test_verbose_echoes_the_tools_progress(stub, tmp_path, capfd):
    onebit.compile("m.onnx", tmp_path / "m.so", verbose=True)
    assert stub()[-1] == "-v"
    assert "[1/6] Importing..." in capfd.readouterr().err


def test_failure_raises_with_the_tools_stderr(stub, tmp_path):
    with pytest.raises(onebit.CompileError) as error:
        onebit.compile("bad.onnx", tmp_path / "m.so")
    message = str(error.value)
    assert "exit status 1" in message
    assert "unsupported op 'Loop'" in message
    assert isinstance(error.value, RuntimeError)


def test_unknown_option_is_a_type_error(stub, tmp_path):
    with pytest.raises(TypeError):
        onebit.compile("m.onnx", tmp_path / "m.so", optimise=2)


@pytest.mark.parametrize("level", [4, -1, "3", True])
def test_bad_opt_level(level):
    with pytest.raises(ValueError, match="opt_level"):
        command_line("m.onnx", "m.so", opt_level=level, compiler="tool")


def test_bad_input_shape():
    with pytest.raises(ValueError, match=r"input_shapes\['x'\]"):
        command_line("m.onnx", "m.so", input_shapes={"x": (1, -1)},
                     compiler="tool")


def test_compiler_from_environment_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("ONEBIT_COMPILE", str(tmp_path / "missing"))
    with pytest.raises(onebit.CompileError, match="ONEBIT_COMPILE"):
        find_compiler()


def test_compiler_found_on_path(monkeypatch, tmp_path):
    import onebit.compiler as compiler
    monkeypatch.delenv("ONEBIT_COMPILE", raising=False)
    monkeypatch.setattr(compiler, "_REPO_ROOT", tmp_path / "no-repo")
    tool = tmp_path / "onebit-compile"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep +
                       os.environ.get("PATH", ""))
    assert find_compiler() == str(tool)


def test_compiler_not_found(monkeypatch, tmp_path):
    import onebit.compiler as compiler
    monkeypatch.delenv("ONEBIT_COMPILE", raising=False)
    monkeypatch.setattr(compiler, "_REPO_ROOT", tmp_path / "no-repo")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(onebit.CompileError, match="cannot find onebit-compile"):
        find_compiler()
