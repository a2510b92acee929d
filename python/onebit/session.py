"""An onnxruntime-style session over a compiled model.so."""

import ctypes
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from . import _capi
from .dtypes import BY_NUMBER, DType, accepts
from .errors import Fail, InvalidArgument, InvalidModel


class NodeArg:
    """An input or output of the model, as onnxruntime's NodeArg.

    ``shape`` is a list with an int for each static dimension and None for
    each dynamic one (a model.so does not keep ONNX's symbolic dimension
    names). ``type`` is onnxruntime's type string, e.g. "tensor(float)".
    """

    def __init__(self, name: str, dtype: DType, shape: List[Optional[int]]):
        self.name = name
        self.type = dtype.ort_type
        self.shape = shape
        self._dtype = dtype

    def __repr__(self) -> str:
        return (f"NodeArg(name={self.name!r}, type={self.type!r}, "
                f"shape={self.shape!r})")


def _node_arg(info: _capi.TensorInfo) -> NodeArg:
    dtype = BY_NUMBER.get(info.dtype)
    name = info.name.decode("utf-8", "replace")
    if dtype is None:
        # The runtime checks the signature's dtypes, so this means the
        # bindings and the runtime disagree.
        raise InvalidModel(f"tensor '{name}' has unknown dtype {info.dtype}")
    shape = [None if info.shape[d] < 0 else int(info.shape[d])
             for d in range(info.rank)]
    return NodeArg(name, dtype, shape)


def _names(args: Sequence[NodeArg]) -> str:
    return ", ".join(f"'{arg.name}'" for arg in args)


