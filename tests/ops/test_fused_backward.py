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
