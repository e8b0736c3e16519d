"""mx.np dtype names, constants and type queries (as MXNet 1.9.1: NumPy's own objects)."""
import math

import numpy as onp
import pytest

import mxnet as mx
from mxnet import np
from mxnet.base import MXNetError


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int8", "int32", "int64",
                                  "uint8", "bool_", "finfo", "promote_types", "min_scalar_type"])
def test_names_are_numpys_objects(name):
    assert getattr(np, name) is getattr(onp, name)


def test_bool_is_pythons():
    assert np.bool is bool


def test_constants():
    assert np.pi == math.pi and np.e == math.e
    assert np.inf == math.inf and np.PINF == math.inf and np.NINF == -math.inf
    assert all(math.isnan(v) for v in (np.nan, np.NAN, np.NaN))
    assert np.PZERO == 0.0 and math.copysign(1.0, np.PZERO) == 1.0
    assert np.NZERO == 0.0 and math.copysign(1.0, np.NZERO) == -1.0
    assert np.newaxis is None
    assert np.arange(3)[:, np.newaxis].shape == (3, 1)


def test_finfo_and_promotion():
    assert np.finfo(np.float32).eps == onp.finfo(onp.float32).eps
    assert np.finfo("float16").bits == 16
    assert np.promote_types("int32", "float16") == onp.float64
    assert np.min_scalar_type(10) == onp.uint8


@pytest.mark.parametrize("operands,expected", [
    (("float32", "int32"), "float64"),
    ((onp.ones(2, "int8"), "uint8"), "int16"),
    (("float16",), "float16"),
])
def test_result_type_of_dtypes_and_numpy_arrays(operands, expected):
    assert np.result_type(*operands) == onp.dtype(expected)


def test_result_type_reads_mx_arrays_dtype():
    a = np.ones(2, dtype="int32")
    b = np.ones(2, dtype="float16")
    assert np.result_type(a, b) == onp.result_type(onp.int32, onp.float16)
    assert np.result_type(np.ones(2), "float64") == onp.float64


def test_ndim_shape_size():
    a = np.ones((2, 3))
    assert np.ndim(a) == 2 and np.shape(a) == (2, 3) and np.size(a) == 6
    assert np.size(a, 1) == 3 and np.size(a, -2) == 2
    scalar = np.array(1.0)
    assert np.ndim(scalar) == 0 and np.shape(scalar) == () and np.size(scalar) == 1
    assert np.ndim([1, 2]) == 1 and np.shape([[1], [2]]) == (2, 1) and np.size(3) == 1
    assert np.size(np.zeros((0, 4))) == 0
    with pytest.raises(MXNetError, match="axis"):
        np.size(a, 2)


def test_set_printoptions_supports_precision_and_threshold_only():
    saved = onp.get_printoptions()
    try:
        np.set_printoptions(precision=2)
        with mx.cpu(0):  # repr names any other device
            assert repr(np.array([1.23456, 2])) == "array([1.23, 2.  ])"
        np.set_printoptions(threshold=5)
        assert str(np.arange(10)) == "[0. 1. 2. ... 7. 8. 9.]"
        with pytest.raises(NotImplementedError, match="precision and threshold"):
            np.set_printoptions(linewidth=40)
    finally:
        onp.set_printoptions(**saved)
