"""Unary elementwise operators: values, dtypes, gradients (first and second
order) against NumPy and, for float16, integer and special-function inputs,
against MXNet 1.9.1's own answers (tests/fixtures/ops/elemwise_unary.npz)."""
import math
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.ops import unary

from .harness import Case, nd_func, run_case

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops")

rng = np.random.default_rng(3)
X = rng.uniform(-2, 2, (2, 4)).astype(np.float32)
AWAY = (np.sign(X) * (np.abs(X) + 0.3)).astype(np.float32)   # no element near 0
POS = rng.uniform(0.5, 2.5, (2, 4)).astype(np.float32)
UNIT = rng.uniform(-0.8, 0.8, (2, 4)).astype(np.float32)
FRAC = (np.floor(X * 2) / 2 + 0.2).astype(np.float32)        # far from integers and halves
GAMMA_X = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 3.2], np.float32)


def vec(fn):
    """A float32 NumPy reference from a float -> float ``math`` function."""
    return lambda a: np.vectorize(fn, otypes=[np.float64])(a).astype(a.dtype)


def np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


GRAD_CASES = [
    Case("negative", [X], ref=np.negative, grad=True),
    Case("abs", [AWAY], ref=np.abs, grad=True),
    Case("sign", [AWAY], ref=np.sign, grad=True),
    Case("square", [X], ref=np.square, grad=True),
    Case("sqrt", [POS], ref=np.sqrt, grad=True),
    Case("rsqrt", [POS], ref=lambda a: 1 / np.sqrt(a), grad=True),
    Case("cbrt", [AWAY], ref=np.cbrt, grad=True),
    Case("rcbrt", [POS], ref=lambda a: 1 / np.cbrt(a), grad=True),
    Case("exp", [X], ref=np.exp, grad=True),
    Case("expm1", [X], ref=np.expm1, grad=True),
    Case("log", [POS], ref=np.log, grad=True),
    Case("log10", [POS], ref=np.log10, grad=True),
    Case("log2", [POS], ref=np.log2, grad=True),
    Case("log1p", [POS], ref=np.log1p, grad=True),
    Case("reciprocal", [AWAY], ref=np.reciprocal, grad=True),
    Case("sin", [X], ref=np.sin, grad=True),
    Case("cos", [X], ref=np.cos, grad=True),
    Case("tan", [UNIT], ref=np.tan, grad=True),
    Case("arcsin", [UNIT], ref=np.arcsin, grad=True),
    Case("arccos", [UNIT], ref=np.arccos, grad=True),
    Case("arctan", [X], ref=np.arctan, grad=True),
    Case("sinh", [X], ref=np.sinh, grad=True),
    Case("cosh", [X], ref=np.cosh, grad=True),
    Case("tanh", [X], ref=np.tanh, grad=True),
    Case("arcsinh", [X], ref=np.arcsinh, grad=True),
    Case("arccosh", [POS + 1], ref=np.arccosh, grad=True),
    Case("arctanh", [UNIT], ref=np.arctanh, grad=True),
    Case("degrees", [X], ref=np.degrees, grad=True),
    Case("radians", [X], ref=np.radians, grad=True),
    Case("sigmoid", [X], ref=np_sigmoid, grad=True),
    Case("softsign", [AWAY], ref=lambda a: a / (1 + np.abs(a)), grad=True),
    Case("relu", [AWAY], ref=lambda a: np.maximum(a, 0), grad=True),
    Case("floor", [FRAC], ref=np.floor, grad=True),
    Case("ceil", [FRAC], ref=np.ceil, grad=True),
    Case("trunc", [FRAC], ref=np.trunc, grad=True),
    Case("fix", [FRAC], ref=np.trunc, grad=True),
    Case("rint", [FRAC], ref=np.rint, grad=True),
    Case("round", [FRAC], ref=np.round, grad=True),
    Case("logical_not", [np.array([0, 1.5, -2, 0], np.float32)],
         ref=lambda a: (a == 0).astype(a.dtype), grad=True),
    Case("identity", [X], ref=lambda a: a.copy(), grad=True),
    Case("_internal._copy", [X], ref=lambda a: a.copy(), grad=True),
    Case("erf", [X], ref=vec(math.erf), grad=True),
    Case("erfinv", [UNIT], grad=True),
    Case("gamma", [GAMMA_X], ref=vec(math.gamma), grad=True, rtol=1e-4),
    Case("gammaln", [POS], ref=vec(math.lgamma), grad=True),
    Case("gammaln", [GAMMA_X], ref=vec(math.lgamma), grad=True, rtol=1e-4,
         id="gammaln-of-negative-non-integers"),
]

