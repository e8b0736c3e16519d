"""mx.np elementwise functions against NumPy and MXNet 1.9.1's dtype rules."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import np
from mxnet.base import MXNetError


def arr(values, dtype="float32"):
    """An mx.np array of exactly ``dtype`` (whatever mx.np.array's defaults)."""
    return mx.nd.array(onp.asarray(values, dtype=dtype), dtype=dtype).as_np_ndarray()


def grad_of(fn, *arrays):
    """Gradients of sum(fn(*arrays)) with respect to each array."""
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        y = fn(*arrays)
    y.backward()
    return [a.grad.asnumpy() for a in arrays]


# -- binary arithmetic ------------------------------------------------------------

BINARY = [  # function, numpy reference on positive operands
    (np.add, onp.add), (np.subtract, onp.subtract), (np.multiply, onp.multiply),
    (np.true_divide, onp.true_divide), (np.divide, onp.true_divide), (np.mod, onp.mod),
    (np.remainder, onp.mod), (np.power, onp.power), (np.maximum, onp.maximum),
    (np.minimum, onp.minimum), (np.equal, onp.equal), (np.not_equal, onp.not_equal),
    (np.less, onp.less), (np.less_equal, onp.less_equal), (np.greater, onp.greater),
    (np.greater_equal, onp.greater_equal),
]


@pytest.mark.parametrize("fn,ref", BINARY, ids=[f.__name__ for f, _ in BINARY])
def test_binary_broadcast_matches_numpy(fn, ref):
    rng = onp.random.default_rng(0)
    a = rng.uniform(0.5, 3, (2, 3)).astype("float32")
    b = rng.uniform(0.5, 3, (3,)).astype("float32")
    b[1] = a[0, 1]  # a tie for comparisons and maximum
    out = fn(arr(a), arr(b))
    assert isinstance(out, np.ndarray)
    expected = ref(a, b)
    assert out.dtype == expected.dtype
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("fn,ref", BINARY, ids=[f.__name__ for f, _ in BINARY])
def test_binary_with_scalars_on_either_side(fn, ref):
    a = onp.array([0.5, 2.0, 3.0], dtype="float32")
    onp.testing.assert_allclose(fn(arr(a), 2.0).asnumpy(), ref(a, onp.float32(2.0)), rtol=1e-6)
    onp.testing.assert_allclose(fn(2.0, arr(a)).asnumpy(), ref(onp.float32(2.0), a), rtol=1e-6)
    assert fn(arr(a), 2).dtype == ref(a, onp.float32(2)).dtype


def test_two_scalars_are_answered_by_numpy():
    assert np.add(1, 2) == 3 and isinstance(np.add(1, 2), onp.integer)
    assert np.true_divide(1.0, 4) == 0.25


@pytest.mark.parametrize("a,b,expected", [
    ("int32", "float16", "float16"), ("int64", "float32", "float32"),
    ("float16", "float32", "float32"), ("float32", "float64", "float64"),
    ("int8", "uint8", "int32"), ("int32", "int64", "int64"), ("uint8", "int32", "int32"),
    ("bool", "int8", "int8"), ("bool", "float16", "float16"), ("bool", "bool", "bool"),
    ("int8", "int32", "int32"),
])
def test_array_dtype_promotion(a, b, expected):
    x, y = arr([1, 2], a), arr([1, 1], b)
    assert np.add(x, y).dtype == onp.dtype(expected)
    assert np.multiply(y, x).dtype == onp.dtype(expected)
    assert np.equal(x, y).dtype == onp.bool_


@pytest.mark.parametrize("a,b,expected", [
    ("int32", "int32", "float32"), ("int8", "uint8", "float32"), ("bool", "bool", "float32"),
    ("int64", "float16", "float16"), ("float64", "int32", "float64"),
])
def test_true_divide_dtype(a, b, expected):
    x, y = onp.array([3, 1, 0]).astype(a), onp.array([2, 1, 1]).astype(b)
    out = np.true_divide(arr(x, a), arr(y, b))
    assert out.dtype == onp.dtype(expected)
    onp.testing.assert_allclose(out.asnumpy(), x.astype("float64") / y, rtol=1e-6)


def test_mixed_dtype_values():
    x = arr([1, 2, 3], "int32")
    y = arr([0.5, 0.25, 2], "float16")
    out = np.multiply(x, y)
    assert out.dtype == onp.float16
    onp.testing.assert_allclose(out.asnumpy(), [0.5, 0.5, 6])
    assert np.maximum(x, arr([1.5, 1, 4])).asnumpy().tolist() == [1.5, 2, 4]
    assert np.less(x, arr([1.5, 1, 4])).asnumpy().tolist() == [True, False, True]


def test_bool_arrays():
    t = arr([True, False, True], "bool")
    f = arr([True, True, False], "bool")
    assert np.add(t, f).asnumpy().tolist() == [True, True, True]
    assert np.multiply(t, f).asnumpy().tolist() == [True, False, False]
    assert np.power(t, f).asnumpy().tolist() == [True, False, True]
    assert np.add(t, f).dtype == onp.bool_
    for fn in (np.subtract, np.mod):
        with pytest.raises(MXNetError, match="boolean"):
            fn(t, f).asnumpy()


@pytest.mark.parametrize("fn,dtype,scalar,expected,out_dtype", [
    # integer arrays keep their dtype; the scalar is truncated like a C cast
    (np.add, "int32", 1.5, [2, 3, -2], "int32"),
    (np.multiply, "int32", 1.5, [1, 2, -3], "int32"),
    (np.subtract, "int32", 1.5, [0, 1, -4], "int32"),
    (np.mod, "int32", 2.5, [1, 0, 1], "int32"),
    (np.mod, "int32", -2, [-1, 0, -1], "int32"),
    (np.power, "int32", 0.5, [1, 1, 1], "int32"),
    (np.power, "int32", -1, [1, 0, 0], "int32"),
    (np.maximum, "int32", 1.5, [1, 2, 1], "int32"),
    (np.greater, "int32", 1.5, [False, True, False], "bool"),
    (np.less, "int32", 2.5, [True, False, True], "bool"),
    # division is in floating point, with the scalar as given
    (np.true_divide, "int32", 2.5, [0.4, 0.8, -1.2], "float32"),
    (np.mod, "float32", 0, [0, 0, 0], "float32"),
])
def test_array_scalar_rules(fn, dtype, scalar, expected, out_dtype):
    out = fn(arr([1, 2, -3], dtype), scalar)
    assert out.dtype == onp.dtype(out_dtype)
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)


