"""Table of the core elementwise, reduction and shape cases."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

rng = np.random.default_rng(42)
A = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
B = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
ROW = rng.uniform(0.5, 2.0, (1, 4)).astype(np.float32)
I32 = np.array([[-3, 3], [-7, 7]], dtype=np.int32)
J32 = np.array([[2, -2], [1, 3]], dtype=np.int32)

CASES = [
    Case("elemwise_add", [A, B], ref=np.add, grad=True),
    Case("broadcast_add", [A, ROW], ref=np.add, grad=True),
    Case("broadcast_sub", [A, ROW], ref=np.subtract, grad=True),
    Case("broadcast_mul", [A, ROW], ref=np.multiply, grad=True),
    Case("broadcast_div", [A, ROW], ref=np.divide, grad=True),
    Case("broadcast_power", [A, ROW], ref=np.power, grad=True, rtol=1e-4),
    Case("broadcast_maximum", [A, B], ref=np.maximum, grad=True),
    Case("broadcast_div", [I32, J32], ref=lambda a, b: np.trunc(a / b).astype(np.int32),
         id="int-division-truncates"),
    Case("broadcast_mod", [I32, J32], ref=np.mod, id="int-mod-sign-of-divisor"),
    Case("broadcast_greater", [A, B], ref=lambda a, b: (a > b).astype(a.dtype)),
    Case("_internal._plus_scalar", [A], {"scalar": 2.5}, ref=lambda a, scalar: a + np.float32(scalar),
         grad=True),
    Case("_internal._rminus_scalar", [A], {"scalar": 2.5}, ref=lambda a, scalar: np.float32(scalar) - a,
         grad=True),
    Case("_internal._rdiv_scalar", [A], {"scalar": 2.0}, ref=lambda a, scalar: np.float32(scalar) / a,
         grad=True),
    Case("_internal._power_scalar", [A], {"scalar": 3.0}, ref=lambda a, scalar: a ** 3, grad=True,
         rtol=1e-4),
    Case("_internal._plus_scalar", [I32], {"scalar": 1.5}, ref=lambda a, scalar: a + 1,
         id="int-plus-float-scalar-truncates-scalar"),
    Case("exp", [A], ref=np.exp, grad=True),
    Case("log", [A], ref=np.log, grad=True),
    Case("sqrt", [A], ref=np.sqrt, grad=True),
    Case("tanh", [A], ref=np.tanh, grad=True),
    Case("sigmoid", [A], ref=lambda a: 1 / (1 + np.exp(-a)), grad=True),
    Case("relu", [A - 1.25], ref=lambda a: np.maximum(a, 0), grad=True),
    Case("round", [np.array([-2.5, -0.5, 0.5, 1.5], np.float32)],
         ref=lambda a: np.array([-3, -1, 1, 2], np.float32), id="round-half-away-from-zero"),
    Case("sum", [A], {"axis": 1}, ref=lambda a, axis: a.sum(axis=axis), grad=True),
    Case("sum", [A], ref=lambda a: a.sum().reshape(1), grad=True, id="sum-all-gives-shape-1"),
    Case("mean", [A], {"axis": 0, "keepdims": True},
         ref=lambda a, axis, keepdims: a.mean(axis=axis, keepdims=True), grad=True),
    Case("max", [A], {"axis": 1}, ref=lambda a, axis: a.max(axis=axis), grad=True),
    Case("sum", [A], {"axis": 1, "exclude": True},
         ref=lambda a, axis, exclude: a.sum(axis=0), id="sum-exclude"),
    Case("Reshape", [A], {"shape": (-1,)}, ref=lambda a, shape: a.reshape(-1), grad=True),
    Case("transpose", [A], ref=lambda a: a.T, grad=True),
    Case("broadcast_to", [ROW], {"shape": (3, 4)},
         ref=lambda a, shape: np.broadcast_to(a, shape), grad=True),
    Case("Cast", [A], {"dtype": "int32"}, ref=lambda a, dtype: a.astype(np.int32)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    run_case(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case_pushed_through_the_engine(case, monkeypatch):
    """The async path (inferred outputs, kernel on a worker) gives the same results."""
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)
    run_case(case)


def test_missing_input_is_named():
    with pytest.raises(MXNetError, match=r"broadcast_add: missing input 'rhs'"):
        mx.nd.broadcast_add(mx.nd.ones((2,)))


def test_kernel_errors_on_bad_shapes_use_the_inference_rule_wording():
    from mxnet.ops import registry
    op = registry.get("broadcast_lesser")
    with pytest.raises(MXNetError) as rule:
        op.infer_shape(op.default_attrs(), [(2, 3), (4,)])
    with pytest.raises(MXNetError) as call:
        mx.nd.broadcast_lesser(mx.nd.ones((2, 3)), mx.nd.ones((4,)))
    assert str(call.value) == str(rule.value)