class InferenceSession:
    """Loads a model.so that onebit-compile wrote and runs it.

    >>> sess = onebit.InferenceSession("model.so")
    >>> [i.name for i in sess.get_inputs()]
    ['input_ids']
    >>> logits, = sess.run(None, {"input_ids": ids})

    ``run`` may be called from several threads at once; the model's code runs
    without holding the GIL.
    """

    def __init__(self, path: str):
        self._path = str(path)
        self._lib = _capi.load_model_library(self._path)
        status = self._lib.onebit_check_signature()
        if status:
            raise InvalidModel(
                f"'{self._path}': "
                f"{_capi.take_status_message(self._lib, status)}")
        self._inputs = [_node_arg(self._lib.onebit_input_info(i).contents)
                        for i in range(self._lib.onebit_num_inputs())]
        self._outputs = [_node_arg(self._lib.onebit_output_info(i).contents)
                         for i in range(self._lib.onebit_num_outputs())]
        self._output_index = {arg.name: i
                              for i, arg in enumerate(self._outputs)}

    @property
    def model_path(self) -> str:
        return self._path

    def get_inputs(self) -> List[NodeArg]:
        return list(self._inputs)

    def get_outputs(self) -> List[NodeArg]:
        return list(self._outputs)

    def run(self, output_names: Optional[Sequence[str]],
            input_feed: Mapping[str, Any]) -> List[np.ndarray]:
        """Runs the model on `input_feed` ({input name: array}) and returns
        the outputs named in `output_names` (all of them, in signature order,
        for None) as numpy arrays the caller owns (writable views of the
        run's buffers, freed when the last of them goes).

        Inputs are checked, never converted: an array of the wrong dtype is
        an error that says which dtype the model expects.
        """
        wanted = self._wanted_outputs(output_names)
        arrays = self._arrays_in_signature_order(input_feed)
        # `arrays` keeps every input's memory alive until the run is over.
        tensors = (_capi.Tensor * max(len(arrays), 1))()
        self._fill_tensors(tensors, arrays)

        outputs = ctypes.POINTER(_capi.Tensor)()
        status = self._lib.onebit_run(tensors, len(arrays),
                                      ctypes.byref(outputs))
        if status:
            message = _capi.take_status_message(self._lib, status)
            # Python checked the count, names, dtypes and ranks already, so
            # an input the runtime rejects has dimensions the model does not
            # take; anything else is the model's fault, not the caller's.
            if message.startswith("input '"):
                raise InvalidArgument(message)
            raise Fail(message)
        owner = _RunOutputs(self._lib, outputs)
        arrays, seen = [], set()
        for i in wanted:
            # An output asked for twice comes as two arrays, not two views
            # of one buffer.
            array = owner.array(outputs[i])
            arrays.append(array.copy() if i in seen else array)
            seen.add(i)
        return arrays

    def _wanted_outputs(self, output_names) -> List[int]:
        if output_names is None:
            return list(range(len(self._outputs)))
        if isinstance(output_names, str):
            raise InvalidArgument(
                "output_names must be a list of names or None, not a string")
        wanted = []
        for name in output_names:
            if name not in self._output_index:
                raise InvalidArgument(
                    f"unknown output '{name}' (the model's outputs are "
                    f"{_names(self._outputs)})")
            wanted.append(self._output_index[name])
        return wanted

    def _arrays_in_signature_order(
            self, input_feed: Mapping[str, Any]) -> List[np.ndarray]:
        declared = {arg.name for arg in self._inputs}
        for name in input_feed:
            if name not in declared:
                raise InvalidArgument(
                    f"unknown input '{name}' (the model's inputs are "
                    f"{_names(self._inputs)})")
        arrays = []
        for arg in self._inputs:
            if arg.name not in input_feed:
                raise InvalidArgument(
                    f"missing input '{arg.name}' (the model's inputs are "
                    f"{_names(self._inputs)})")
            arrays.append(self._checked_array(arg, input_feed[arg.name]))
        return arrays

    @staticmethod
    def _checked_array(arg: NodeArg, value: Any) -> np.ndarray:
        array = np.asarray(value)
        if not accepts(arg._dtype, array.dtype):
            raise InvalidArgument(
                f"input '{arg.name}': expected dtype {arg._dtype.name} "
                f"({arg.type}), got {array.dtype.name}; convert it with "
                f".astype() if that is what you mean")
        if array.ndim != len(arg.shape):
            raise InvalidArgument(
                f"input '{arg.name}': expected rank {len(arg.shape)}, got "
                f"{array.ndim}")
        # The runtime takes dense row-major data. (np.ascontiguousarray
        # would turn a 0-d array into a 1-d one.)
        return array if array.flags.c_contiguous else array.copy(order="C")

    def _fill_tensors(self, tensors, arrays: List[np.ndarray]) -> None:
        for tensor, arg, array in zip(tensors, self._inputs, arrays):
            tensor.data = array.ctypes.data if array.size else None
            tensor.dtype = arg._dtype.number
            tensor.rank = array.ndim
            for dim, size in enumerate(array.shape):
                tensor.shape[dim] = size


class _RunOutputs:
    """One run's output buffers, which the arrays run() returns view in
    place (a decoder's KV cache is tens of MB a step: copying it cost a
    memcpy and fresh pages every token). The buffers are freed together once
    no array views any of them, so an array kept alive keeps its run's other
    outputs too."""

    def __init__(self, lib: ctypes.CDLL, outputs):
        self._lib = lib
        self._outputs = outputs

    def __del__(self):
        self._lib.onebit_free_outputs(self._outputs)

    def array(self, tensor: _capi.Tensor) -> np.ndarray:
        dtype = BY_NUMBER[tensor.dtype].numpy
        shape = tuple(tensor.shape[d] for d in range(tensor.rank))
        size = math.prod(shape) * dtype.itemsize
        if not size or not tensor.data:
            return np.empty(shape, dtype=dtype)
        buffer = (ctypes.c_char * size).from_address(tensor.data)
        # The ctypes buffer is the array's base; it holds the owner.
        buffer._owner = self
        return np.frombuffer(buffer, dtype=dtype).reshape(shape)