def test_integer_power_is_exact():
    i = arr([3, -2, 5, 1, 7], "int32")
    assert np.power(i, arr([1, 3, 0, 2, 1], "int32")).asnumpy().tolist() == [3, -8, 1, 1, 7]
    assert np.power(i, arr([1, 0, 1, 1, 1], "bool")).asnumpy().tolist() == [3, 1, 5, 1, 7]
    assert np.power(i, arr([-1, -2, 1, -3, 2], "int64")).asnumpy().tolist() == [0, 0, 5, 1, 49]
    assert np.power(i, 3).asnumpy().tolist() == [27, -8, 125, 1, 343]
    assert np.power(3, arr([0, 1, 2, -1], "int32")).asnumpy().tolist() == [1, 3, 9, 0]


def test_scalar_rules_for_small_and_bool_dtypes():
    u = arr([1, 2, 3], "uint8")
    assert np.subtract(u, 2).asnumpy().tolist() == [255, 0, 1]
    assert np.add(u, 300).asnumpy().tolist() == [45, 46, 47]
    b = arr([True, False, True], "bool")
    out = np.add(b, 1.5)  # bool arithmetic with a scalar is int64, as in MXNet
    assert out.dtype == onp.int64 and out.asnumpy().tolist() == [2, 1, 2]
    assert np.subtract(1.5, b).asnumpy().tolist() == [0, 1, 0]
    assert np.maximum(b, 0.5).dtype == onp.int64
    assert np.true_divide(b, 2).dtype == onp.float32
    assert np.equal(b, 2).asnumpy().tolist() == [True, False, True]  # 2 -> True
    h = np.add(arr([1, 2], "float16"), 1.5)
    assert h.dtype == onp.float16 and h.asnumpy().tolist() == [2.5, 3.5]


@pytest.mark.parametrize("fn,expected", [
    (np.subtract, [1, 0, 5]), (np.true_divide, [2, 1, -2 / 3]), (np.mod, [0, 0, -1]),
    (np.power, [2, 4, 0]), (np.less_equal, [False, True, False]),
    (np.greater_equal, [True, True, True]),
])
def test_scalar_on_the_left(fn, expected):
    out = fn(2, arr([1, 2, -3], "int32"))
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)


