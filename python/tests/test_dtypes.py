"""The dtype table against onnxruntime's type strings and numpy."""

import numpy as np

from onebit.dtypes import BY_NUMBER, accepts


def test_onnx_numbers_and_ort_type_strings():
    assert {n: d.ort_type for n, d in BY_NUMBER.items()} == {
        1: "tensor(float)", 2: "tensor(uint8)", 3: "tensor(int8)",
        4: "tensor(uint16)", 5: "tensor(int16)", 6: "tensor(int32)",
        7: "tensor(int64)", 9: "tensor(bool)", 10: "tensor(float16)",
        11: "tensor(double)", 12: "tensor(uint32)", 13: "tensor(uint64)",
        16: "tensor(bfloat16)",
    }


def test_numbers_are_onnx_data_types():
    # ONNX's own table of TensorProto numbers to numpy dtypes.
    from onnx import helper
    for number, dtype in BY_NUMBER.items():
        if number != 16:  # numpy has no bfloat16 of its own
            assert helper.tensor_dtype_to_np_dtype(number) == dtype.numpy


def test_item_sizes_match_the_runtime():
    sizes = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8,
             12: 4, 13: 8, 16: 2}
    for number, size in sizes.items():
        assert BY_NUMBER[number].numpy.itemsize == size


def test_accepts_only_the_exact_dtype():
    float32 = BY_NUMBER[1]
    assert accepts(float32, np.dtype(np.float32))
    assert not accepts(float32, np.dtype(np.float64))
    assert not accepts(float32, np.dtype(np.int32))
    assert accepts(BY_NUMBER[9], np.dtype(np.bool_))
    assert not accepts(BY_NUMBER[9], np.dtype(np.uint8))


def test_bfloat16_takes_raw_bits():
    assert accepts(BY_NUMBER[16], np.dtype(np.uint16))
    assert not accepts(BY_NUMBER[16], np.dtype(np.float16))
