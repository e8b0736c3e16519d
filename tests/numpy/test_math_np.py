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


def test_scalar_rules_for_small_and_bool_dtypes():
    u = arr([1, 2, 3], "uint8")
    assert np.subtract(u, 2).asnumpy().tolist() == [255, 0, 1]
    assert np.add(u, 300).asnumpy().tolist() == [45, 46, 47]
    b = arr([True, False, True], "bool")
    out = np.add(b, 1)
    assert out.dtype == onp.float32 and out.asnumpy().tolist() == [2, 1, 2]
    assert np.maximum(b, 0.5).dtype == onp.float32
    assert np.equal(b, 2).asnumpy().tolist() == [True, False, True]  # 2 -> True
    h = np.add(arr([1, 2], "float16"), 1.5)
    assert h.dtype == onp.float16 and h.asnumpy().tolist() == [2.5, 3.5]


@pytest.mark.parametrize("fn,expected", [
    (np.subtract, [1, 0, 5]), (np.true_divide, [2, 1, -2 / 3]), (np.mod, [0, 0, -1]),
    (np.power, [2, 4, 0]), (np.less_equal, [False, True, False]), (np.greater_equal, [True, True, True]),
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


def test_integer_input_gets_zero_gradient():
    xi = arr([1, 2, 3], "int32")
    xf = arr([1, 2, 3], "float32")
    gi, gf = grad_of(np.multiply, xi, xf)
    assert gi.tolist() == [0, 0, 0]
    assert gf.tolist() == [1, 2, 3]


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
