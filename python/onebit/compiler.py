"""onebit.compile: run the onebit-compile tool from Python."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union, List

from .errors import CompileError

Shape = Union[str, Sequence[int]]

# python/onebit/compiler.py -> the repository root.
_REPO_ROOT = Path(__file__).resolve().parents[2]


def find_compiler() -> str:
    """The onebit-compile to run: $ONEBIT_COMPILE, else the repository's
    build/bin/onebit-compile, else the one on PATH."""
    from_env = os.environ.get("ONEBIT_COMPILE")
    if from_env:
        if not (os.path.isfile(from_env) and os.access(from_env, os.X_OK)):
            raise CompileError(
                f"ONEBIT_COMPILE='{from_env}' is not an executable file")
        return from_env
    in_build = _REPO_ROOT / "build" / "bin" / "onebit-compile"
    if in_build.is_file() and os.access(in_build, os.X_OK):
        return str(in_build)
    on_path = shutil.which("onebit-compile")
    if on_path:
        return on_path
    raise CompileError(
        "cannot find onebit-compile: set ONEBIT_COMPILE to its path, build it "
        f"into {in_build}, or put it on PATH")


def _shape_text(name: str, shape: Shape) -> str:
    if isinstance(shape, str):
        return shape
    dims = list(shape)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
               for d in dims):
        raise ValueError(
            f"input_shapes['{name}'] must be non-negative ints or a string "
            f"like '1x128', got {shape!r}")
    return "x".join(str(d) for d in dims)


def command_line(model_path: Union[str, os.PathLike],
                 output_path: Union[str, os.PathLike], *,
                 target: Optional[str] = None,
                 quantize: Optional[str] = None,
                 quantize_embeddings: Optional[str] = None,
                 weights: Optional[str] = None,
                 last_position_only: Optional[Sequence[str]] = None,
                 input_shapes: Optional[Mapping[str, Shape]] = None,
                 emit: Optional[str] = None,
                 opt_level: Optional[int] = None,
                 mcpu: Optional[str] = None,
                 cuda_arch: Optional[str] = None,
                 report: Optional[Union[str, os.PathLike]] = None,
                 verbose: bool = False,
                 compiler: Optional[str] = None) -> List[str]:
    """The onebit-compile command that compile() runs for these options
    (each None leaves the tool's default)."""
    args = [compiler or find_compiler(), os.fspath(model_path),
            "-o", os.fspath(output_path)]
    if target is not None:
        args.append(f"--target={target}")
    if quantize is not None:
        args.append(f"--quantize={quantize}")
    if quantize_embeddings is not None:
        args.append(f"--quantize-embeddings={quantize_embeddings}")
    if weights is not None:
        args.append(f"--weights={weights}")
    if last_position_only:
        if isinstance(last_position_only, str):
            raise ValueError("last_position_only takes a list of output "
                             "names, e.g. ['logits']")
        args.append("--last-position-only=" + ",".join(last_position_only))
    for name, shape in (input_shapes or {}).items():
        args += ["--input-shape", f"{name}={_shape_text(name, shape)}"]
    if emit is not None:
        args.append(f"--emit={emit}")
    if opt_level is not None:
        if opt_level not in (0, 1, 2, 3) or isinstance(opt_level, bool):
            raise ValueError(f"opt_level must be 0, 1, 2 or 3, got "
                             f"{opt_level!r}")
        args.append(f"-O{opt_level}")
    if mcpu is not None:
        args.append(f"--mcpu={mcpu}")
    if cuda_arch is not None:
        args.append(f"--cuda-arch={cuda_arch}")
    if report is not None:
        args.append(f"--report={os.fspath(report)}")
    if verbose:
        args.append("-v")
    return args


def compile(model_path: Union[str, os.PathLike],
            output_path: Union[str, os.PathLike], **options) -> str:
    """Compiles an ONNX model into `output_path` (a model.so, or the IR or
    object that `emit` asks for) with onebit-compile and returns that path.

    Options (keyword only, None or absent for the tool's default):
      target="cpu"|"cuda", quantize="auto"|"none"|"absmean"|"svid",
      quantize_embeddings="none"|"int8"|"int4",
      weights="auto"|"embedded"|"file" (a side file model.weights beside
      model.so, which must stay beside it),
      last_position_only=["logits"] (those outputs computed at the last
      position only, [B, 1, V]: what generation reads, without the LM head
      over the whole prompt),
      input_shapes={"input_ids": (1, 128)} (or "1x128"), emit="so"|...,
      opt_level=0..3, mcpu="native"|..., cuda_arch="sm_90",
      report="report.json", verbose=True (the tool's progress on stderr).

    Raises CompileError with the tool's stderr when it fails.
    """
    args = command_line(model_path, output_path, **options)
    try:
        result = subprocess.run(args, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True)
    except OSError as error:
        raise CompileError(f"cannot run {args[0]}: {error}") from None
    if options.get("verbose") and result.stderr:
        sys.stderr.write(result.stderr)
    if result.returncode != 0:
        details = result.stderr.strip() or result.stdout.strip() or \
            "(no output)"
        raise CompileError(
            f"onebit-compile failed (exit status {result.returncode}) on "
            f"'{os.fspath(model_path)}':\n{details}")
    return os.fspath(output_path)
