"""Fused backward operators used by gradient rules (fewer ops per backward).

Each is checked against the unfused formula it replaces, its own gradient
(second order) against finite differences through the harness, and its
argument checks.
"""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

rng = np.random.default_rng(7)
G = rng.normal(size=(4, 5))
# Away from relu's kink at 0, where finite differences break.
Y = np.where(np.abs(G) < 0.1, 0.5, rng.normal(size=(4, 5)))
P = np.exp(Y) / np.exp(Y).sum(axis=-1, keepdims=True)  # a softmax output
LOGP = np.log(P)

ACTIVATION = {"relu": lambda g, y: g * (y > 0),
              "sigmoid": lambda g, y: g * y * (1 - y),
              "tanh": lambda g, y: g * (1 - y * y)}


def log_softmax_backward(g, y, axis=-1):
    return g - np.exp(y) * g.sum(axis=axis, keepdims=True)


def softmax_backward(g, y, axis=-1):
    return y * (g - (g * y).sum(axis=axis, keepdims=True))


CASES = [Case("_internal._backward_Activation", [G, Y], {"act_type": kind},
              lambda g, y, act_type: ACTIVATION[act_type](g, y), grad=True,
              id=f"backward_Activation-{kind}") for kind in ACTIVATION]
CASES += [
    Case("_internal._backward_log_softmax", [G, LOGP], {}, log_softmax_backward, grad=True),
    Case("_internal._backward_log_softmax", [G, LOGP], {"axis": 0},
         log_softmax_backward, grad=True, id="backward_log_softmax-axis0"),
    Case("_internal._backward_softmax", [G, P], {}, softmax_backward, grad=True),
    Case("_internal._backward_softmax", [G, P], {"axis": 0}, softmax_backward, grad=True,
         id="backward_softmax-axis0"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fused_backward_op_values_and_second_order_gradients(case):
    run_case(case)


@pytest.mark.parametrize("kind", sorted(ACTIVATION))
def test_activation_gradient_equals_the_unfused_formula_exactly(kind):
    x = mx.nd.array(rng.normal(size=(6, 7)).astype(np.float32))
    head = rng.normal(size=(6, 7)).astype(np.float32)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Activation(x, act_type=kind)
    y.backward(mx.nd.array(head))
    expect = ACTIVATION[kind](head, y.asnumpy())
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.asnumpy(), expect)


@pytest.mark.parametrize("op, ref", [("log_softmax", log_softmax_backward),
                                     ("softmax", softmax_backward)])
def test_softmax_gradients_match_the_formula_from_the_output(op, ref):
    x = mx.nd.array(rng.normal(size=(3, 4, 5)).astype(np.float32))
    head = rng.normal(size=(3, 4, 5)).astype(np.float32)
    x.attach_grad()
    with mx.autograd.record():
        y = getattr(mx.nd, op)(x, axis=1)
    y.backward(mx.nd.array(head))
    np.testing.assert_allclose(x.grad.asnumpy(), ref(head, y.asnumpy(), axis=1),
                               rtol=1e-5, atol=1e-6)


def test_float16_softmax_backward_is_computed_in_float32():
    g = rng.normal(size=(2, 8)).astype(np.float16)
    y = np.log(P[:2, :].repeat(2, axis=1)[:, :8]).astype(np.float16)
    out = mx.nd._internal._backward_log_softmax(mx.nd.array(g, dtype="float16"),
                                                mx.nd.array(y, dtype="float16"))
    assert out.dtype == np.float16
    expect = log_softmax_backward(g.astype(np.float32), y.astype(np.float32))
    np.testing.assert_array_equal(out.asnumpy(), expect.astype(np.float16))


def test_second_derivative_of_sigmoid_through_create_graph():
    xv = rng.normal(size=(5,))
    x = mx.nd.array(xv, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Activation(x, act_type="sigmoid")
        (dy,) = mx.autograd.grad(y, [x], create_graph=True)
        z = dy.sum()
    z.backward()
    s = 1 / (1 + np.exp(-xv))
    np.testing.assert_allclose(dy.asnumpy(), s * (1 - s), rtol=1e-10)
    np.testing.assert_allclose(x.grad.asnumpy(), s * (1 - s) * (1 - 2 * s), rtol=1e-8)


@pytest.mark.parametrize("op, kwargs", [("_backward_Activation", {"act_type": "relu"}),
                                        ("_backward_log_softmax", {}),
                                        ("_backward_softmax", {})])
def test_fused_backward_rejects_mismatched_or_integer_inputs(op, kwargs):
    fn = getattr(mx.nd._internal, op)
    g = mx.nd.ones((2, 3))
    with pytest.raises(MXNetError, match="must match 'output'"):
        fn(g, mx.nd.ones((3, 2)), **kwargs).wait_to_read()
    with pytest.raises(MXNetError, match="floating point"):
        fn(mx.nd.ones((2, 3), dtype="int32"), mx.nd.ones((2, 3), dtype="int32"),
           **kwargs).wait_to_read()


def test_backward_activation_only_takes_output_determined_activations():
    with pytest.raises(MXNetError, match="act_type"):
        mx.nd._internal._backward_Activation(mx.nd.ones(2), mx.nd.ones(2), act_type="softrelu")


# -- reductions: one op broadcasts (and for mean divides) the reduced gradient ----

def mean_backward(g, axis, shape, keepdims=False):
    kept = tuple(1 if i in axis else d for i, d in enumerate(shape))
    return np.broadcast_to(g.reshape(kept), shape) / np.prod([shape[a] for a in axis])


RG = rng.normal(size=(4, 1, 5))
REDUCE_CASES = [
    Case("_internal._backward_reduce_broadcast", [RG], {"axis": (1,), "keepdims": True,
                                                         "shape": (4, 3, 5)},
         lambda g, **k: np.broadcast_to(g, (4, 3, 5)).copy(), grad=True, id="sum-keepdims"),
    Case("_internal._backward_reduce_broadcast", [RG.reshape(4, 5)],
         {"axis": (1,), "shape": (4, 3, 5), "divisor": 3.0},
         lambda g, **k: mean_backward(g, (1,), (4, 3, 5)), grad=True, id="mean-axis1"),
    Case("_internal._backward_reduce_broadcast", [RG.reshape(4, 5)],
         {"axis": (0, 2), "exclude": True, "shape": (4, 3, 5), "divisor": 3.0},
         lambda g, **k: mean_backward(g, (1,), (4, 3, 5)), grad=True, id="mean-exclude"),
    Case("_internal._backward_reduce_broadcast", [np.array([2.0])], {"shape": (2, 3)},
         lambda g, **k: np.full((2, 3), 2.0), grad=True, id="sum-all"),
]


@pytest.mark.parametrize("case", REDUCE_CASES, ids=str)
def test_reduce_broadcast_values_and_second_order_gradients(case):
    run_case(case)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_mean_gradient_equals_broadcast_then_divide_exactly(dtype):
    x = mx.nd.array(rng.normal(size=(3, 7, 2)), dtype=dtype)
    head = rng.normal(size=(3, 2)).astype(dtype)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.mean(x, axis=1)
    y.backward(mx.nd.array(head, dtype=dtype))
    expect = np.broadcast_to(head.reshape(3, 1, 2), (3, 7, 2)) / np.dtype(dtype).type(7)
    assert x.grad.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(x.grad.asnumpy(), expect)


def test_integer_mean_gradient_keeps_integer_division():
    x = mx.nd.array([[4, 5], [6, 7]], dtype="int32")
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.mean(x, axis=1)
    y.backward(mx.nd.array([5, 9], dtype="int32"))
    np.testing.assert_array_equal(x.grad.asnumpy(), [[2, 2], [4, 4]])


def test_reduce_broadcast_rejects_a_gradient_of_the_wrong_size_or_integer_division():
    with pytest.raises(MXNetError, match="does not match the reduced shape"):
        mx.nd._internal._backward_reduce_broadcast(mx.nd.ones((3,)), axis=(1,),
                                                   shape=(4, 3)).wait_to_read()
    with pytest.raises(MXNetError, match="needs a floating point"):
        mx.nd._internal._backward_reduce_broadcast(mx.nd.ones((4,), dtype="int32"), axis=(1,),
                                                   shape=(4, 3), divisor=3).wait_to_read()
