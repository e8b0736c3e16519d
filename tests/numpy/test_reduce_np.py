"""mx.np reductions against NumPy and MXNet 1.9.1's dtype rules."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import np
from mxnet.base import MXNetError


def arr(values, dtype="float32"):
    """An mx.np array of exactly ``dtype`` (whatever mx.np.array's defaults)."""
    return mx.nd.array(onp.asarray(values, dtype=dtype), dtype=dtype).as_np_ndarray()


def grad_of(fn, *arrays):
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        y = fn(*arrays)
    y.backward()
    return [a.grad.asnumpy() for a in arrays]


X = onp.random.default_rng(0).uniform(-2, 2, (2, 3, 4)).astype("float32")

REDUCTIONS = [  # function, numpy reference
    (np.sum, onp.sum), (np.prod, onp.prod), (np.product, onp.prod), (np.mean, onp.mean),
    (np.std, onp.std), (np.var, onp.var), (np.max, onp.max), (np.amax, onp.max),
    (np.min, onp.min), (np.amin, onp.min), (np.all, onp.all), (np.any, onp.any),
    (np.sometrue, onp.any), (np.alltrue, onp.all),
]
AXES = [None, 0, -1, (0, 2), (), [1, 2]]


@pytest.mark.parametrize("fn,ref", REDUCTIONS, ids=[r[0].__name__ for r in REDUCTIONS])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(fn, ref, axis, keepdims):
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    out = fn(arr(X), axis=axis, keepdims=keepdims)
    expected = onp.asarray(ref(X, axis=np_axis, keepdims=keepdims))
    assert isinstance(out, np.ndarray)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [np.sum, np.mean, np.max, np.all, np.std, np.prod])
def test_full_reduction_is_zero_d(fn):
    assert fn(arr(X)).shape == ()
    assert fn(arr(onp.float32(3))).shape == ()


@pytest.mark.parametrize("fn,dtype,expected", [
    (np.sum, "int32", "int32"), (np.sum, "bool", "int64"), (np.sum, "uint8", "uint8"),
    (np.sum, "float16", "float16"), (np.prod, "int8", "int8"), (np.prod, "bool", "int64"),
    (np.mean, "int32", "float32"), (np.mean, "bool", "float32"), (np.mean, "float16", "float16"),
    (np.mean, "float64", "float64"), (np.std, "int32", "int32"), (np.var, "float16", "float16"),
    (np.max, "uint8", "uint8"), (np.min, "bool", "bool"), (np.argmax, "float32", "int64"),
    (np.argmin, "int8", "int64"), (np.all, "int32", "bool"), (np.any, "float16", "bool"),
    (np.cumsum, "bool", "int64"), (np.cumsum, "int8", "int8"),
])
def test_result_dtypes(fn, dtype, expected):
    x = onp.array([[1, 4, 3], [2, 2, 0]]).astype(dtype)
    assert fn(arr(x, dtype)).dtype == onp.dtype(expected)


def test_integer_statistics_truncate_like_mxnet():
    i = arr([[1, 4, -3], [2, 2, 2]], "int32")
    assert np.sum(i).item() == 8 and np.prod(i).item() == -96
    assert np.mean(i, axis=0).asnumpy().tolist() == [1.5, 3.0, -0.5]
    assert np.std(i).item() == 2 and np.var(i, axis=1).asnumpy().tolist() == [8, 0]
    # the integer mean is truncated before the deviations are taken, as MXNet does
    assert np.var(arr([-2, 3, -4, -2, -4, -4, -2, 2, 1, -1, -4, 3], "int32")).item() == 7
    assert np.std(arr([-4, -2, -4], "int32")).item() == 1
    assert np.mean(i, dtype="int32").item() == 1
    assert np.mean(i, dtype="float64").dtype == onp.float64
    assert np.sum(arr([200, 100], "uint8")).item() == 44  # wraps around


def test_sum_dtype_and_initial():
    f = arr([[1.5, 2.5], [3.0, 4.0]])
    assert np.sum(f, dtype="int32").dtype == onp.int32
    assert np.sum(f, initial=10).item() == 21
    assert np.sum(f, axis=0, initial=1).asnumpy().tolist() == [5.5, 7.5]


def test_ddof():
    onp.testing.assert_allclose(np.std(arr(X), ddof=1).item(), X.std(ddof=1), rtol=1e-5)
    onp.testing.assert_allclose(np.var(arr(X), axis=1, ddof=2).asnumpy(), X.var(axis=1, ddof=2),
                                rtol=1e-5)


