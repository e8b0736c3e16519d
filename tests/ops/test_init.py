"""Creation and copy operators: values, dtypes, MXNet's conversions and argument checks."""
import numpy as np
import pytest

import mxnet as mx

from .harness import Case, run_case

I = "_internal."
A = np.array([[1.5, -2.0], [0.0, 3.25]], np.float32)

CASES = [
    Case(I + "_zeros", [], {"shape": (2, 3), "dtype": "int64"},
         ref=lambda **kw: np.zeros((2, 3), np.int64)),
    Case(I + "_ones", [], {"shape": (2,), "dtype": "bool"}, ref=lambda **kw: np.ones(2, bool)),
    Case(I + "_ones", [], {"shape": (2, 0)}, ref=lambda **kw: np.ones((2, 0), np.float32),
         id="zero-size-allowed"),
    Case(I + "_full", [], {"shape": (2,), "value": 3.7, "dtype": "int32"},
         ref=lambda **kw: np.array([3, 3], np.int32), id="full-int-truncates"),
    Case(I + "_full", [], {"shape": (2,), "value": -3.7, "dtype": "uint8"},
         ref=lambda **kw: np.array([253, 253], np.uint8), id="full-uint8-wraps"),
    Case(I + "_full", [], {"shape": (1,), "value": 300, "dtype": "int8"},
         ref=lambda **kw: np.array([44], np.int8), id="full-int8-wraps"),
    Case(I + "_full", [], {"shape": (2,), "value": 0.5, "dtype": "bool"},
         ref=lambda **kw: np.array([True, True]), id="full-bool-nonzero"),
    Case(I + "_full", [], {"shape": (1, 2), "value": 2.5, "dtype": "float16"},
         ref=lambda **kw: np.full((1, 2), 2.5, np.float16)),
    Case(I + "_arange", [], {"start": 3}, ref=lambda **kw: np.arange(3, dtype=np.float32),
         id="arange-stop-only"),
    Case(I + "_arange", [], {"start": 5, "stop": 0, "step": -1.5},
         ref=lambda **kw: np.array([5, 3.5, 2, 0.5], np.float32), id="arange-negative-step"),
    Case(I + "_arange", [], {"start": 0, "stop": 5, "step": 2, "repeat": 2},
         ref=lambda **kw: np.array([0, 0, 2, 2, 4, 4], np.float32), id="arange-repeat"),
    Case(I + "_arange", [], {"start": -2.5, "stop": 5, "step": 2.5, "dtype": "int32"},
         ref=lambda **kw: np.array([-2, 0, 2], np.int32), id="arange-int-truncates-start-step"),
    Case(I + "_arange", [], {"start": -3.5, "stop": 2, "dtype": "uint8"},
         ref=lambda **kw: np.array([253, 254, 255, 0, 1, 2], np.uint8), id="arange-uint8-wraps"),
    Case(I + "_arange", [], {"start": 2, "stop": 10, "step": 2, "infer_range": True},
         ref=lambda **kw: np.array([2, 4, 6, 8], np.float32), id="arange-infer-range-with-stop"),
    Case(I + "_linspace", [], {"start": 0, "stop": 1, "num": 5},
         ref=lambda **kw: np.linspace(0, 1, 5).astype(np.float32)),
    Case(I + "_linspace", [], {"start": 0, "stop": 1, "num": 5, "endpoint": False},
         ref=lambda **kw: np.array([0, 0.2, 0.4, 0.6, 0.8], np.float32)),
    Case(I + "_linspace", [], {"start": 0, "stop": 10, "num": 4, "dtype": "int32"},
         ref=lambda **kw: np.array([0, 3, 6, 10], np.int32), id="linspace-int-truncates"),
    Case(I + "_linspace", [], {"start": 1, "stop": 0, "num": 0},
         ref=lambda **kw: np.zeros(0, np.float32), id="linspace-empty"),
    Case(I + "_eye", [], {"N": 3, "M": 2, "k": 1, "dtype": "int64"},
         ref=lambda **kw: np.eye(3, 2, 1, dtype=np.int64)),
    Case(I + "_eye", [], {"N": 3, "k": -1}, ref=lambda **kw: np.eye(3, k=-1, dtype=np.float32)),
    Case(I + "_zeros_without_dtype", [], {"shape": (2,), "dtype": 6},
         ref=lambda **kw: np.zeros(2, np.int64), id="zeros-type-code-int64"),
    Case(I + "_zeros_without_dtype", [], {"shape": (2,), "dtype": 2},
         ref=lambda **kw: np.zeros(2, np.float16), id="zeros-type-code-float16"),
    Case("zeros_like", [A.astype(np.int32)], ref=np.zeros_like),
    Case("ones_like", [A], ref=np.ones_like),
    Case("Cast", [A], {"dtype": "uint8"}, ref=lambda a, dtype: a.astype(np.uint8)),
    Case("Cast", [A], {"dtype": "float64"}, ref=lambda a, dtype: a.astype(np.float64),
         grad=True),
    Case(I + "_copyto", [A], ref=lambda a: a, grad=True),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    run_case(case)


def test_zeros_without_dtype_defaults_to_float32_alone():
    assert mx.nd._internal._zeros_without_dtype(shape=(2,)).dtype == np.float32


def test_creation_functions_of_nd():
    assert mx.nd.arange(0, 5, 2, repeat=2).shape == (6,)
    np.testing.assert_array_equal(mx.nd.full((2,), 3.7, dtype="int32").asnumpy(), [3, 3])
    assert mx.nd.eye(2, dtype="int32").dtype == np.int32


ERRORS = [
    ("empty shape", lambda: mx.nd._internal._zeros(shape=())),
    ("no shape for full", lambda: mx.nd._internal._full(value=1)),
    ("negative size", lambda: mx.nd._internal._ones(shape=(2, -1))),
    ("arange step 0", lambda: mx.nd._internal._arange(start=0, stop=5, step=0)),
    ("arange wrong direction", lambda: mx.nd._internal._arange(start=0, stop=5, step=-1)),
    ("arange empty", lambda: mx.nd._internal._arange(start=5, stop=5)),
    ("arange repeat 0", lambda: mx.nd._internal._arange(start=0, stop=5, repeat=0)),
    ("arange infer_range without stop",
     lambda: mx.nd._internal._arange(start=2, infer_range=True)),
    ("linspace negative num", lambda: mx.nd._internal._linspace(start=0, stop=1, num=-1)),
    ("linspace needs num", lambda: mx.nd._internal._linspace(start=0, stop=1)),
    ("eye negative N", lambda: mx.nd._internal._eye(N=-1)),
    ("eye bool", lambda: mx.nd._internal._eye(N=2, dtype="bool")),
    ("zeros unknown type code", lambda: mx.nd._internal._zeros_without_dtype(shape=(2,),
                                                                             dtype=20)),
    ("unknown dtype", lambda: mx.nd._internal._zeros(shape=(2,), dtype="complex64")),
]


@pytest.mark.parametrize("name,call", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_arguments_raise_mxnet_error(name, call):
    with pytest.raises(mx.MXNetError):
        call().wait_to_read()
