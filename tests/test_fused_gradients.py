"""Activation gradients in compiled backward plans: run fused, over the
incoming gradient's memory, with the values of the op's own kernel."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.graph.fuse import FusedPlan
from mxnet.graph.program import Program

RNG = np.random.default_rng(11)
SHAPES = {"x": (6, 5), "w1": (8, 5), "w2": (3, 8)}


def _net(act_type):
    x, w1, w2 = (mx.sym.var(n) for n in SHAPES)
    h = mx.sym.Activation(mx.sym.FullyConnected(x, w1, num_hidden=8, no_bias=True),
                          act_type=act_type)
    return mx.sym.sum(mx.sym.FullyConnected(h, w2, num_hidden=3, no_bias=True))


def _gradients(sym, fuse, arrays):
    program = Program(sym, SHAPES, {n: "float32" for n in SHAPES}, ("x", "w1", "w2"),
                      fuse=fuse)
    _, state = program.forward([a.copy() for a in arrays], True, True, mx.cpu(), lambda: None)
    return program, program.backward(state, [None], mx.cpu(), lambda: None)


@pytest.mark.parametrize("act_type", ["relu", "sigmoid", "tanh"])
def test_activation_gradient_writes_over_the_incoming_gradient(act_type):
    arrays = [RNG.standard_normal(s).astype("float32") for s in SHAPES.values()]
    sym = _net(act_type)
    _, expected = _gradients(sym, False, arrays)
    program, got = _gradients(sym, True, arrays)
    [step] = [s for s in program.backward_steps if isinstance(s.attrs, FusedPlan)]
    assert step.attrs.names == ["_backward_Activation"]
    assert step.attrs.buffers == [0]  # input 0, the dense layer's data gradient
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)


def test_activation_gradient_of_a_kept_value_keeps_its_kernel():
    # The incoming gradient is the head gradient, which the program does not own.
    x = mx.sym.var("x")
    sym = mx.sym.Activation(x, act_type="tanh")
    program = Program(sym, {"x": (4,)}, {"x": "float32"}, ("x",))
    assert [s.op.name for s in program.backward_steps] == ["_backward_Activation"]
    data = RNG.standard_normal(4).astype("float32")
    head = RNG.standard_normal(4).astype("float32")
    _, state = program.forward([data], True, True, mx.cpu(), lambda: None)
    [grad] = program.backward(state, [head.copy()], mx.cpu(), lambda: None)
    np.testing.assert_allclose(grad, head * (1 - np.tanh(data) ** 2), rtol=1e-6)


def test_relu_operator_gradient_fuses_like_the_activation():
    x, w1, w2 = (mx.sym.var(n) for n in SHAPES)
    h = mx.sym.relu(mx.sym.FullyConnected(x, w1, num_hidden=8, no_bias=True))
    sym = mx.sym.sum(mx.sym.FullyConnected(h, w2, num_hidden=3, no_bias=True))
    arrays = [RNG.standard_normal(s).astype("float32") for s in SHAPES.values()]
    _, expected = _gradients(sym, False, arrays)
    program, got = _gradients(sym, True, arrays)
    fused = [s.attrs.names for s in program.backward_steps if isinstance(s.attrs, FusedPlan)]
    assert ["_backward_relu"] in fused
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)