def test_empty_reductions():
    e = arr(onp.zeros((0, 3)))
    assert np.sum(e).item() == 0 and np.sum(e, axis=0).shape == (3,)
    assert np.mean(e).item() == 0  # MXNet's answer (NumPy warns and gives nan)
    assert np.max(e, axis=1).shape == (0,)
    with pytest.raises(MXNetError, match="identity"):
        np.max(e).asnumpy()
    with pytest.raises(MXNetError, match="empty"):
        np.argmax(e).asnumpy()


def test_bad_axes_and_inputs():
    f = arr(X)
    with pytest.raises(MXNetError, match="out of range"):
        np.sum(f, axis=3).asnumpy()
    with pytest.raises(MXNetError, match="given twice"):
        np.mean(f, axis=(0, -3)).asnumpy()
    with pytest.raises(MXNetError, match="out of range"):
        np.argmax(f, axis=-4).asnumpy()
    with pytest.raises(MXNetError, match="boolean"):
        np.std(arr([True], "bool")).asnumpy()
    with pytest.raises(MXNetError, match="boolean"):
        np.argmax(arr([True], "bool")).asnumpy()
    with pytest.raises(TypeError):
        np.sum([1, 2])
    assert np.sum(3) == 3  # a Python scalar is answered by NumPy


def test_argmax_argmin():
    x = onp.array([[1, 5, 5], [7, 0, 7]], dtype="float32")
    assert np.argmax(arr(x)).item() == 3
    assert np.argmax(arr(x), axis=1).asnumpy().tolist() == [1, 0]
    assert np.argmin(arr(x), axis=0).asnumpy().tolist() == [0, 1, 0]
    assert np.argmax(arr(onp.float32(2))).item() == 0
    out = arr(onp.zeros(2), "int64")
    assert np.argmax(arr(x), axis=1, out=out) is out and out.asnumpy().tolist() == [1, 0]


def test_out_argument():
    out = arr(onp.zeros(4))
    assert np.sum(arr(X), axis=(0, 1), out=out) is out
    onp.testing.assert_allclose(out.asnumpy(), X.sum(axis=(0, 1)), rtol=1e-5)


def test_out_must_match_the_result():
    with pytest.raises(MXNetError, match="shape"):
        np.sum(arr(X), out=arr(onp.zeros(3)))
    with pytest.raises(MXNetError, match="dtype"):
        np.sum(arr(X), axis=(0, 1), out=arr(onp.zeros(4), "float64"))


def test_cumsum():
    onp.testing.assert_allclose(np.cumsum(arr(X)).asnumpy(), onp.cumsum(X), rtol=1e-5)
    onp.testing.assert_allclose(np.cumsum(arr(X), axis=1).asnumpy(), onp.cumsum(X, axis=1),
                                rtol=1e-5)
    assert np.cumsum(arr([[1.5, 2.5]]), axis=1, dtype="int32").asnumpy().tolist() == [[1, 3]]
    (g,) = grad_of(lambda x: np.cumsum(x, axis=0), arr([1.0, 2.0, 3.0]))
    assert g.tolist() == [3, 2, 1]


def test_average():
    f = onp.array([[1, 4, -3], [2, 2, 2]], dtype="float32")
    w = onp.array([1.0, 3.0], dtype="float32")
    onp.testing.assert_allclose(np.average(arr(f), axis=0, weights=arr(w)).asnumpy(),
                                onp.average(f, axis=0, weights=w))
    avg, total = np.average(arr(f), weights=arr(f), returned=True)
    assert avg.item() == pytest.approx(onp.average(f, weights=f)) and total.item() == 8
    assert np.average(arr(f)).item() == pytest.approx(f.mean())
    assert np.average(arr(f, "int32")).item() == 1  # truncated, as in MXNet
    ga, gw = grad_of(lambda a, b: np.average(a, axis=0, weights=b), arr(f), arr(w))
    onp.testing.assert_allclose(ga, [[0.25] * 3, [0.75] * 3])
    onp.testing.assert_allclose(gw, [-0.75, 0.25])
    with pytest.raises(MXNetError, match="weights"):
        np.average(arr(f), axis=0, weights=arr([1.0, 2.0, 3.0])).asnumpy()


# -- gradients --------------------------------------------------------------------------