VALUE_CASES = [
    Case("rint", [np.array([-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -0.2], np.float32)],
         ref=lambda a: np.array([-4, -3, -2, -1, 0, 1, 2, 3, -0.0], np.float32),
         id="rint-sends-halves-down"),
    Case("round", [np.array([-2.5, -0.5, 0.5, 1.5, 2.5, 0.49999997], np.float32)],
         ref=lambda a: np.array([-3, -1, 1, 2, 3, 0], np.float32),
         id="round-sends-halves-away-from-zero"),
    Case("round", [np.array([-2.5, 0.5, 2.5], np.float64)],
         ref=lambda a: np.array([-3, 1, 3], np.float64), id="round-float64"),
    Case("floor", [np.array([2 ** 40 + 3, -(2 ** 53) - 1], np.int64)],
         ref=lambda a: a.copy(), id="rounding-keeps-integers-exact"),
    Case("square", [np.array([46341, 3037000500], np.int64)],
         ref=lambda a: np.array([2147488256, 9223371487098961920], np.int64),
         id="square-of-integers-goes-through-float32"),
    Case("sqrt", [np.array([4, 9, 2, 16], np.int32)],
         ref=lambda a: np.array([2, 3, 1, 4], np.int32), id="sqrt-int-truncates"),
    Case("degrees", [np.array([1.0, 3.0], np.float64)],
         ref=lambda a: np.array([57.2957763671875, 171.8873291015625]),
         id="degrees-float64-uses-the-float32-constant"),
    Case("sigmoid", [X.astype(np.float16)],
         ref=lambda a: np_sigmoid(a.astype(np.float32)).astype(np.float16),
         id="float16-computed-in-float32"),
    Case("exp", [X.astype(np.float64)], ref=np.exp, grad=True, id="exp-float64"),
    Case("relu", [np.array([-3, 0, 4], np.int8)], ref=lambda a: np.maximum(a, 0).astype(a.dtype)),
    Case("abs", [np.array([-128, -1, 5], np.int8)], ref=np.abs, id="abs-int8-wraps"),
    Case("erf", [np.array([[0.5, -1.0], [2.0, 0.0]], np.float32)], ref=vec(math.erf),
         id="erf-keeps-shape"),
]


@pytest.mark.parametrize("case", GRAD_CASES + VALUE_CASES, ids=str)
def test_unary_case(case):
    run_case(case)


@pytest.mark.parametrize("case", GRAD_CASES[::5] + VALUE_CASES[:4], ids=str)
def test_unary_case_pushed_through_the_engine(case, monkeypatch):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)
    run_case(case)


def test_erfinv_inverts_erf():
    y = mx.nd.erfinv(mx.nd.array(UNIT, dtype="float64"))
    np.testing.assert_allclose(mx.nd.erf(y).asnumpy(), UNIT, rtol=1e-6, atol=1e-7)


# -- second derivatives ----------------------------------------------------------

def first_derivative(name, x):
    v = mx.nd.array(x, dtype="float64")
    v.attach_grad()
    with mx.autograd.record():
        y = nd_func(name)(v)
    y.backward()
    return v.grad.asnumpy()


@pytest.mark.parametrize("name,x", [
    ("exp", X), ("sin", X), ("tanh", X), ("sigmoid", X), ("log", POS), ("sqrt", POS),
    ("reciprocal", AWAY), ("arctan", X), ("erf", X), ("erfinv", UNIT), ("gamma", GAMMA_X),
    ("gammaln", GAMMA_X), ("softsign", AWAY), ("square", X),
])
def test_second_derivative_matches_differences_of_the_first(name, x):
    v = mx.nd.array(x, dtype="float64")
    v.attach_grad()
    with mx.autograd.record():
        y = nd_func(name)(v)
        (dy,) = mx.autograd.grad(y, [v], create_graph=True)
    dy.backward()
    h = 1e-5
    x64 = x.astype(np.float64)
    expected = (first_derivative(name, x64 + h) - first_derivative(name, x64 - h)) / (2 * h)
    np.testing.assert_allclose(v.grad.asnumpy(), expected, rtol=1e-4, atol=1e-6)


# -- MXNet's answers for float16, integer and special-function inputs --------------