def test_numpy_dtype_scalars_are_scalars():
    x = arr([1, 2, -3], "int32")
    assert np.add(x, onp.float64(1.5)).asnumpy().tolist() == [2, 3, -2]
    assert np.add(x, onp.int64(3)).dtype == onp.int32


def test_zero_size_and_zero_d():
    out = np.add(arr(onp.ones((0, 3))), arr(onp.ones((1, 3))))
    assert out.shape == (0, 3)
    z = np.multiply(arr(onp.float32(2)), arr([1, 2, 3]))
    assert z.shape == (3,)
    s = np.add(arr(onp.float32(2)), 1)
    assert s.shape == () and float(s.asnumpy()) == 3


def test_out_argument():
    out = arr(onp.zeros(3))
    res = np.add(arr([1, 2, 3]), 1, out=out)
    assert res is out
    assert out.asnumpy().tolist() == [2, 3, 4]
    np.multiply(arr([1, 2, 3]), arr([2, 2, 2]), out=out)
    assert out.asnumpy().tolist() == [2, 4, 6]


def test_out_must_match_the_result():
    f, i = arr([1.0, 2.0]), arr([1, 2], "int32")
    with pytest.raises(MXNetError, match="dtype"):
        np.add(f, f, out=arr([0, 0], "int32"))
    with pytest.raises(MXNetError, match="dtype"):
        np.exp(f, out=arr([0, 0], "int32"))
    with pytest.raises(MXNetError, match="shape"):
        np.add(f, 1, out=arr(onp.zeros(3)))
    with pytest.raises(MXNetError, match="dtype"):
        np.clip(f, 0, 1, out=arr([0, 0], "float64"))
    with pytest.raises(MXNetError, match="dtype"):
        i += f  # the result is float32, as in MXNet
    i += 1.5
    assert i.asnumpy().tolist() == [2, 3]


def test_bad_operands():
    x = arr([1, 2, 3])
    with pytest.raises(MXNetError, match="broadcast"):
        np.add(arr(onp.ones((2, 3))), arr(onp.ones((3, 2)))).asnumpy()
    for bad in ([1, 2, 3], onp.ones(3), None, "a"):
        with pytest.raises(TypeError, match="not supported"):
            np.add(x, bad)
        with pytest.raises(TypeError, match="not supported"):
            np.less(bad, x)


# -- gradients ------------------------------------------------------------------------

GRADIENTS = [  # function, d/da, d/db of sum(f(a, b)) before summing back to the shapes
    (np.add, lambda a, b: onp.ones_like(a * b), lambda a, b: onp.ones_like(a * b)),
    (np.subtract, lambda a, b: onp.ones_like(a * b), lambda a, b: -onp.ones_like(a * b)),
    (np.multiply, lambda a, b: b + 0 * a, lambda a, b: a + 0 * b),
    (np.true_divide, lambda a, b: 1 / b + 0 * a, lambda a, b: -a / b ** 2),
    (np.mod, lambda a, b: onp.ones_like(a * b), lambda a, b: -onp.floor(a / b)),
    (np.power, lambda a, b: b * a ** (b - 1), lambda a, b: a ** b * onp.log(a)),
    (np.maximum, lambda a, b: (a >= b) + 0 * b, lambda a, b: (a < b) + 0 * a),
    (np.minimum, lambda a, b: (a <= b) + 0 * b, lambda a, b: (a > b) + 0 * a),
    (np.less, lambda a, b: 0 * a * b, lambda a, b: 0 * a * b),
]


