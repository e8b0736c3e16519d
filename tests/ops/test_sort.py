"""Sorting: topk, sort, argsort (stable order, MXNet's dtypes and shapes) and gradients."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

rng = np.random.default_rng(3)
X = rng.permutation(24).reshape(2, 3, 4).astype(np.float32) / 4  # distinct values
TIES = np.array([[3, 1, 2, 1], [0, 5, 5, -1]], np.float32)


def desc(a, axis=-1):
    """Stable descending order: ties keep increasing position."""
    return np.argsort(-a, axis=axis, kind="stable")


def first(a, k, axis=-1):
    return np.take(a, np.arange(k), axis=axis)


CASES = [
    Case("topk", [X], ref=lambda a: first(desc(a), 1).astype(np.float32), id="topk-default-k1"),
    Case("topk", [X], {"k": 2, "ret_typ": "value"},
         ref=lambda a, k, ret_typ: first(-np.sort(-a), 2), grad=True),
    Case("topk", [X], {"k": 2, "axis": 1, "ret_typ": "both", "dtype": "int32"},
         ref=lambda a, k, axis, ret_typ, dtype: (
             first(-np.sort(-a, axis=1), 2, 1), first(desc(a, 1), 2, 1).astype(np.int32)),
         grad=True),
    Case("topk", [X], {"k": 3, "is_ascend": True, "ret_typ": "indices", "dtype": "int64"},
         ref=lambda a, k, is_ascend, ret_typ, dtype: first(np.argsort(a, -1), 3)),
    Case("topk", [X], {"k": 3, "axis": None, "ret_typ": "value"},
         ref=lambda a, k, axis, ret_typ: -np.sort(-a.ravel())[:3], grad=True,
         id="topk-axis-none-flattens"),
    Case("topk", [TIES], {"k": 2, "ret_typ": "mask"},
         ref=lambda a, k, ret_typ: np.array([[1, 0, 1, 0], [0, 1, 1, 0]], np.float32)),
    Case("topk", [TIES.astype(np.int32)], {"k": 2, "ret_typ": "both"},
         ref=lambda a, k, ret_typ: (np.array([[3, 2], [5, 5]], np.int32),
                                    np.array([[0, 2], [1, 2]], np.float32)),
         id="topk-int-values-float-indices"),
    Case("topk", [TIES], {"k": 0, "ret_typ": "indices"},
         ref=lambda a, k, ret_typ: desc(a).astype(np.float32), id="topk-k0-keeps-all"),
    Case("topk", [np.array([2, 1, 2, 1, 2, 1], np.float32)], {"k": -1},
         ref=lambda a, k: np.array([0, 2, 4, 1, 3, 5], np.float32),
         id="topk-descending-ties-by-position"),
    Case("topk", [TIES], {"k": 2, "axis": None, "ret_typ": "mask"},
         ref=lambda a, k, axis, ret_typ: np.array([[0, 0, 0, 0], [0, 1, 1, 0]], np.float32),
         id="topk-mask-axis-none-keeps-shape"),
    Case("sort", [X], ref=lambda a: np.sort(a, -1), grad=True),
    Case("sort", [X], {"axis": 0, "is_ascend": False},
         ref=lambda a, axis, is_ascend: -np.sort(-a, axis=0), grad=True),
    Case("sort", [X], {"axis": None}, ref=lambda a, axis: np.sort(a.ravel()), grad=True),
    Case("sort", [TIES.astype(np.int32)], ref=lambda a: np.sort(a, -1)),
    Case("argsort", [TIES], ref=lambda a: np.argsort(a, -1, kind="stable").astype(np.float32)),
    Case("argsort", [TIES], {"is_ascend": False, "dtype": "int32"},
         ref=lambda a, is_ascend, dtype: desc(a).astype(np.int32)),
    Case("argsort", [TIES], {"axis": None, "dtype": "int64"},
         ref=lambda a, axis, dtype: np.argsort(a.ravel(), kind="stable")),
    Case("argsort", [np.arange(300, dtype=np.float32)], {"is_ascend": False, "dtype": "uint8"},
         ref=lambda a, is_ascend, dtype: np.arange(299, -1, -1).astype(np.uint8),
         id="argsort-uint8-positions-wrap"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_sort_case(case):
    run_case(case)


@pytest.mark.parametrize("kwargs", [{"ret_typ": "indices"}, {"ret_typ": "mask"}])
def test_topk_positions_have_zero_gradient(kwargs):
    x = mx.nd.array(X)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.topk(x, k=2, **kwargs)
    y.backward()
    assert (x.grad.asnumpy() == 0).all()


def test_topk_value_gradient_lands_on_the_picked_elements():
    x = mx.nd.array(TIES)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.topk(x, k=2, ret_typ="value")
    y.backward(mx.nd.array([[1, 2], [3, 4]]))
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 0, 2, 0], [0, 3, 4, 0]])


def test_gather_and_scatter_along_axis_are_each_others_gradient():
    idx = np.argsort(X, axis=1)[:, :2]
    run_case(Case("_internal._gather_along_axis", [X, idx.astype(np.float32)], {"axis": 1},
                  ref=lambda a, i, axis: np.take_along_axis(a, i.astype(int), 1)))
    x = mx.nd.array(X[:, :2])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd._internal._scatter_along_axis(x, mx.nd.array(idx), axis=1, size=3)
    assert y.shape == (2, 3, 4)
    y.backward(mx.nd.array(np.arange(24).reshape(2, 3, 4)))
    np.testing.assert_array_equal(x.grad.asnumpy(),
                                  np.take_along_axis(np.arange(24).reshape(2, 3, 4), idx, 1))


def test_fluent_sorting():
    x = mx.nd.array(X)
    np.testing.assert_array_equal(x.sort().asnumpy(), np.sort(X, -1))
    assert x.topk(k=2).shape == (2, 3, 2)
    assert x.argsort(axis=0).dtype == np.float32


@pytest.mark.parametrize("call", [
    lambda x: mx.nd.topk(x, k=5),
    lambda x: mx.nd.topk(x, axis=3),
    lambda x: mx.nd.topk(x, ret_typ="values"),
    lambda x: mx.nd.topk(x, dtype="int8"),
    lambda x: mx.nd.sort(x, axis=-4),
    lambda x: mx.nd.argsort(x, axis=3),
    lambda x: mx.nd.argsort(x, dtype="bool"),
], ids=["topk-k-too-big", "topk-bad-axis", "topk-bad-ret_typ", "topk-bad-dtype",
        "sort-bad-axis", "argsort-bad-axis", "argsort-bad-dtype"])
def test_bad_sort_arguments_raise(call):
    with pytest.raises(MXNetError):
        call(mx.nd.array(X)).wait_to_read()
