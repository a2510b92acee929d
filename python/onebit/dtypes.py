"""Element types: the runtime's onebit_dtype numbers (ONNX's
TensorProto.DataType), numpy dtypes and onnxruntime's type strings."""

from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np


def _bfloat16_dtype() -> Optional[np.dtype]:
    # numpy has no bfloat16 of its own; ml_dtypes (used by JAX and others)
    # provides the usual one. Without it, bfloat16 tensors travel as their
    # raw 16-bit patterns in uint16 arrays.
    try:
        import ml_dtypes  # type: ignore[import-not-found]
    except ImportError:
        return None
    return np.dtype(ml_dtypes.bfloat16)


@dataclass(frozen=True)
class DType:
    number: int  # onebit_dtype
    name: str  # as in the runtime's messages and numpy
    ort_type: str  # onnxruntime's NodeArg.type
    numpy: np.dtype  # what outputs are returned as


BFLOAT16_NUMBER = 16

_DTYPES = [
    DType(1, "float32", "tensor(float)", np.dtype(np.float32)),
    DType(2, "uint8", "tensor(uint8)", np.dtype(np.uint8)),
    DType(3, "int8", "tensor(int8)", np.dtype(np.int8)),
    DType(4, "uint16", "tensor(uint16)", np.dtype(np.uint16)),
    DType(5, "int16", "tensor(int16)", np.dtype(np.int16)),
    DType(6, "int32", "tensor(int32)", np.dtype(np.int32)),
    DType(7, "int64", "tensor(int64)", np.dtype(np.int64)),
    DType(9, "bool", "tensor(bool)", np.dtype(np.bool_)),
    DType(10, "float16", "tensor(float16)", np.dtype(np.float16)),
    DType(11, "float64", "tensor(double)", np.dtype(np.float64)),
    DType(12, "uint32", "tensor(uint32)", np.dtype(np.uint32)),
    DType(13, "uint64", "tensor(uint64)", np.dtype(np.uint64)),
    DType(BFLOAT16_NUMBER, "bfloat16", "tensor(bfloat16)",
          _bfloat16_dtype() or np.dtype(np.uint16)),
]

BY_NUMBER: Dict[int, DType] = {dtype.number: dtype for dtype in _DTYPES}


def accepts(dtype: DType, array_dtype: np.dtype) -> bool:
    """Whether an array of `array_dtype` may be fed where `dtype` is
    declared. Never a conversion: a float64 array is not a float32 input."""
    if dtype.number == BFLOAT16_NUMBER:
        # Any bfloat16 implementation (ml_dtypes or another with that name),
        # or raw bit patterns.
        return array_dtype.name == "bfloat16" or array_dtype == np.uint16
    return array_dtype == dtype.numpy
