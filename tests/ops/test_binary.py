"""Binary elementwise operators (same-shape, broadcast and scalar forms):
values, dtypes, gradients, MXNet's integer rules and its aliases."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, nd_func, run_case
from .test_unary import assert_matches_oracle, oracle_cases

rng = np.random.default_rng(5)
A = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
B = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
COL = rng.uniform(0.5, 2.0, (3, 1)).astype(np.float32)
S = rng.uniform(-2, 2, (3, 4)).astype(np.float32)
I32 = np.array([-7, -7, 7, 7, 5, 0, 9], np.int32)
J32 = np.array([2, -2, 2, -2, 0, 0, 4], np.int32)
U8 = np.array([0, 1, 7, 200, 255], np.uint8)


def cast_like(fn):
    """A reference that keeps the dtype of the first operand."""
    return lambda a, b: fn(a, b).astype(a.dtype)


def scalar_ref(fn, reverse=False):
    """Reference for a scalar op: the scalar takes the array's dtype first."""
    def ref(a, scalar):
        s = a.dtype.type(scalar)
        return (fn(s, a) if reverse else fn(a, s)).astype(a.dtype)
    return ref


ARITHMETIC = [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
              ("div", np.divide)]
OTHER = [("mod", np.mod), ("power", np.power), ("maximum", np.maximum),
         ("minimum", np.minimum), ("hypot", np.hypot)]
COMPARE = [("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater),
           ("greater_equal", np.greater_equal), ("lesser", np.less),
           ("lesser_equal", np.less_equal), ("logical_and", np.logical_and),
           ("logical_or", np.logical_or), ("logical_xor", np.logical_xor)]

GRAD_CASES = (
    [Case(f"elemwise_{n}", [A, B], ref=f, grad=True) for n, f in ARITHMETIC]
    + [Case(f"broadcast_{n}", [A, COL], ref=f, grad=True) for n, f in ARITHMETIC + OTHER]
    + [Case(f"_internal._{n}", [A, B], ref=f, grad=True, rtol=1e-4) for n, f in OTHER]
    + [Case(f"broadcast_{n}", [S, np.round(S)], ref=cast_like(f), grad=True)
       for n, f in COMPARE]
    + [Case(f"_internal._{n}", [S, np.round(S)], ref=cast_like(f)) for n, f in COMPARE]
)

SCALAR_CASES = [
    Case("_internal._plus_scalar", [S], {"scalar": 1.5}, ref=scalar_ref(np.add), grad=True),
    Case("_internal._minus_scalar", [S], {"scalar": 1.5}, ref=scalar_ref(np.subtract),
         grad=True),
    Case("_internal._rminus_scalar", [S], {"scalar": 1.5},
         ref=scalar_ref(np.subtract, reverse=True), grad=True),
    Case("_internal._mul_scalar", [S], {"scalar": -2.5}, ref=scalar_ref(np.multiply),
         grad=True),
    Case("_internal._div_scalar", [S], {"scalar": -2.5}, ref=scalar_ref(np.divide), grad=True),
    Case("_internal._rdiv_scalar", [A], {"scalar": 3.0},
         ref=scalar_ref(np.divide, reverse=True), grad=True),
    Case("_internal._mod_scalar", [A * 3], {"scalar": 1.3}, ref=scalar_ref(np.mod), grad=True),
    Case("_internal._rmod_scalar", [A], {"scalar": 3.7}, ref=scalar_ref(np.mod, reverse=True),
         grad=True),
    Case("_internal._power_scalar", [A], {"scalar": 2.5}, ref=scalar_ref(np.power), grad=True),
    Case("_internal._rpower_scalar", [S], {"scalar": 2.5},
         ref=scalar_ref(np.power, reverse=True), grad=True, rtol=1e-4),
    Case("_internal._maximum_scalar", [S], {"scalar": 0.3}, ref=scalar_ref(np.maximum),
         grad=True),
    Case("_internal._minimum_scalar", [S], {"scalar": 0.3}, ref=scalar_ref(np.minimum),
         grad=True),
    Case("_internal._hypot_scalar", [S], {"scalar": 1.5}, ref=scalar_ref(np.hypot), grad=True),
    Case("_internal._greater_scalar", [S], {"scalar": 0.3}, ref=scalar_ref(np.greater),
         grad=True),
    Case("_internal._lesser_equal_scalar", [S], {"scalar": 0.3},
         ref=scalar_ref(np.less_equal)),
    Case("_internal._logical_xor_scalar", [np.round(S)], {"scalar": 0.0},
         ref=scalar_ref(np.logical_xor)),
]

INTEGER_CASES = [
    Case("broadcast_div", [I32, J32], ref=lambda a, b: np.array([-3, 3, 3, -3, 0, 0, 2], np.int32),
         id="int-division-truncates-and-zero-divisor-gives-0"),
    Case("broadcast_mod", [I32, J32], ref=lambda a, b: np.array([1, -1, 1, -1, 0, 0, 1], np.int32),
         id="int-mod-has-the-sign-of-the-divisor-and-zero-divisor-gives-0"),
    Case("broadcast_power", [np.array([2, 3, -2, 5], np.int32), np.array([3, -1, 2, 0], np.int32)],
         ref=lambda a, b: np.array([8, 0, 4, 1], np.int32), id="int-power-negative-exponent"),
    Case("broadcast_hypot", [np.array([3, -7, 100], np.int32), np.array([4, 2, 0], np.int32)],
         ref=lambda a, b: np.array([5, 7, 100], np.int32), id="int-hypot-stays-int"),
    Case("broadcast_greater", [I32, J32], ref=cast_like(np.greater), id="int-compare-is-int"),
    Case("broadcast_add", [np.array([100, 100], np.int8), np.array([100, 27], np.int8)],
         ref=lambda a, b: np.array([-56, 127], np.int8), id="int8-add-wraps"),
    Case("_internal._plus_scalar", [I32], {"scalar": 1.9}, ref=lambda a, scalar: a + 1,
         id="int-scalar-truncates"),
    Case("_internal._plus_scalar", [U8], {"scalar": -1.5},
         ref=lambda a, scalar: np.array([255, 0, 6, 199, 254], np.uint8),
         id="uint8-negative-scalar-wraps-around"),
    Case("_internal._rdiv_scalar", [np.array([1, 2, -3, 4], np.int32)], {"scalar": 7.9},
         ref=lambda a, scalar: np.array([7, 3, -2, 1], np.int32), id="int-rdiv-truncates"),
    Case("_internal._power_scalar", [np.array([5, -5, 2], np.int32)], {"scalar": 0.5},
         ref=lambda a, scalar: np.array([1, 1, 1], np.int32), id="int-power-scalar-truncated"),
    Case("_internal._mod_scalar", [np.array([1.0, 2.0], np.float16)], {"scalar": 0.0},
         ref=lambda a, scalar: np.zeros(2, np.float16), id="float-mod-by-zero-gives-0"),
    Case("broadcast_add", [A.astype(np.float16), COL.astype(np.float16)], ref=np.add,
         rtol=1e-3, id="float16-add"),
    Case("broadcast_mul", [A.astype(np.float64), COL.astype(np.float64)], ref=np.multiply,
         grad=True, id="float64-mul"),
]

ALL = GRAD_CASES + SCALAR_CASES + INTEGER_CASES


@pytest.mark.parametrize("case", ALL, ids=str)
def test_binary_case(case):
    run_case(case)


@pytest.mark.parametrize("case", ALL[::4], ids=str)
def test_binary_case_pushed_through_the_engine(case, monkeypatch):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)
    run_case(case)


