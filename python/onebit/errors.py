"""Exceptions raised by the onebit package.

Named after onnxruntime's (``InvalidArgument``, ``NoSuchFile``, ``Fail``) so
that code written against onnxruntime reads the same; each also derives from
the closest built-in exception, so ``except ValueError`` and the like work.
"""


class OnebitError(Exception):
    """Base class of every error the onebit package raises."""


class InvalidArgument(OnebitError, ValueError):
    """A run was asked for with inputs or output names the model rejects."""


class NoSuchFile(OnebitError, FileNotFoundError):
    """The model path does not exist."""


class InvalidModel(OnebitError):
    """The file is not a loadable onebit model.so, or its signature is bad."""


class Fail(OnebitError, RuntimeError):
    """The model failed for a reason other than its inputs."""


class CompileError(OnebitError, RuntimeError):
    """onebit-compile could not be found, or it failed."""
