"""ctypes bindings of include/onebit/Runtime/onebit_runtime.h, the C API that
every model.so exports. Keep the structures in step with that header."""

import ctypes
import os

from .errors import InvalidModel, NoSuchFile

MAX_RANK = 8  # ONEBIT_MAX_RANK


class TensorInfo(ctypes.Structure):
    """onebit_tensor_info"""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("dtype", ctypes.c_int),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
    ]


class Tensor(ctypes.Structure):
    """onebit_tensor"""

    _fields_ = [
        ("data", ctypes.c_void_p),
        ("dtype", ctypes.c_int),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.c_int64 * MAX_RANK),
    ]


_Status = ctypes.c_void_p  # onebit_status: NULL is success

# name -> (restype, argtypes); onebit_run first, as the symbol that makes a
# shared library an onebit model.
_FUNCTIONS = {
    "onebit_run": (_Status, [ctypes.POINTER(Tensor), ctypes.c_int32,
                             ctypes.POINTER(ctypes.POINTER(Tensor))]),
    "onebit_status_message": (ctypes.c_char_p, [_Status]),
    "onebit_status_free": (None, [_Status]),
    "onebit_check_signature": (_Status, []),
    "onebit_num_inputs": (ctypes.c_int32, []),
    "onebit_num_outputs": (ctypes.c_int32, []),
    "onebit_input_info": (ctypes.POINTER(TensorInfo), [ctypes.c_int32]),
    "onebit_output_info": (ctypes.POINTER(TensorInfo), [ctypes.c_int32]),
    "onebit_free_outputs": (None, [ctypes.POINTER(Tensor)]),
    "onebit_num_threads": (ctypes.c_int32, []),
}


def load_model_library(path: str) -> ctypes.CDLL:
    """Loads a model.so and declares its C API, or says why it cannot."""
    if not os.path.exists(path):
        raise NoSuchFile(f"model file '{path}' does not exist")
    # An absolute path, so dlopen never searches the library path for it.
    absolute = os.path.abspath(path)
    # RTLD_LOCAL: every model.so exports the same names; they must not
    # become visible to (or shadow those of) other loaded models.
    try:
        library = ctypes.CDLL(absolute, mode=os.RTLD_LOCAL)
    except OSError as error:
        raise InvalidModel(
            f"'{path}' is not an onebit model: cannot load it as a shared "
            f"library ({error})") from None
    for name, (restype, argtypes) in _FUNCTIONS.items():
        try:
            function = getattr(library, name)
        except AttributeError:
            raise InvalidModel(
                f"'{path}' is not an onebit model: it has no '{name}' symbol"
            ) from None
        function.restype = restype
        function.argtypes = argtypes
    return library


def take_status_message(library: ctypes.CDLL, status: int) -> str:
    """The message of a non-NULL status, which it frees."""
    try:
        return library.onebit_status_message(status).decode("utf-8",
                                                             "replace")
    finally:
        library.onebit_status_free(status)
