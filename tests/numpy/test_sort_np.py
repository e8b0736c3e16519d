"""mx.np sorting, searching and set functions against NumPy."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd
from mxnet import numpy as np
from mxnet.base import MXNetError


def _arr(x, dtype=None):
    x = onp.asarray(x)
    return mx.nd.array(x, dtype=dtype or x.dtype).as_np_ndarray()


def _outputs(res):
    return list(res) if isinstance(res, (tuple, list)) else [res]


M = onp.array([[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, 4.0, 0.0], [2.0, 2.0, -1.0, 7.0]], "float32")
V = onp.array([5, 3, 3, 9, 0, 3, 1], "int32")

CASES = [
    ("sort", lambda a: np.sort(a), lambda a: onp.sort(a), [M]),
    ("sort axis 0", lambda a: np.sort(a, axis=0), lambda a: onp.sort(a, axis=0), [M]),
    ("sort None", lambda a: np.sort(a, axis=None), lambda a: onp.sort(a, axis=None), [M]),
    ("sort int", np.sort, onp.sort, [V]),
    ("sort empty", np.sort, onp.sort, [onp.zeros((2, 0), "float32")]),
    ("argsort", np.argsort, lambda a: onp.argsort(a, kind="stable"), [M]),
    ("argsort None", lambda a: np.argsort(a, axis=None),
     lambda a: onp.argsort(a, axis=None, kind="stable"), [M]),
    ("argsort int", np.argsort, lambda a: onp.argsort(a, kind="stable"), [V]),
    ("msort", np.msort, lambda a: onp.sort(a, axis=0), [M]),
    ("unique", np.unique, onp.unique, [V]),
    ("unique flags", lambda a: np.unique(a, True, True, True),
     lambda a: tuple(r.reshape(-1) for r in onp.unique(a, True, True, True)), [M]),
    ("unique counts", lambda a: np.unique(a, return_counts=True),
     lambda a: onp.unique(a, return_counts=True), [V]),
    ("unique axis", lambda a: np.unique(a, axis=0), lambda a: onp.unique(a, axis=0),
     [onp.array([[1, 2], [1, 2], [0, 1]], "float32")]),
    ("nonzero", np.nonzero, onp.nonzero, [M]),
    ("nonzero 1-d", np.nonzero, onp.nonzero, [V]),
    ("argwhere", np.argwhere, onp.argwhere, [M]),
    ("flatnonzero", np.flatnonzero, onp.flatnonzero, [M]),
    ("count_nonzero", np.count_nonzero, onp.count_nonzero, [M]),
    ("count_nonzero axis", lambda a: np.count_nonzero(a, axis=1),
     lambda a: onp.count_nonzero(a, axis=1), [M]),
    ("lexsort", lambda a, b: np.lexsort((a, b)), lambda a, b: onp.lexsort((a, b)),
     [onp.array([1.0, 2.0, 1.0, 0.0]), onp.array([0.0, 0.0, 1.0, 1.0])]),
    ("partition", lambda a: np.partition(a, 2), lambda a: onp.partition(a, 2), [M]),
    ("argpartition", lambda a: np.argpartition(a, 1, axis=0),
     lambda a: onp.argpartition(a, 1, axis=0), [M]),
    ("searchsorted", np.searchsorted, onp.searchsorted,
     [onp.array([1.0, 2.0, 3.0]), onp.array([2.5, 2.0, 0.0, 9.0])]),
    ("searchsorted right", lambda a, v: np.searchsorted(a, v, side="right"),
     lambda a, v: onp.searchsorted(a, v, side="right"),
     [onp.array([1.0, 2.0, 3.0]), onp.array([2.5, 2.0])]),
    ("in1d", np.in1d, lambda a, b: onp.isin(a.ravel(), b), [M, onp.array([2.0, 5.0])]),
    ("in1d invert", lambda a, b: np.in1d(a, b, invert=True),
     lambda a, b: onp.isin(a.ravel(), b, invert=True), [M, onp.array([2.0, 5.0])]),
    ("isin", np.isin, onp.isin, [M, onp.array([2.0, 5.0])]),
    ("intersect1d", np.intersect1d, onp.intersect1d, [V, onp.array([3, 4, 5], "int32")]),
    ("intersect1d indices", lambda a, b: np.intersect1d(a, b, return_indices=True),
     lambda a, b: onp.intersect1d(a, b, return_indices=True),
     [V, onp.array([3, 4, 5], "int32")]),
    ("union1d", np.union1d, onp.union1d, [M, onp.array([9.0, -3.0], "float32")]),
    ("setdiff1d", np.setdiff1d, onp.setdiff1d, [V, onp.array([3, 4], "int32")]),
    ("setxor1d", np.setxor1d, onp.setxor1d, [V, onp.array([3, 4], "int32")]),
    ("digitize", np.digitize, lambda x, b: onp.digitize(x, b).astype("int64"),
     [onp.array([0.5, 1.5, 2.5, 1.0]), onp.array([1.0, 2.0])]),
    ("digitize right", lambda x, b: np.digitize(x, b, right=True),
     lambda x, b: onp.digitize(x, b, right=True).astype("int64"),
     [onp.array([0.5, 1.5, 2.5, 1.0]), onp.array([1.0, 2.0])]),
]

_INT_RESULTS = ("argsort", "argwhere", "flatnonzero", "nonzero", "count_nonzero", "lexsort",
                "argpartition", "searchsorted", "digitize")


@pytest.mark.parametrize("name,fn,ref,values", CASES, ids=[c[0] for c in CASES])
def test_against_numpy(name, fn, ref, values):
    got = _outputs(fn(*[_arr(v) for v in values]))
    expected = _outputs(ref(*values))
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        e = onp.asarray(e)
        assert isinstance(g, np.ndarray)
        assert g.shape == e.shape
        if name.startswith(_INT_RESULTS) or (name.startswith("unique") and i > 0):
            assert g.dtype == onp.int64
        elif name.startswith(("in1d", "isin")):
            assert g.dtype == onp.bool_
        else:
            assert g.dtype == e.dtype
        onp.testing.assert_array_equal(g.asnumpy(), e)


def test_sort_descending_op():
    x = mx.nd.array(M)
    got = mx.nd._internal._npi_sort(x, axis=1, is_ascend=False)
    onp.testing.assert_array_equal(got.asnumpy(), -onp.sort(-M, axis=1))
    idx = mx.nd._internal._npi_argsort(x, axis=0, is_ascend=False, dtype="int32")
    assert idx.dtype == onp.int32
    onp.testing.assert_array_equal(onp.take_along_axis(M, idx.asnumpy(), 0),
                                   -onp.sort(-M, axis=0))


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_sort_gradient(axis):
    x = _arr(M.astype("float64"))
    x.attach_grad()
    head = onp.arange(M.size, dtype="float64").reshape(M.shape if axis is not None else -1)
    with autograd.record():
        y = np.sort(x, axis=axis)
    y.backward(_arr(head))
    order = onp.argsort(M if axis is not None else M.ravel(), axis=-1 if axis is None else axis,
                        kind="stable")
    expected = onp.zeros(head.shape)
    onp.put_along_axis(expected, order, head, axis=-1 if axis is None else axis)
    onp.testing.assert_array_equal(x.grad.asnumpy(), expected.reshape(M.shape))


def test_unique_gradient_is_zero():
    x = _arr(onp.array([3.0, 1.0, 3.0]))
    x.attach_grad()
    with autograd.record():
        y = np.unique(x)
    y.backward()
    onp.testing.assert_array_equal(x.grad.asnumpy(), onp.zeros(3))


def test_symbol_sort():
    y = np.sort(mx.sym.var("a"), axis=0)
    ex = y.bind(mx.context.current_context(), {"a": mx.nd.array(M)})
    onp.testing.assert_array_equal(ex.forward()[0].asnumpy(), onp.sort(M, axis=0))


BAD = [
    ("sort axis", lambda: np.sort(_arr(M), axis=2)),
    ("sort order", lambda: np.sort(_arr(M), order="x")),
    ("sort kind", lambda: np.sort(_arr(M), kind="fancy")),
    ("argsort list", lambda: np.argsort([3, 1])),
    ("unique axis", lambda: np.unique(_arr(M), axis=3)),
    ("searchsorted side", lambda: np.searchsorted(_arr(V), _arr(V), side="middle")),
    ("partition kth", lambda: np.partition(_arr(V), 10)),
    ("lexsort list", lambda: np.lexsort([[1, 2]])),
    ("union1d lists", lambda: np.union1d([1], [2])),
]


@pytest.mark.parametrize("name,call", BAD, ids=[b[0] for b in BAD])
def test_errors(name, call):
    with pytest.raises(MXNetError):
        for out in _outputs(call()):
            out.asnumpy()


def test_graphs_store_the_legacy_sort_names():
    """MXNet 1.9.1's _npi_sort/_npi_argsort are other names of sort/argsort."""
    a = mx.sym.var("a")
    assert '"op": "sort"' in np.sort(a).tojson()
    assert '"op": "argsort"' in np.argsort(a).tojson()