GRADIENTS = [  # function, d/dx of sum(f(x)) with axis=1
    (np.sum, lambda x: onp.ones_like(x)),
    (np.mean, lambda x: onp.full_like(x, 1 / x.shape[1])),
    (np.prod, lambda x: x.prod(axis=1, keepdims=True) / x),
    (np.max, lambda x: (x == x.max(axis=1, keepdims=True)).astype("float32")),
    (np.min, lambda x: (x == x.min(axis=1, keepdims=True)).astype("float32")),
    (np.var, lambda x: 2 * (x - x.mean(axis=1, keepdims=True)) / x.shape[1]),
    (np.std, lambda x: (x - x.mean(axis=1, keepdims=True)) / (x.shape[1] * x.std(
        axis=1, keepdims=True))),
    (np.all, lambda x: onp.zeros_like(x)),
]


@pytest.mark.parametrize("fn,deriv", GRADIENTS, ids=[g[0].__name__ for g in GRADIENTS])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_gradients(fn, deriv, keepdims):
    (g,) = grad_of(lambda x: fn(x, axis=1, keepdims=keepdims), arr(X))
    onp.testing.assert_allclose(g, deriv(X), rtol=1e-4, atol=1e-6)


def test_full_reduction_gradient_and_ties():
    (g,) = grad_of(np.sum, arr(X))
    assert (g == 1).all()
    (g,) = grad_of(lambda x: np.max(x, axis=1), arr([[1.0, 4.0, 4.0], [2.0, 2.0, 2.0]]))
    assert g.tolist() == [[0, 1, 1], [1, 1, 1]]  # every tie gets the gradient, as in MXNet
    (g,) = grad_of(lambda x: np.std(x, axis=1), arr([[1.0, 4.0, -3.0], [2.0, 2.0, 2.0]]))
    assert onp.isfinite(g).all() and g[1].tolist() == [0, 0, 0]


def test_integer_input_gets_zero_gradient():
    (g,) = grad_of(np.sum, arr([1, 2], "int32"))
    assert g.tolist() == [0, 0]


def test_second_order_through_sum():
    x = arr([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = np.sum(np.multiply(x, np.multiply(x, x)))
        (dx,) = mx.autograd.grad(y, [x], create_graph=True)
        z = np.sum(dx)
    z.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), [6, 12, 18])


def test_fluent_methods_use_these_reductions():
    f = arr(X)
    assert f.sum(axis=1).shape == (2, 4)
    assert f.mean().shape == ()
    onp.testing.assert_allclose(f.std(axis=0, ddof=1).asnumpy(), X.std(axis=0, ddof=1),
                                rtol=1e-5)


# -- percentile, diff, ediff1d, bincount, polyval ------------------------------------

@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)], ids=str)
def test_percentile_matches_numpy(interpolation, axis):
    out = np.percentile(arr(X), 30, axis=axis, interpolation=interpolation)
    expected = onp.percentile(X.astype("float64"), 30, axis=axis, method=interpolation)
    assert out.dtype == onp.float32 and out.shape == onp.shape(expected)
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5)
    several = np.percentile(arr(X), arr([10.0, 90.0]), axis=axis, interpolation=interpolation,
                            keepdims=True)
    expected = onp.percentile(X.astype("float64"), [10, 90], axis=axis, method=interpolation,
                              keepdims=True)
    onp.testing.assert_allclose(several.asnumpy(), expected, rtol=1e-5)


def test_percentile_rules():
    i = arr([[1, 4, -3], [2, 2, 2]], "int32")
    assert np.percentile(i, 30).dtype == onp.float32 and np.percentile(i, 30).item() == 1.5
    assert np.percentile(arr([1, 2], "float16"), 50).dtype == onp.float32
    assert np.percentile(arr([1, 2], "float64"), 50).dtype == onp.float64
    assert np.quantile(arr([[1.0, 4.0, -3.0]]), 0.5, interpolation="nearest").item() == 1.0
    with pytest.raises(MXNetError, match="percentiles"):
        np.percentile(arr([1.0]), 150).asnumpy()
    with pytest.raises(TypeError):
        np.percentile(arr([1.0]), [10, 20])
    (g,) = grad_of(lambda x: np.percentile(x, 50), arr([1.0, 2.0, 4.0]))
    assert g.tolist() == [0, 0, 0]  # MXNet passes no gradient through percentile


