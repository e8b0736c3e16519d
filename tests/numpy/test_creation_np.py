"""mx.np creation functions against NumPy: values, dtypes (float32 defaults),
shapes (0-d and zero-size), ctx, gradients and errors."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd, np
from mxnet.base import MXNetError


def check(res, expected, dtype=None, rtol=1e-6):
    """``res`` is an mx.np array equal to ``expected`` with dtype ``dtype`` (default:
    the dtype of an expected NumPy array, float32 for a Python list)."""
    assert isinstance(res, np.ndarray)
    if not isinstance(expected, onp.ndarray):
        expected = onp.asarray(expected, dtype=dtype or "float32")
    assert res.shape == expected.shape
    assert res.dtype == onp.dtype(dtype or expected.dtype)
    onp.testing.assert_allclose(res.asnumpy(), expected.astype(res.dtype), rtol=rtol)


# -- array -------------------------------------------------------------------------------------
@pytest.mark.parametrize("obj, dtype, expected", [
    ([1, 2], None, "float32"),              # Python lists become float32, ints too
    ([True, False], None, "float32"),       # ... and bools
    ([[1, 2], [3, 4]], "int32", "int32"),
    (3, None, "float32"),
    (3.5, None, "float32"),
    (onp.array([1, 2]), None, "int64"),     # NumPy arrays keep their dtype
    (onp.array([1, 2], dtype=onp.int8), None, "int8"),
    (onp.array([True]), None, "bool"),
    (onp.float64(3.0), None, "float64"),    # and so do NumPy scalars
    ([1.5, 0], bool, "bool"),
    ((1, 2), "float16", "float16"),
    ([], None, "float32"),
])
def test_array_dtype(obj, dtype, expected):
    res = np.array(obj, dtype=dtype)
    check(res, onp.array(obj, dtype=expected))


def test_array_copies_its_source():
    src = onp.array([1.0, 2.0], dtype=onp.float32)
    a = np.array(src)
    src[0] = 7
    b = np.array(a)
    b[0] = 5  # writing the copy leaves the original alone
    assert a.asnumpy().tolist() == [1.0, 2.0]
    assert np.array(a, dtype="int32").dtype == onp.int32
    check(np.array([a, a]), [[1.0, 2.0], [1.0, 2.0]], "float32")


def test_array_refuses_legacy_ndarray_and_bad_dtype():
    with pytest.raises(ValueError):
        np.array(mx.nd.array([1, 2]))
    with pytest.raises(MXNetError, match="uint16"):
        np.array(onp.array([1, 2], dtype=onp.uint16))


def test_array_ctx_and_gradient():
    assert np.array([1, 2], ctx=mx.cpu(1)).ctx == mx.cpu(1)
    assert np.zeros(2, ctx="cpu(1)").ctx == mx.cpu(1)
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = np.array(x) * 2
    y.backward()
    check(x.grad, [2.0, 2.0], "float32")


# -- filled arrays -----------------------------------------------------------------------------
@pytest.mark.parametrize("fn, ref", [(np.zeros, onp.zeros), (np.ones, onp.ones)])
@pytest.mark.parametrize("shape", [3, (), (2, 0), (2, 3), (0,)])
@pytest.mark.parametrize("dtype", [None, "int32", "float64", "bool", "uint8", "float16"])
def test_zeros_ones(fn, ref, shape, dtype):
    check(fn(shape, dtype=dtype), ref(shape, dtype=dtype or "float32"))


def test_empty():
    res = np.empty((2, 3), dtype="int8")
    assert res.shape == (2, 3) and res.dtype == onp.int8
    assert np.empty(()).shape == ()


@pytest.mark.parametrize("fill, dtype, expected", [
    (3, None, onp.full(2, 3, "float32")),
    (3.5, None, onp.full(2, 3.5, "float32")),
    (True, None, onp.full(2, True)),              # a bool fill gives bool
    (3.7, "int32", onp.array([3, 3], "int32")),    # conversions truncate like a C cast
    (-3.7, "int32", onp.array([-3, -3], "int32")),
    (-1, "uint8", onp.array([255, 255], "uint8")),
    (0.5, "bool", onp.array([True, True])),
])
def test_full_values(fill, dtype, expected):
    check(np.full((2,), fill, dtype=dtype), expected)


def test_full_array_fill_and_out():
    check(np.full((2, 2), np.array([1, 2])), [[1, 2], [1, 2]], "float32")
    check(np.full((3,), np.array(2, dtype="int32")), [2, 2, 2], "int32")
    check(np.full((), 2), onp.array(2.0, "float32"))
    out = np.zeros((2, 2))
    assert np.full((2, 2), 4, out=out) is out
    check(out, onp.full((2, 2), 4.0, "float32"))


@pytest.mark.parametrize("fn, value", [(np.zeros_like, 0), (np.ones_like, 1),
                                       (lambda a, dtype=None: np.full_like(a, 2.7, dtype), 2.7),
                                       (np.empty_like, None)])
@pytest.mark.parametrize("dtype", [None, "int32", "float64"])
def test_like(fn, value, dtype):
    a = np.zeros((2, 0, 3), dtype="float16") if value == 1 else np.zeros((2, 3), dtype="int8")
    res = fn(a, dtype=dtype)
    assert res.shape == a.shape and res.dtype == onp.dtype(dtype or a.dtype)
    if value is not None:
        onp.testing.assert_array_equal(res.asnumpy(), onp.full(a.shape, value, res.dtype))


def test_like_gradient_is_zero_and_out():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = np.full_like(x, 3.0) * x + np.ones_like(x)
    y.backward()
    check(x.grad, [3.0, 3.0])
    out = np.zeros(2)
    assert np.ones_like(x, out=out) is out
    check(out, [1.0, 1.0], "float32")
    assert np.empty_like(x, shape=(3, 1)).shape == (3, 1)


# -- ranges ------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(3,), (3.5,), (1, 7, 2), (0,), (5, 1), (5, 0, -1.5),
                                  (0.0, 1.0, 0.3), (-3,), (2, 3, 0.1)])
def test_arange(args):
    check(np.arange(*args), onp.arange(*args).astype("float32"), rtol=1e-6)


def test_arange_dtypes():
    check(np.arange(3, dtype="int32"), onp.arange(3, dtype="int32"))
    # Integer ranges truncate start and step first, as MXNet does.
    check(np.arange(0.5, 5, 1.5, dtype="int32"), onp.array([0, 1, 2], "int32"))
    check(np.arange(np.array(3)), onp.arange(3, dtype="float32"))
    with pytest.raises(MXNetError, match="step"):
        np.arange(1, 2, 0)


@pytest.mark.parametrize("kwargs", [dict(start=0, stop=1, num=5), dict(start=0, stop=1),
                                    dict(start=2, stop=-1, num=7, endpoint=False),
                                    dict(start=0, stop=1, num=0), dict(start=0, stop=1, num=1),
                                    dict(start=0, stop=10, num=5, dtype="int32"),
                                    dict(start=-1, stop=1.5, num=5, dtype="int32")])
def test_linspace(kwargs):
    ref = onp.linspace(**{k: v for k, v in kwargs.items() if k != "dtype"})
    check(np.linspace(**kwargs), ref.astype(kwargs.get("dtype", "float32")))


def test_linspace_retstep_and_errors():
    res, step = np.linspace(0, 1, 5, retstep=True)
    assert step == 0.25 and res.shape == (5,)
    with pytest.raises(MXNetError, match="num"):
        np.linspace(0, 1, -1)


@pytest.mark.parametrize("kwargs", [dict(start=0, stop=2, num=3), dict(start=0, stop=2, num=3,
                                                                       base=2),
                                    dict(start=0, stop=2, num=4, endpoint=False),
                                    dict(start=0, stop=1, num=4, dtype="int32")])
def test_logspace(kwargs):
    ref = onp.logspace(**{k: v for k, v in kwargs.items() if k != "dtype"})
    check(np.logspace(**kwargs), ref.astype(kwargs.get("dtype", "float32")), rtol=1e-6)


# -- matrices and grids ------------------------------------------------------------------------
@pytest.mark.parametrize("args, kwargs", [((3,), {}), ((2, 3, 1), {}), ((3,), {"k": -1}),
                                          ((0,), {}), ((3,), {"k": 5}),
                                          ((3, 4, -1), {"dtype": "int8"})])
def test_eye(args, kwargs):
    check(np.eye(*args, **kwargs), onp.eye(*args, **{"dtype": "float32", **kwargs}))


def test_identity():
    check(np.identity(3), onp.identity(3, "float32"))
    check(np.identity(2, dtype="bool"), onp.identity(2, bool))
    check(np.identity(0), onp.identity(0, "float32"))


@pytest.mark.parametrize("dims, dtype", [((2, 3), None), ((2, 2), "float64"), ((), None),
                                         ((0, 2), "int64"), ((2, 1, 3), None)])
def test_indices(dims, dtype):
    check(np.indices(dims, dtype=dtype), onp.indices(dims, dtype=dtype or "int32"))


@pytest.mark.parametrize("name", ["hanning", "hamming", "blackman"])
@pytest.mark.parametrize("m", [5, 4, 1, 0, -1])
def test_windows(name, m):
    res = getattr(np, name)(m)
    onp.testing.assert_allclose(res.asnumpy(), getattr(onp, name)(m), atol=1e-7)
    assert res.dtype == onp.float32
    assert getattr(np, name)(m, dtype="float64").dtype == onp.float64


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid(indexing, sparse):
    xs = [onp.arange(n, dtype="float32") for n in (3, 2, 4)]
    res = np.meshgrid(*[np.array(x) for x in xs], indexing=indexing, sparse=sparse)
    ref = onp.meshgrid(*xs, indexing=indexing, sparse=sparse)
    for r, e in zip(res, ref):
        check(r, e)


def test_meshgrid_keeps_dtypes_and_gradient():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1, 2], dtype="int32")
    gx, gy = np.meshgrid(x, y)
    assert gx.dtype == onp.float32 and gy.dtype == onp.int32 and gx.shape == (2, 3)
    x.attach_grad()
    with autograd.record():
        gx, _ = np.meshgrid(x, np.array([1.0, 2.0]))
    gx.backward()
    check(x.grad, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("shape, k", [((3, 3), 0), ((3, 4), 1), ((4, 3), -1), ((2, 3, 3), -1),
                                      ((3,), 0), ((0, 2), 0)])
def test_tril(shape, k):
    data = onp.arange(onp.prod(shape), dtype="float32").reshape(shape) + 1
    check(np.tril(np.array(data), k), onp.tril(data, k))


def test_tril_gradient_and_errors():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with autograd.record():
        y = np.tril(x)
    y.backward()
    check(x.grad, [[1.0, 0.0], [1.0, 1.0]])
    v = np.array([1.0, 2.0, 3.0])
    v.attach_grad()
    with autograd.record():
        y = np.tril(v)  # rows of the vector: element j appears n - j times
    y.backward()
    check(v.grad, [3.0, 2.0, 1.0])
    with pytest.raises(MXNetError):
        np.tril(np.array(3.0))


@pytest.mark.parametrize("name, shape, k", [("tril_indices_from", (3, 3), 0),
                                            ("tril_indices_from", (3, 4), -1),
                                            ("triu_indices_from", (3, 4), 1),
                                            ("triu_indices_from", (4, 2), 0)])
def test_triangle_indices(name, shape, k):
    res = getattr(np, name)(np.zeros(shape), k)
    ref = getattr(onp, name)(onp.zeros(shape), k)
    for r, e in zip(res, ref):
        check(r, e.astype("int64"))


def test_diag_indices_from():
    for shape in [(3, 3), (2, 2, 2), (1, 1)]:
        res = np.diag_indices_from(np.zeros(shape))
        assert len(res) == len(shape)
        for r, e in zip(res, onp.diag_indices_from(onp.zeros(shape))):
            check(r, e.astype("int64"))
    with pytest.raises(MXNetError):
        np.diag_indices_from(np.zeros((3, 4)))


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: np.zeros(-1), lambda: np.ones((2, -3)), lambda: np.zeros(3.0),
    lambda: np.zeros(2, dtype="uint16"), lambda: np.full((2,), 1, dtype="complex64"),
    lambda: np.eye(-1), lambda: np.eye(2, dtype="bool"), lambda: np.indices((-1,)),
    lambda: np.zeros(2, ctx=3),
])
def test_bad_arguments_raise_mxnet_error(call):
    with pytest.raises(MXNetError):
        call()


def test_only_c_order():
    with pytest.raises(NotImplementedError):
        np.zeros(3, order="F")


def test_creation_ops_in_mx_nd_internal():
    # The _npi_ operators exist under MXNet's names for mx.nd/mx.sym callers.
    res = mx.nd._internal._npi_zeros(shape=(2, 0))
    assert res.shape == (2, 0)
    assert mx.nd._internal._npi_arange(start=0, stop=3).asnumpy().tolist() == [0, 1, 2]
    sym = mx.sym._internal._npi_ones(shape=(2,))
    assert '"_npi_ones"' in sym.tojson()
