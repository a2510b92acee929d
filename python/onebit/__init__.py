"""onebit: compile ONNX transformer models into self-contained low-bit
shared libraries, and run them with an onnxruntime-style session.

    import onebit
    onebit.compile("model.onnx", "model.so", quantize="auto")
    sess = onebit.InferenceSession("model.so")
    outputs = sess.run(None, {"input_ids": ids})
    result = onebit.generate(sess, ids, max_new_tokens=32)  # KV-cache models
"""

from .compiler import compile
from .errors import (CompileError, Fail, InvalidArgument, InvalidModel,
                     NoSuchFile, OnebitError)
from .generate import Generation, generate
from .session import InferenceSession, NodeArg

__all__ = [
    "compile",
    "generate",
    "Generation",
    "InferenceSession",
    "NodeArg",
    "OnebitError",
    "InvalidArgument",
    "InvalidModel",
    "NoSuchFile",
    "Fail",
    "CompileError",
]