@pytest.mark.parametrize("fn,da,db", GRADIENTS, ids=[g[0].__name__ for g in GRADIENTS])
def test_binary_gradients_sum_back_broadcast_axes(fn, da, db):
    rng = onp.random.default_rng(1)
    a = rng.uniform(0.5, 3, (2, 3)).astype("float32")
    b = rng.uniform(0.5, 3, (3,)).astype("float32")
    ga, gb = grad_of(lambda x, y: fn(x, y), arr(a), arr(b))
    onp.testing.assert_allclose(ga, da(a, b), rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(gb, db(a, b).sum(axis=0), rtol=1e-5, atol=1e-6)


SCALAR_GRADIENTS = [  # function of (array, scalar 1.5), derivative
    (lambda x: np.add(x, 1.5), lambda a: onp.ones_like(a)),
    (lambda x: np.subtract(1.5, x), lambda a: -onp.ones_like(a)),
    (lambda x: np.multiply(x, 1.5), lambda a: onp.full_like(a, 1.5)),
    (lambda x: np.true_divide(x, 1.5), lambda a: onp.full_like(a, 1 / 1.5)),
    (lambda x: np.true_divide(1.5, x), lambda a: -1.5 / a ** 2),
    (lambda x: np.mod(x, 1.5), lambda a: onp.ones_like(a)),
    (lambda x: np.mod(1.5, x), lambda a: -onp.floor(1.5 / a)),
    (lambda x: np.power(x, 1.5), lambda a: 1.5 * a ** 0.5),
    (lambda x: np.power(1.5, x), lambda a: 1.5 ** a * onp.log(1.5)),
    (lambda x: np.maximum(x, 1.5), lambda a: (a >= 1.5).astype("float32")),
    (lambda x: np.minimum(1.5, x), lambda a: (a <= 1.5).astype("float32")),
    (lambda x: np.greater(x, 1.5), lambda a: onp.zeros_like(a)),
]


@pytest.mark.parametrize("fn,deriv", SCALAR_GRADIENTS)
def test_scalar_gradients(fn, deriv):
    a = onp.array([0.5, 1.5, 2.0, 3.0], dtype="float32")
    (g,) = grad_of(fn, arr(a))
    onp.testing.assert_allclose(g, deriv(a), rtol=1e-5)


@pytest.mark.parametrize("fn", [np.add, np.subtract, np.multiply, np.true_divide, np.mod,
                                np.power, np.maximum, np.minimum])
def test_gradient_of_one_side_only(fn):
    a = onp.array([[0.5, 2.0, 3.0], [1.5, 1.0, 2.5]], dtype="float32")
    b = onp.array([1.5, 2.0, 0.75], dtype="float32")
    x, w = arr(a), arr(b)
    w.attach_grad()
    with mx.autograd.record():
        y = fn(x, w)
    y.backward()
    _, expected = grad_of(fn, arr(a), arr(b))
    onp.testing.assert_allclose(w.grad.asnumpy(), expected, rtol=1e-6)
    assert x.grad is None


def test_integer_input_gets_zero_gradient():
    xi = arr([1, 2, 3], "int32")
    xf = arr([1, 2, 3], "float32")
    gi, gf = grad_of(np.multiply, xi, xf)
    assert gi.tolist() == [0, 0, 0]
    assert gf.tolist() == [1, 2, 3]
    (gi,) = grad_of(lambda x: np.true_divide(x, 2), arr([1, 2, 3], "int32"))
    assert gi.tolist() == [0, 0, 0]


def test_second_order_gradient():
    x = arr([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = np.multiply(np.multiply(x, x), x)
        (dx,) = mx.autograd.grad(y, [x], create_graph=True)
    dx.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), [6, 12, 18])


def test_symbol_inputs_build_graph_nodes():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    s = np.subtract(2, np.multiply(a, b))
    ops = [n["op"] for n in __import__("json").loads(s.tojson())["nodes"]]
    assert ops == ["null", "null", "_npi_multiply", "_npi_rsubtract_scalar"]


# -- unary functions ------------------------------------------------------------------

UNARY = [  # function, numpy reference, derivative (None: not differentiable), domain
    (np.negative, onp.negative, lambda x: -onp.ones_like(x), (-2, 2)),
    (np.abs, onp.abs, onp.sign, (-2, 2)), (np.absolute, onp.abs, onp.sign, (-2, 2)),
    (np.fabs, onp.abs, onp.sign, (-2, 2)),
    (np.square, onp.square, lambda x: 2 * x, (-2, 2)),
    (np.sqrt, onp.sqrt, lambda x: 0.5 / onp.sqrt(x), (0.5, 3)),
    (np.cbrt, onp.cbrt, lambda x: onp.cbrt(x) ** -2 / 3, (0.5, 3)),
    (np.reciprocal, onp.reciprocal, lambda x: -1 / x ** 2, (0.5, 3)),
    (np.exp, onp.exp, onp.exp, (-2, 2)), (np.expm1, onp.expm1, onp.exp, (-2, 2)),
    (np.log, onp.log, lambda x: 1 / x, (0.5, 3)),
    (np.log10, onp.log10, lambda x: 1 / (x * onp.log(10)), (0.5, 3)),
    (np.log2, onp.log2, lambda x: 1 / (x * onp.log(2)), (0.5, 3)),
    (np.log1p, onp.log1p, lambda x: 1 / (1 + x), (0.5, 3)),
    (np.sin, onp.sin, onp.cos, (-2, 2)), (np.cos, onp.cos, lambda x: -onp.sin(x), (-2, 2)),
    (np.tan, onp.tan, lambda x: 1 / onp.cos(x) ** 2, (-1, 1)),
    (np.arcsin, onp.arcsin, lambda x: 1 / onp.sqrt(1 - x * x), (-0.9, 0.9)),
    (np.arccos, onp.arccos, lambda x: -1 / onp.sqrt(1 - x * x), (-0.9, 0.9)),
    (np.arctan, onp.arctan, lambda x: 1 / (1 + x * x), (-2, 2)),
    (np.sinh, onp.sinh, onp.cosh, (-2, 2)), (np.cosh, onp.cosh, onp.sinh, (-2, 2)),
    (np.tanh, onp.tanh, lambda x: 1 - onp.tanh(x) ** 2, (-2, 2)),
    (np.arcsinh, onp.arcsinh, lambda x: 1 / onp.sqrt(x * x + 1), (-2, 2)),
    (np.arccosh, onp.arccosh, lambda x: 1 / onp.sqrt(x * x - 1), (1.5, 3)),
    (np.arctanh, onp.arctanh, lambda x: 1 / (1 - x * x), (-0.9, 0.9)),
    (np.degrees, onp.degrees, lambda x: onp.full_like(x, 180 / onp.pi), (-2, 2)),
    (np.rad2deg, onp.degrees, lambda x: onp.full_like(x, 180 / onp.pi), (-2, 2)),
    (np.radians, onp.radians, lambda x: onp.full_like(x, onp.pi / 180), (-2, 2)),
    (np.deg2rad, onp.radians, lambda x: onp.full_like(x, onp.pi / 180), (-2, 2)),
    (np.floor, onp.floor, onp.zeros_like, (-2, 2)), (np.ceil, onp.ceil, onp.zeros_like, (-2, 2)),
    (np.trunc, onp.trunc, onp.zeros_like, (-2, 2)), (np.fix, onp.trunc, onp.zeros_like, (-2, 2)),
    (np.sign, onp.sign, onp.zeros_like, (-2, 2)),
    (np.around, onp.around, onp.zeros_like, (-2, 2)),
    (np.round, onp.around, onp.zeros_like, (-2, 2)),
]


@pytest.mark.parametrize("fn,ref,deriv,domain", UNARY, ids=[u[0].__name__ for u in UNARY])
def test_unary_values_and_gradients(fn, ref, deriv, domain):
    x = onp.random.default_rng(2).uniform(*domain, (2, 5)).astype("float32")
    out = fn(arr(x))
    assert isinstance(out, np.ndarray) and out.dtype == onp.float32 and out.shape == (2, 5)
    onp.testing.assert_allclose(out.asnumpy(), ref(x), rtol=1e-5, atol=1e-6)
    (g,) = grad_of(fn, arr(x))
    onp.testing.assert_allclose(g, deriv(x), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("fn,ref,deriv,domain", UNARY, ids=[u[0].__name__ for u in UNARY])
def test_unary_scalars_and_types(fn, ref, deriv, domain):
    v = (domain[0] + domain[1]) / 2
    assert fn(v) == pytest.approx(ref(v))
    with pytest.raises(TypeError, match="not supported"):
        fn([1.0, 2.0])
    with pytest.raises(MXNetError, match="bool"):
        fn(arr([True, False], "bool")).asnumpy()
    # zero-d and zero-size arrays keep their shapes
    assert fn(arr(onp.float32(1.25))).shape == ()
    assert fn(arr(onp.ones((0, 2)))).shape == (0, 2)


def test_unary_integer_arrays_keep_their_dtype():
    i = arr([1, 4, -3], "int32")
    assert np.exp(i).asnumpy().tolist() == [2, 54, 0]
    assert np.abs(i).asnumpy().tolist() == [1, 4, 3] and np.abs(i).dtype == onp.int32
    assert np.sqrt(arr([4, 9], "int64")).dtype == onp.int64
    assert np.reciprocal(i).asnumpy().tolist() == [1, 0, 0]
    assert np.negative(arr([1, 2], "uint8")).asnumpy().tolist() == [255, 254]


def test_rounding_rules():
    f = arr([0.5, 1.5, 2.5, -2.5, -0.5, 2.675])
    assert np.rint(f).asnumpy().tolist() == [0, 1, 2, -3, -1, 3]  # halves go down, as MXNet
    assert np.around(f).asnumpy().tolist() == [0, 2, 2, -2, -0.0, 3]  # halves to even
    onp.testing.assert_allclose(np.around(f, 1).asnumpy(), onp.around(f.asnumpy(), 1))
    assert np.round_(arr([15, 25, -15], "int32"), -1).asnumpy().tolist() == [10, 20, -10]
    assert np.around(arr([15, 25, -15]), -1).asnumpy().tolist() == [20, 20, -20]
    assert np.around(arr([1, 2], "int32"), 2).asnumpy().tolist() == [1, 2]


PREDICATES = [(np.isnan, onp.isnan), (np.isinf, onp.isinf), (np.isposinf, onp.isposinf),
              (np.isneginf, onp.isneginf), (np.isfinite, onp.isfinite),
              (np.logical_not, onp.logical_not)]


@pytest.mark.parametrize("fn,ref", PREDICATES, ids=[p[0].__name__ for p in PREDICATES])
def test_predicates_give_bool(fn, ref):
    x = onp.array([1.0, onp.nan, onp.inf, -onp.inf, 0.0], dtype="float32")
    out = fn(arr(x))
    assert out.dtype == onp.bool_
    assert out.asnumpy().tolist() == ref(x).tolist()
    for dtype in ("int32", "bool"):
        i = onp.array([0, 1, 2]).astype(dtype)
        assert fn(arr(i, dtype)).asnumpy().tolist() == ref(i).tolist()
    (g,) = grad_of(fn, arr(x[:1]))
    assert g.tolist() == [0.0]


def test_bitwise():
    i = arr([1, 4, -3], "int32")
    assert np.bitwise_and(i, 3).asnumpy().tolist() == [1, 0, 1]
    assert np.bitwise_or(i, arr([2, 2, 2], "int32")).asnumpy().tolist() == [3, 6, -1]
    assert np.bitwise_xor(5, i).asnumpy().tolist() == [4, 1, -8]
    assert np.bitwise_not(i).asnumpy().tolist() == [-2, -5, 2]
    assert np.invert(arr([True, False], "bool")).asnumpy().tolist() == [False, True]
    b = np.bitwise_or(arr([True, False], "bool"), arr([False, False], "bool"))
    assert b.dtype == onp.bool_ and b.asnumpy().tolist() == [True, False]
    assert np.bitwise_and(i, arr([1, 1, 1], "int64")).dtype == onp.int64
    for bad in (lambda: np.bitwise_xor(arr([1.0]), arr([1.0])), lambda: np.bitwise_not(arr([1.0])),
                lambda: np.bitwise_and(arr([1.0]), 1)):
        with pytest.raises(MXNetError, match="integer"):
            bad().asnumpy()


def test_lcm():
    i = arr([1, 4, -3], "int32")
    assert np.lcm(i, arr([2, 6, 4], "int32")).asnumpy().tolist() == [2, 12, 12]
    assert np.lcm(i, 6).asnumpy().tolist() == [6, 12, 6]
    with pytest.raises(MXNetError, match="integer"):
        np.lcm(arr([1.0]), arr([2.0])).asnumpy()


BINARY_EXTRA = [  # function, numpy reference, d/da, d/db
    (np.arctan2, onp.arctan2, lambda a, b: b / (a * a + b * b), lambda a, b: -a / (a * a + b * b)),
    (np.hypot, onp.hypot, lambda a, b: a / onp.hypot(a, b), lambda a, b: b / onp.hypot(a, b)),
    (np.copysign, onp.copysign, lambda a, b: onp.sign(a) * onp.sign(b), lambda a, b: 0 * a),
    (np.ldexp, lambda a, b: a * 2.0 ** b, lambda a, b: 2.0 ** b,
     lambda a, b: a * 2.0 ** b * onp.log(2)),
]


@pytest.mark.parametrize("fn,ref,da,db", BINARY_EXTRA, ids=[b[0].__name__ for b in BINARY_EXTRA])
def test_binary_extra_functions(fn, ref, da, db):
    rng = onp.random.default_rng(3)
    a = rng.uniform(-2, 2, (2, 3)).astype("float32")
    b = rng.uniform(-2, 2, (2, 3)).astype("float32")
    onp.testing.assert_allclose(fn(arr(a), arr(b)).asnumpy(), ref(a, b), rtol=1e-5)
    onp.testing.assert_allclose(fn(arr(a), 1.5).asnumpy(), ref(a, onp.float32(1.5)), rtol=1e-5)
    onp.testing.assert_allclose(fn(1.5, arr(b)).asnumpy(), ref(onp.float32(1.5), b), rtol=1e-5)
    ga, gb = grad_of(fn, arr(a), arr(b))
    onp.testing.assert_allclose(ga, da(a, b), rtol=1e-4, atol=1e-6)
    onp.testing.assert_allclose(gb, db(a, b), rtol=1e-4, atol=1e-6)
    (gs,) = grad_of(lambda x: fn(x, 1.5), arr(a))
    onp.testing.assert_allclose(gs, da(a, onp.float32(1.5)), rtol=1e-4, atol=1e-6)
    (gr,) = grad_of(lambda x: fn(1.5, x), arr(b))
    onp.testing.assert_allclose(gr, db(onp.float32(1.5), b), rtol=1e-4, atol=1e-6)


def test_binary_extra_integer_rules():
    i = arr([1, 4, -3], "int32")
    assert np.copysign(i, -1).asnumpy().tolist() == [-1, -4, -3]
    assert np.ldexp(i, i).asnumpy().tolist() == [2, 64, 0]
    for fn in (np.arctan2, np.hypot):
        with pytest.raises(MXNetError, match="floating point"):
            fn(i, i).asnumpy()
    # the scalar forms take integers, truncating the result (as MXNet)
    assert np.hypot(i, 3).asnumpy().tolist() == [3, 5, 4]
    assert np.arctan2(10, i).asnumpy().tolist() == [1, 1, 1]
    assert np.arctan2(arr([True], "bool"), 1).dtype == onp.int64


# -- clip, nan_to_num, where ---------------------------------------------------------

def test_clip():
    f = onp.array([1.5, -2.5, 3.0, onp.nan], dtype="float32")
    onp.testing.assert_array_equal(np.clip(arr(f), 0, 2).asnumpy(), [1.5, 0, 2, onp.nan])
    onp.testing.assert_array_equal(np.clip(arr(f), None, 2).asnumpy(), [1.5, -2.5, 2, onp.nan])
    assert np.clip(arr([1, 4, -3], "int32"), 0.5, 2.5).asnumpy().tolist() == [1, 2, 0]
    with pytest.raises(ValueError):
        np.clip(arr(f), None, None)
    with pytest.raises(TypeError):
        np.clip(arr(f), arr(f), 1)
    (g,) = grad_of(lambda x: np.clip(x, 0, 2), arr([-1.0, 0.0, 1.0, 2.0, 3.0]))
    assert g.tolist() == [0, 1, 1, 1, 0]


def test_nan_to_num():
    x = onp.array([onp.nan, onp.inf, -onp.inf, 1.0], dtype="float32")
    out = np.nan_to_num(arr(x))
    onp.testing.assert_array_equal(out.asnumpy(), onp.nan_to_num(x))
    out = np.nan_to_num(arr(x), nan=5, posinf=6, neginf=-6)
    assert out.asnumpy().tolist() == [5, 6, -6, 1]
    assert np.nan_to_num(arr([1, 2], "int32")).asnumpy().tolist() == [1, 2]
    a = arr(x)
    assert np.nan_to_num(a, copy=False) is a and a.asnumpy()[0] == 0
    (g,) = grad_of(np.nan_to_num, arr(x))
    assert g.tolist() == [0, 0, 0, 1]


def test_where():
    c = arr([True, False, True], "bool")
    x, y = arr([1.0, 2.0, 3.0]), arr([[10.0], [20.0]])
    out = np.where(c, x, y)
    assert out.shape == (2, 3)
    assert out.asnumpy().tolist() == [[1, 10, 3], [1, 20, 3]]
    assert np.where(arr([1.0, 0.0, 2.0]), x, 0).asnumpy().tolist() == [1, 0, 3]
    assert np.where(c, 7, x).asnumpy().tolist() == [7, 2, 7]
    both = np.where(c, 1, 0)
    assert both.dtype == onp.float32 and both.asnumpy().tolist() == [1, 0, 1]
    assert np.where(c, arr([1, 2, 3], "int32"), 0.5).dtype == onp.int32
    assert np.where(c, arr([1, 2, 3], "int32"), x).dtype == onp.float32
    gx, gy = grad_of(lambda a, b: np.where(c, a, b), arr([1.0, 2.0, 3.0]), arr([[10.0], [20.0]]))
    assert gx.tolist() == [2, 0, 2] and gy.tolist() == [[1], [1]]
    with pytest.raises(ValueError):
        np.where(c, x)


def test_host_functions_follow_numpy():
    f = onp.array([1.5, -0.0, -2.0, 0.0], dtype="float32")
    for fn, ref in ((np.positive, onp.positive), (np.signbit, onp.signbit),
                    (np.spacing, onp.spacing)):
        out = fn(arr(f))
        assert isinstance(out, np.ndarray) and out.dtype == ref(f).dtype
        onp.testing.assert_array_equal(out.asnumpy(), ref(f))
    onp.testing.assert_array_equal(np.heaviside(arr(f), 0.5).asnumpy(), onp.heaviside(f, 0.5))
    power = np.float_power(arr(f), 2)
    assert power.dtype == onp.float64


def test_closeness_and_selection_on_the_host():
    a = arr([1.0, 2.0, onp.nan])
    b = arr([1.0, 2.00001, onp.nan])
    assert np.allclose(a, b) is False and np.allclose(a, b, equal_nan=True) is True
    close = np.isclose(a, b)
    assert isinstance(close, np.ndarray) and close.asnumpy().tolist() == [True, True, False]
    assert np.array_equal(a, a, equal_nan=True) and not np.array_equal(a, b)
    assert np.array_equiv(arr([1.0, 2.0]), arr([[1.0, 2.0], [1.0, 2.0]]))
    chosen = np.select([np.greater(a, 1)], [a])
    assert chosen.asnumpy().tolist() == [0, 2, 0]


# -- the ops' inference rules agree with their kernels ----------------------------------

INFERENCE = [  # function of Symbols or arrays, input dtypes and shapes
    (lambda a, b: np.add(a, b), [("int8", (2, 1)), ("uint8", (3,))]),
    (lambda a, b: np.true_divide(a, b), [("int32", (2, 3)), ("int32", (3,))]),
    (lambda a, b: np.less(a, b), [("float16", (2, 3)), ("float32", (1, 3))]),
    (lambda a, b: np.power(a, b), [("bool", (4,)), ("bool", (4,))]),
    (lambda a, b: np.maximum(a, b), [("int64", (2, 3)), ("float16", (2, 3))]),
    (lambda a: np.add(a, 1.5), [("bool", (2, 2))]),
    (lambda a: np.true_divide(3, a), [("uint8", (2, 2))]),
    (lambda a: np.greater_equal(2.5, a), [("int32", (3,))]),
    (lambda a: np.hypot(a, 2), [("int8", (3,))]),
    (lambda a, b: np.bitwise_xor(a, b), [("int32", (3,)), ("int64", (1,))]),
    (lambda a: np.exp(a), [("int32", (2, 3))]),
    (lambda a: np.isnan(a), [("float16", (3,))]),
    (lambda a: np.clip(a, 0.5, 2.5), [("int32", (3,))]),
    (lambda a, b, c: np.where(a, b, c), [("bool", (2, 1)), ("int32", (3,)), ("float16", (2, 3))]),
    (lambda a, b: np.where(a, b, 1), [("float32", (3,)), ("uint8", (2, 3))]),
    (lambda a: np.where(a, 2, 3), [("int32", (3,))]),
    (lambda a: np.around(a, -1), [("int64", (2,))]),
    (lambda a: np.nan_to_num(a), [("float64", (2,))]),
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