def oracle_cases(filename):
    """(key, input, MXNet's output) for every case of a fixture file."""
    data = np.load(os.path.join(FIXTURES, filename))
    cases = []
    for dtype in sorted({k.split("|")[0] for k in data.files}):
        start = 0
        ins, outs = data[f"{dtype}|in"], data[f"{dtype}|out"]
        for key, size in zip(data[f"{dtype}|keys"], data[f"{dtype}|sizes"]):
            cases.append((str(key), ins[start:start + size], outs[start:start + size]))
            start += size
    return cases


def assert_matches_oracle(key, got, expected, exact_float64):
    """Integers must agree exactly, except by one where the exact value sits
    within float32 rounding of an integer (truncation can go either way)."""
    assert got.dtype == expected.dtype, f"{key}: dtype {got.dtype}, expected {expected.dtype}"
    if got.dtype.kind == "f":
        rtol = 2e-3 if got.dtype == np.float16 else 1e-5
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * 1e-3, err_msg=key)
        return
    diff = np.abs(got.astype(np.int64) - expected.astype(np.int64))
    near_integer = np.abs(exact_float64 - np.round(exact_float64)) <= 1e-5 * np.abs(exact_float64)
    bad = (diff > 1) | ((diff == 1) & ~near_integer)
    assert not bad.any(), f"{key}: got {got[bad]}, MXNet gave {expected[bad]} for the same inputs"


UNARY_ORACLE = oracle_cases("elemwise_unary.npz")


@pytest.mark.parametrize("key,x,expected", UNARY_ORACLE, ids=[c[0] for c in UNARY_ORACLE])
def test_unary_matches_mxnet(key, x, expected):
    name = key.split("|")[0]
    got = nd_func(name)(mx.nd.array(x, dtype=x.dtype)).asnumpy()
    exact = nd_func(name)(mx.nd.array(x, dtype="float64")).asnumpy()
    assert_matches_oracle(key, got, expected, exact)


SPECIAL_ORACLE = [c for c in UNARY_ORACLE if c[0].split("|")[1].startswith("float")
                  and c[0].split("|")[0] in ("erf", "erfinv", "gamma", "gammaln")]


@pytest.fixture(params=["scipy", "fallback"])
def special_backend(request, monkeypatch):
    """Run a test with scipy.special and again with the NumPy fallback."""
    if request.param == "scipy":
        pytest.importorskip("scipy.special")
    else:
        monkeypatch.setattr(unary, "_scipy_function", lambda module, name: None)
    return request.param


@pytest.mark.parametrize("key,x,expected", SPECIAL_ORACLE, ids=[c[0] for c in SPECIAL_ORACLE])
def test_special_functions_match_mxnet(key, x, expected, special_backend):
    name, dtype = key.split("|")
    got = nd_func(name)(mx.nd.array(x, dtype=dtype)).asnumpy()
    assert got.dtype == expected.dtype
    # Poles, infinities and nan must be the same; finite values agree to float precision.
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(expected), err_msg=key)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=key)
    inf = np.isinf(expected)
    np.testing.assert_array_equal(np.sign(got[inf]), np.sign(expected[inf]), err_msg=key)
    fin = np.isfinite(expected)
    rtol = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-10}[dtype]
    np.testing.assert_allclose(got[fin], expected[fin], rtol=rtol, atol=rtol, err_msg=key)


def test_special_function_gradients_without_scipy(monkeypatch):
    monkeypatch.setattr(unary, "_scipy_function", lambda module, name: None)
    for name, x in (("erf", X), ("erfinv", UNIT), ("gamma", GAMMA_X), ("gammaln", POS)):
        run_case(Case(name, [x], grad=True))


# -- bad input -------------------------------------------------------------------

def test_unknown_argument_is_rejected_with_the_op_name():
    with pytest.raises(MXNetError, match="sqrt: unknown argument 'axis'"):
        mx.nd.sqrt(mx.nd.ones(2), axis=1)


def test_non_ndarray_input_is_rejected():
    with pytest.raises(MXNetError, match="erf: argument 'data' must be an NDArray"):
        mx.nd.erf([1.0, 2.0])


def test_every_unary_op_of_mxnet_is_registered():
    names = ["negative", "abs", "sign", "square", "sqrt", "rsqrt", "cbrt", "rcbrt", "exp",
             "expm1", "log", "log10", "log2", "log1p", "reciprocal", "sin", "cos", "tan",
             "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
             "arctanh", "degrees", "radians", "sigmoid", "softsign", "relu", "floor", "ceil",
             "trunc", "fix", "rint", "round", "logical_not", "identity", "erf", "erfinv",
             "gamma", "gammaln"]
    missing = [n for n in names if not hasattr(mx.nd, n)]
    assert not missing
    assert mx.nd.identity.op is mx.nd._internal._copy.op