@pytest.mark.parametrize("n,axis", [(1, -1), (2, 1), (1, 0), (3, 2), (0, 1)])
def test_diff_values_and_gradients(n, axis):
    out = np.diff(arr(X), n=n, axis=axis)
    onp.testing.assert_allclose(out.asnumpy(), onp.diff(X, n=n, axis=axis), rtol=1e-5, atol=1e-6)
    w = onp.random.default_rng(4).uniform(size=out.shape).astype("float32")
    (g,) = grad_of(lambda x: np.multiply(np.diff(x, n=n, axis=axis), arr(w)), arr(X))
    # diff is linear: its gradient is the transpose applied to w
    basis = onp.eye(X.size, dtype="float64").reshape((X.size,) + X.shape)
    expected = onp.array([(onp.diff(b, n=n, axis=axis) * w).sum() for b in basis]).reshape(X.shape)
    onp.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)


def test_diff_edges_and_dtypes():
    f = onp.array([[1, 4, -3], [2, 2, 2]], dtype="float32")
    onp.testing.assert_array_equal(np.diff(arr(f), prepend=0, append=arr([[1.0], [1.0]])).asnumpy(),
                                   onp.diff(f, prepend=0, append=[[1.0], [1.0]]))
    assert np.diff(arr(f, "int32"), axis=1).dtype == onp.int32
    assert np.diff(arr(f), n=2, axis=0).shape == (0, 3)
    with pytest.raises(MXNetError):
        np.diff(arr(f), axis=2).asnumpy()


def test_ediff1d():
    f = onp.array([[1, 4, -3], [2, 2, 2]], dtype="float32")
    out = np.ediff1d(arr(f), to_begin=arr([9.0]), to_end=5)
    assert out.asnumpy().tolist() == onp.ediff1d(f, to_begin=[9.0], to_end=5).tolist()
    assert np.ediff1d(arr(f, "int32")).dtype == onp.int32
    x, b = arr([1.0, 2.0, 4.0]), arr([9.0, 8.0])
    gx, gb = grad_of(lambda u, v: np.multiply(np.ediff1d(u, to_begin=v), arr([1, 2, 3, 4.0])), x, b)
    assert gx.tolist() == [-3, -1, 4] and gb.tolist() == [1, 2]


def test_bincount():
    x = arr([0, 1, 1, 3], "int32")
    out = np.bincount(x)
    assert out.dtype == onp.int32 and out.asnumpy().tolist() == [1, 2, 0, 1]
    w = np.bincount(arr([0, 1, 1, 3], "int64"), weights=arr([0.5, 1, 1, 2]), minlength=6)
    assert w.dtype == onp.float32 and w.asnumpy().tolist() == [0.5, 2, 0, 2, 0, 0]
    with pytest.raises(MXNetError, match="integers"):
        np.bincount(arr([0.0, 1.0])).asnumpy()
    with pytest.raises(MXNetError, match="non-negative"):
        np.bincount(arr([0, -1], "int32")).asnumpy()


def test_polyval():
    p = onp.array([1.0, 2.0, 3.0], dtype="float32")
    x = onp.array([[1.0, 2.0], [0.0, -1.0]], dtype="float32")
    onp.testing.assert_allclose(np.polyval(arr(p), arr(x)).asnumpy(), onp.polyval(p, x))
    assert np.polyval(arr([1, 2, 3], "int32"), arr([1, 2], "int32")).asnumpy().tolist() == [6, 11]
    gp, gx = grad_of(np.polyval, arr(p), arr(x))
    onp.testing.assert_allclose(gp, [(x ** 2).sum(), x.sum(), x.size])
    onp.testing.assert_allclose(gx, 2 * x + 2)


# -- NumPy on the host ---------------------------------------------------------------------

def test_host_functions_follow_numpy():
    f = onp.array([[1, 4, -3], [2, 0, onp.nan]], dtype="float32")
    ptp = np.ptp(arr(f[:, :2]), axis=0)
    assert isinstance(ptp, np.ndarray) and ptp.asnumpy().tolist() == [1, 4]
    assert np.nanmax(arr(f)) == 4 and np.nanargmin(arr(f)) == 2
    onp.testing.assert_array_equal(np.nancumsum(arr(f)).asnumpy(), onp.nancumsum(f))
    out = np.interp(arr([1.5, 3.0]), arr([1.0, 2.0]), arr([3.0, 4.0]))
    assert isinstance(out, np.ndarray) and out.asnumpy().tolist() == [3.5, 4.0]
    assert np.trapz(arr(f[:, :2])).asnumpy().tolist() == [2.5, 1.0]