SCALAR_ORACLE = oracle_cases("elemwise_scalar.npz")


@pytest.mark.parametrize("key,x,expected", SCALAR_ORACLE, ids=[c[0] for c in SCALAR_ORACLE])
def test_integer_scalar_ops_match_mxnet(key, x, expected):
    name, _, scalar = key.split("|")
    fn = nd_func(f"_internal.{name}")
    got = fn(mx.nd.array(x, dtype=x.dtype), scalar=float(scalar)).asnumpy()
    exact = fn(mx.nd.array(x, dtype="float64"), scalar=float(scalar)).asnumpy()
    assert_matches_oracle(key, got, expected, exact)


@pytest.mark.parametrize("name,lhs,rhs", [
    ("broadcast_mul", A, COL), ("broadcast_div", A, COL), ("broadcast_power", A, B),
    ("broadcast_hypot", A, B),
])
def test_second_derivatives_of_binary_ops(name, lhs, rhs):
    fn = nd_func(name)

    def grads(x, y, create_graph=False):
        x, y = mx.nd.array(x, dtype="float64"), mx.nd.array(y, dtype="float64")
        x.attach_grad()
        y.attach_grad()
        with mx.autograd.record():
            out = fn(x, y)
            gx, gy = mx.autograd.grad(out, [x, y], create_graph=create_graph)
        return x, y, gx, gy

    x, y, gx, _ = grads(lhs, rhs, create_graph=True)
    gx.backward()
    h = 1e-5
    plus = grads(lhs.astype(np.float64) + h, rhs)[2].asnumpy()
    minus = grads(lhs.astype(np.float64) - h, rhs)[2].asnumpy()
    np.testing.assert_allclose(x.grad.asnumpy(), (plus - minus) / (2 * h), rtol=1e-4, atol=1e-6)


