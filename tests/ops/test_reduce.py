"""Reductions: sum/mean/prod/max/min and nan-variants, norm, moments, arg-reductions,
cumsum, multi_sum_sq and allclose, checked against NumPy and MXNet 1.9.1 behaviour."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

rng = np.random.default_rng(7)
X = rng.uniform(0.5, 2.0, (2, 3, 4)).astype(np.float32)
S = rng.normal(size=(3, 4)).astype(np.float32)
I32 = np.array([[1, 2, 3], [4, 5, 7]], np.int32)
TIES = np.array([[3, 3, 1], [0, 2, 2]], np.float32)


def full(a):
    return np.asarray(a).reshape(1)


CASES = [
    Case("sum", [X], {"axis": (0, 2)}, ref=lambda a, axis: a.sum(axis=axis), grad=True),
    Case("sum", [X], {"axis": -1, "keepdims": True},
         ref=lambda a, axis, keepdims: a.sum(axis=-1, keepdims=True), grad=True),
    Case("sum", [X], {"axis": (1,), "exclude": True},
         ref=lambda a, axis, exclude: a.sum(axis=(0, 2)), grad=True, id="sum-exclude-axis"),
    Case("sum", [X], {"axis": (), "exclude": True},
         ref=lambda a, axis, exclude: full(a.sum()), id="sum-empty-axis-exclude-reduces-all"),
    Case("sum", [X], {"axis": (), "keepdims": True},
         ref=lambda a, axis, keepdims: a.sum(keepdims=True), id="sum-empty-axis-keepdims"),
    Case("sum_axis", [X], {"axis": 1}, ref=lambda a, axis: a.sum(axis=1)),
    Case("sum", [np.array([100, 100], np.int8)], ref=lambda a: np.array([-56], np.int8),
         id="sum-int8-wraps"),
    Case("sum", [np.array([1, 0, 1], np.bool_)], ref=lambda a: np.array([True]),
         id="sum-bool-is-bool"),
    Case("mean", [X], {"axis": 1}, ref=lambda a, axis: a.mean(axis=1), grad=True),
    Case("mean", [I32], ref=lambda a: np.array([3], np.int32), id="mean-int-truncates"),
    Case("mean", [np.array([-1, -2], np.int32)], ref=lambda a: np.array([-1], np.int32),
         id="mean-int-truncates-toward-zero"),
    Case("mean", [np.array([100, 100, 100], np.int8)], ref=lambda a: np.array([14], np.int8),
         id="mean-int8-of-wrapped-sum"),
    Case("mean", [X.astype(np.float16)], {"axis": 2},
         ref=lambda a, axis: a.astype(np.float32).mean(axis=2).astype(np.float16), rtol=1e-3),
    Case("prod", [X], {"axis": 1}, ref=lambda a, axis: a.prod(axis=1), grad=True),
    Case("prod", [I32], {"axis": 0}, ref=lambda a, axis: a.prod(axis=0, dtype=np.int32)),
    Case("nansum", [np.array([[np.nan, 1.0], [2.0, 3.0]], np.float32)], {"axis": 1},
         ref=lambda a, axis: np.nansum(a, axis=1)),
    Case("nansum", [X], {"axis": 0}, ref=lambda a, axis: a.sum(axis=0), grad=True,
         id="nansum-grad"),
    Case("nanprod", [np.array([[np.nan, 2.0], [2.0, 3.0]], np.float32)],
         ref=lambda a: full(np.nanprod(a))),
    Case("nanprod", [X], {"axis": 2}, ref=lambda a, axis: a.prod(axis=2), grad=True,
         id="nanprod-grad"),
    Case("max", [X], {"axis": (0, 1)}, ref=lambda a, axis: a.max(axis=axis), grad=True),
    Case("max_axis", [I32], {"axis": 0}, ref=lambda a, axis: a.max(axis=0)),
    Case("min", [X], {"axis": 2}, ref=lambda a, axis: a.min(axis=2), grad=True),
    Case("min_axis", [X], ref=lambda a: full(a.min())),
    Case("norm", [S], ref=lambda a: full(np.linalg.norm(a)), grad=True),
    Case("norm", [S], {"ord": 1, "axis": 1}, ref=lambda a, ord, axis: np.abs(a).sum(axis=1),
         grad=True),
    Case("norm", [X], {"axis": (0, 2), "keepdims": True},
         ref=lambda a, axis, keepdims: np.sqrt((a * a).sum(axis=(0, 2), keepdims=True)),
         grad=True),
    Case("norm", [X], {"axis": -1, "out_dtype": "float64"},
         ref=lambda a, axis, out_dtype: np.sqrt((a.astype(np.float64) ** 2).sum(-1)), rtol=1e-6),
    Case("norm", [np.array([[3, -3], [1, 0]], np.int32)], {"axis": 1},
         ref=lambda a, axis: np.array([4, 1], np.int32),
         id="norm-int-counts-only-the-largest-magnitudes"),
    Case("norm", [I32], {"ord": 1}, ref=lambda a, ord: np.array([22], np.int32)),
    Case("moments", [X], {"axes": (0, 2)},
         ref=lambda a, axes: (a.mean(axis=axes), a.var(axis=axes)), grad=True),
    Case("moments", [X], {"axes": 1, "keepdims": True},
         ref=lambda a, axes, keepdims: (a.mean(1, keepdims=True), a.var(1, keepdims=True)),
         grad=True),
    Case("moments", [np.array([1, 2, 4], np.int32)], {"axes": 0},
         ref=lambda a, axes: (np.array([2], np.int32), np.array([1], np.int32)),
         id="moments-int-truncates"),
    Case("argmax", [X], {"axis": 1}, ref=lambda a, axis: a.argmax(axis=1).astype(np.float32)),
    Case("argmax", [X], ref=lambda a: full(a.argmax()).astype(np.float32),
         id="argmax-flat-index"),
    Case("argmax", [TIES], {"axis": -1, "keepdims": True},
         ref=lambda a, axis, keepdims: np.array([[0], [1]], np.float32), id="argmax-first-tie"),
    Case("argmax", [I32], {"axis": 0}, ref=lambda a, axis: a.argmax(axis=0).astype(np.int32),
         id="argmax-int-gives-int"),
    Case("argmin", [X.astype(np.float64)], {"axis": 2},
         ref=lambda a, axis: a.argmin(axis=2).astype(np.float64)),
    Case("argmax", [np.array([np.nan, 1, 2], np.float32)], ref=lambda a: np.array([0], np.float32),
         id="argmax-nan-wins"),
    Case("argmax_channel", [X], ref=lambda a: a.argmax(axis=1).astype(np.float32)),
    Case("_internal._square_sum", [S], {"axis": 1}, ref=lambda a, axis: (a * a).sum(axis=1),
         grad=True),
    Case("cumsum", [S], {"axis": 1}, ref=lambda a, axis: np.cumsum(a, axis=1), grad=True),
    Case("cumsum", [S], ref=lambda a: np.cumsum(a), grad=True, id="cumsum-flattens"),
    Case("cumsum", [I32], {"axis": 0, "dtype": "float32"},
         ref=lambda a, axis, dtype: np.cumsum(a, axis=0).astype(np.float32)),
    Case("cumsum", [np.array([100, 100], np.int8)], ref=lambda a: np.array([100, -56], np.int8),
         id="cumsum-int8-stays-int8"),
    Case("cumsum", [np.array([1, 0, 1], np.bool_)], ref=lambda a: np.array([1, 1, 2], np.int64),
         id="cumsum-bool-gives-int64"),
    Case("multi_sum_sq", [S, X.astype(np.float32)],
         ref=lambda a, b: np.array([(a * a).sum(), (b * b).sum()], np.float32), rtol=1e-5),
    Case("multi_sum_sq", [S.astype(np.float16)],
         ref=lambda a: np.array([(a.astype(np.float32) ** 2).sum()], np.float32), rtol=1e-5,
         id="multi_sum_sq-float16-gives-float32"),
    Case("contrib.allclose", [S, S * np.float32(1 + 1e-6)], ref=lambda a, b: np.array(1, np.uint8)),
    Case("contrib.allclose", [S, S + 1e-2], ref=lambda a, b: np.array(0, np.uint8)),
    Case("contrib.allclose", [np.array([1.0], np.float32), np.array([3.0], np.float32)],
         {"rtol": 1.0}, ref=lambda a, b, rtol: np.array(1, np.uint8),
         id="allclose-tolerance-relative-to-b"),
    Case("contrib.allclose", [np.array([np.nan], np.float32)] * 2, {"equal_nan": False},
         ref=lambda a, b, equal_nan: np.array(0, np.uint8)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_reduce_case(case):
    run_case(case)


def test_max_gradient_goes_to_every_tied_element():
    x = mx.nd.array(TIES)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.max(x, axis=1)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 1, 0], [0, 1, 1]])


def test_norm_gradient_of_zero_row_is_nan_like_mxnet():
    x = mx.nd.array([[3.0, 4.0], [0.0, 0.0]])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.norm(x, axis=1)
    y.backward()
    g = x.grad.asnumpy()
    np.testing.assert_allclose(g[0], [0.6, 0.8], rtol=1e-6)
    assert np.isnan(g[1]).all()


def test_nanprod_gradient_skips_nan_inputs():
    x = mx.nd.array([[1.0, np.nan, 3.0], [2.0, 4.0, 5.0]])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.nanprod(x, axis=1)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[3, 0, 1], [20, 10, 8]])


def test_argmax_has_zero_gradient():
    x = mx.nd.array(S)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.argmax(x, axis=1)
    y.backward()
    assert (x.grad.asnumpy() == 0).all()


def test_fluent_reductions():
    x = mx.nd.array(X)
    np.testing.assert_allclose(x.sum(axis=1).asnumpy(), X.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(x.norm().asnumpy(), [np.linalg.norm(X)], rtol=1e-6)
    assert x.argmax(axis=2).shape == (2, 3)


@pytest.mark.parametrize("call", [
    lambda x: mx.nd.sum(x, axis=3),
    lambda x: mx.nd.sum(x, axis=-4),
    lambda x: mx.nd.sum(x, axis=(0, 0)),
    lambda x: mx.nd.mean(x, axis=(1, -2)),
    lambda x: mx.nd.max(x, axis=(2, 3), exclude=True),
    lambda x: mx.nd.norm(x, ord=3),
    lambda x: mx.nd.norm(x, axis=5),
    lambda x: mx.nd.moments(x),
    lambda x: mx.nd.moments(x, axes=(0, 0)),
    lambda x: mx.nd.argmax(x, axis=3),
    lambda x: mx.nd.argmin(x, axis=-4),
    lambda x: mx.nd.argmax_channel(x.reshape((-1,))),
    lambda x: mx.nd.cumsum(x, axis=3),
    lambda x: mx.nd.cumsum(x, dtype="uint16"),
    lambda x: mx.nd.multi_sum_sq(x, x.astype("float64"), num_arrays=2),
    lambda x: mx.nd.multi_sum_sq(x.astype("int32"), num_arrays=1),
    lambda x: mx.nd.multi_sum_sq(x, num_arrays=2),
    lambda x: mx.nd.contrib.allclose(x, x.reshape((-1,))),
    lambda x: mx.nd.contrib.allclose(x, x.astype("float64")),
    lambda x: mx.nd.argmax(x.astype("bool")),
    lambda x: mx.nd.max(mx.nd.array(np.zeros((2, 0), np.float32)), axis=1),
], ids=["sum-axis-too-big", "sum-axis-too-negative", "sum-duplicate-axis",
        "mean-duplicate-negative-axis", "max-exclude-bad-axis", "norm-ord-3", "norm-bad-axis",
        "moments-no-axes", "moments-duplicate-axes", "argmax-bad-axis", "argmin-bad-axis",
        "argmax_channel-1d", "cumsum-bad-axis", "cumsum-bad-dtype", "multi_sum_sq-mixed-dtypes",
        "multi_sum_sq-int", "multi_sum_sq-wrong-count", "allclose-shapes", "allclose-dtypes",
        "argmax-bool", "max-of-nothing"])
def test_bad_reduction_arguments_raise(call):
    with pytest.raises(MXNetError):
        call(mx.nd.array(X)).wait_to_read()