def test_histogram():
    a = onp.array([1.0, 2.0, 1.0, 4.0], dtype="float32")
    counts, edges = np.histogram(arr(a), bins=2, range=(0, 4))
    assert counts.dtype == onp.int64 and counts.asnumpy().tolist() == [2, 2]
    assert edges.dtype == onp.float32 and edges.asnumpy().tolist() == [0, 2, 4]
    counts, edges = np.histogram(arr(a), bins=arr([0.0, 2.0, 5.0]))
    assert counts.asnumpy().tolist() == [2, 2] and edges.asnumpy().tolist() == [0, 2, 5]
    counts, edges = np.histogram(arr(a))  # the data's range, as NumPy
    ref_counts, ref_edges = onp.histogram(a)
    assert counts.asnumpy().tolist() == ref_counts.tolist()
    onp.testing.assert_allclose(edges.asnumpy(), ref_edges, rtol=1e-6)
    assert np.histogram(arr(a, "int32"), bins=2, range=(0, 4))[1].dtype == onp.int32
    with pytest.raises(NotImplementedError):
        np.histogram(arr(a), weights=arr(a))


def test_host_statistics():
    m = onp.array([[1.0, 2.0, 3.0], [2.0, 1.0, 0.5]], dtype="float32")
    onp.testing.assert_allclose(np.cov(arr(m)).asnumpy(), onp.cov(m), rtol=1e-6)
    onp.testing.assert_allclose(np.corrcoef(arr(m)).asnumpy(), onp.corrcoef(m), rtol=1e-6)
    assert np.histogram_bin_edges(arr(m), bins=2).asnumpy().tolist() == [0.5, 1.75, 3.0]


def test_polynomials_on_the_host():
    assert np.polyadd(arr([1.0, 2.0]), arr([1.0, 2.0, 3.0])).asnumpy().tolist() == [1, 3, 5]
    onp.testing.assert_allclose(np.polyfit(arr([0.0, 1.0, 2.0]), arr([1.0, 3.0, 5.0]), 1).asnumpy(),
                                [2, 1], atol=1e-6)
    onp.testing.assert_allclose(np.roots(arr([1.0, -3.0, 2.0])).asnumpy(), [2, 1])


INFERENCE = [  # function of Symbols or arrays, input dtypes and shapes
    (lambda a: np.sum(a, axis=1), [("bool", (2, 3))]),
    (lambda a: np.prod(a, keepdims=True), [("int8", (2, 3))]),
    (lambda a: np.mean(a, axis=(0, 2)), [("int32", (2, 3, 4))]),
    (lambda a: np.std(a, axis=-1, ddof=1), [("float16", (2, 3))]),
    (lambda a: np.var(a), [("int64", (2, 3))]),
    (lambda a: np.max(a, axis=0), [("uint8", (2, 3))]),
    (lambda a: np.argmax(a, axis=1), [("float32", (2, 3))]),
    (lambda a: np.any(a, axis=()), [("float32", (2, 3))]),
    (lambda a: np.cumsum(a), [("bool", (2, 3))]),
    (lambda a: np.percentile(a, 30, axis=1, keepdims=True), [("int32", (2, 3))]),
    (lambda a, q: np.percentile(a, q), [("float64", (2, 3)), ("float32", (4,))]),
    (lambda a: np.diff(a, n=2, axis=0), [("int32", (4, 3))]),
    (lambda a, b: np.ediff1d(a, to_begin=b, to_end=1), [("float32", (2, 3)), ("float32", (2,))]),
    (lambda p, x: np.polyval(p, x), [("int32", (3,)), ("float16", (2, 2))]),
    (lambda a, w: np.average(a, axis=1, weights=w), [("float32", (2, 3)), ("float32", (3,))]),
]


@pytest.mark.parametrize("fn,inputs", INFERENCE)
def test_symbol_inference_matches_the_kernel(fn, inputs):
    rng = onp.random.default_rng(6)
    arrays = [arr(rng.integers(1, 4, shape).astype(dtype), dtype) for dtype, shape in inputs]
    result = fn(*arrays)
    names = [f"x{i}" for i in range(len(inputs))]
    sym = fn(*[mx.sym.var(n) for n in names])
    _, out_shapes, _ = sym.infer_shape(**{n: s for n, (_, s) in zip(names, inputs)})
    _, out_types, _ = sym.infer_type(**{n: onp.dtype(d) for n, (d, _) in zip(names, inputs)})
    assert tuple(out_shapes[0]) == result.shape
    assert onp.dtype(out_types[0]) == result.dtype