# -- bad input -------------------------------------------------------------------

@pytest.mark.parametrize("async_min_size", [1 << 16, 0], ids=["inline", "pushed"])
@pytest.mark.parametrize("name", ["elemwise_add", "broadcast_add", "_internal._power",
                                  "broadcast_equal"])
def test_operands_of_different_dtypes_are_rejected(name, async_min_size, monkeypatch):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", async_min_size)
    op = name.split(".")[-1]
    with pytest.raises(MXNetError, match=f"{op}: .*same dtype.*float32.*int32"):
        nd_func(name)(mx.nd.ones(2), mx.nd.ones(2, dtype="int32")).asnumpy()


@pytest.mark.parametrize("async_min_size", [1 << 16, 0], ids=["inline", "pushed"])
def test_elemwise_forms_do_not_broadcast(async_min_size, monkeypatch):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", async_min_size)
    with pytest.raises(MXNetError, match=r"elemwise_mul: .*same shape.*\(3,\).*\(1,\)"):
        mx.nd.elemwise_mul(mx.nd.ones(3), mx.nd.ones(1)).asnumpy()


def test_incompatible_broadcast_shapes_are_rejected():
    with pytest.raises(MXNetError, match="broadcast_add"):
        mx.nd.broadcast_add(mx.nd.ones((2, 3)), mx.nd.ones((3, 2))).asnumpy()


def test_scalar_must_be_a_number():
    with pytest.raises(MXNetError, match="_plus_scalar: argument 'scalar' expects a number"):
        mx.nd._internal._plus_scalar(mx.nd.ones(2), scalar="two")


# -- names -------------------------------------------------------------------------

ALIASES = {
    "elemwise_add": ["_add", "_plus", "_Plus", "_grad_add"],
    "elemwise_sub": ["_sub", "_minus", "_Minus"],
    "elemwise_mul": ["_mul", "_Mul"],
    "elemwise_div": ["_div", "_Div", "_scatter_elemwise_div"],
    "broadcast_add": ["broadcast_plus"], "broadcast_sub": ["broadcast_minus"],
    "_mod": ["_Mod"], "_power": ["_Power"], "_maximum": ["_Maximum"],
    "_minimum": ["_Minimum"], "_hypot": ["_Hypot"], "_equal": ["_Equal"],
    "_not_equal": ["_Not_Equal"], "_greater": ["_Greater"],
    "_greater_equal": ["_Greater_Equal"], "_lesser": ["_Lesser"],
    "_lesser_equal": ["_Lesser_Equal"], "_logical_and": ["_Logical_And"],
    "_logical_or": ["_Logical_Or"], "_logical_xor": ["_Logical_Xor"],
    "_plus_scalar": ["_PlusScalar", "_scatter_plus_scalar"],
    "_minus_scalar": ["_MinusScalar", "_scatter_minus_scalar"],
    "_rminus_scalar": ["_RMinusScalar"], "_mul_scalar": ["_MulScalar"],
    "_div_scalar": ["_DivScalar"], "_rdiv_scalar": ["_RDivScalar"],
    "_mod_scalar": ["_ModScalar"], "_rmod_scalar": ["_RModScalar"],
    "_power_scalar": ["_PowerScalar"], "_rpower_scalar": ["_RPowerScalar"],
    "_maximum_scalar": ["_MaximumScalar"], "_minimum_scalar": ["_MinimumScalar"],
    "_hypot_scalar": ["_HypotScalar"], "_equal_scalar": ["_EqualScalar"],
    "_not_equal_scalar": ["_NotEqualScalar"], "_greater_scalar": ["_GreaterScalar"],
    "_greater_equal_scalar": ["_GreaterEqualScalar"], "_lesser_scalar": ["_LesserScalar"],
    "_lesser_equal_scalar": ["_LesserEqualScalar"],
    "_logical_and_scalar": ["_LogicalAndScalar"], "_logical_or_scalar": ["_LogicalOrScalar"],
    "_logical_xor_scalar": ["_LogicalXorScalar"],
}


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_mxnet_aliases_name_the_same_operator(name):
    from mxnet.ops import registry
    op = registry.get(name)
    for alias in ALIASES[name]:
        assert registry.get(alias) is op, alias
