"""Elementwise fusion in compiled programs: groups of elementwise steps run as
one step and compute what the unfused steps compute, forward and backward."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.gluon import nn
from mxnet.graph.fuse import FusedPlan
from mxnet.graph.program import Program

RNG = np.random.default_rng(7)


def _program(sym, shapes, fuse, wrt=(), dtype="float32"):
    return Program(sym, shapes, {n: dtype for n in shapes}, wrt, fuse=fuse)


def _run(program, arrays, train=False):
    outs, state = program.forward(arrays, train, train, mx.cpu(), lambda: None)
    return [o.copy() for o in outs], state


def _fused_plans(steps):
    return [s.attrs for s in steps if isinstance(s.attrs, FusedPlan)]


def _both(sym, shapes, arrays, dtype="float32"):
    plain = _program(sym, shapes, False, dtype=dtype)
    fused = _program(sym, shapes, True, dtype=dtype)
    expected, _ = _run(plain, arrays)
    got, _ = _run(fused, arrays)
    for e, g in zip(expected, got):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)
    return fused


def test_chain_of_ten_elementwise_ops_runs_as_one_step_with_one_buffer():
    x = mx.sym.var("x")
    y = x
    for f in [lambda t: t + 1, lambda t: t * 2, mx.sym.relu, mx.sym.tanh, lambda t: 0.5 - t,
              mx.sym.sigmoid, mx.sym.exp, lambda t: t / 3, mx.sym.sqrt,
              lambda t: mx.sym.Activation(t, act_type="softrelu")]:
        y = f(y)
    fused = _both(y, {"x": (4, 5)}, [RNG.standard_normal((4, 5)).astype("float32")])
    assert len(fused.infer_steps) == 1
    plan = fused.infer_steps[0].attrs
    assert len(plan.instructions) == 10 and plan.buffers == [None]


def test_branches_joining_in_a_group_use_one_buffer_per_live_value():
    x, b = mx.sym.var("x"), mx.sym.var("b")
    # Two branches from the inputs meet in the product: one buffer each.
    y = mx.sym.sigmoid(mx.sym.broadcast_add(x, b)) * mx.sym.clip(x * x, -0.5, 0.5) - 1
    fused = _both(y, {"x": (3, 5), "b": (1, 5)},
                  [RNG.standard_normal((3, 5)).astype("float32"),
                   RNG.standard_normal((1, 5)).astype("float32")])
    [plan] = _fused_plans(fused.infer_steps)
    assert len(fused.infer_steps) == 1 and len(plan.buffers) == 2


def test_value_with_several_readers_ends_its_group():
    x = mx.sym.var("x")
    h = mx.sym.exp(x)
    y = h * mx.sym.sigmoid(h)
    fused = _both(y, {"x": (7,)}, [RNG.standard_normal(7).astype("float32")])
    assert [s.op.name for s in fused.infer_steps] == ["exp", "_FusedElemwise"]


def test_intermediate_that_is_an_output_stays_visible():
    x = mx.sym.var("x")
    h = mx.sym.exp(x) + 1
    y = mx.sym.Group([h, mx.sym.relu(h * 2)])
    fused = _both(y, {"x": (6,)}, [RNG.standard_normal(6).astype("float32")])
    assert [len(p.instructions) for p in _fused_plans(fused.infer_steps)] == [2, 2]


def test_a_lone_elementwise_step_is_left_as_it_is():
    x = mx.sym.var("x")
    y = mx.sym.relu(mx.sym.FullyConnected(x, num_hidden=4, no_bias=True, name="fc"))
    fused = _both(y, {"x": (2, 3), "fc_weight": (4, 3)},
                  [RNG.standard_normal(s).astype("float32") for s in ((2, 3), (4, 3))])
    assert [s.op.name for s in fused.infer_steps] == ["FullyConnected", "relu"]


def test_float16_and_integer_steps_are_left_alone():
    x = mx.sym.var("x")
    y = mx.sym.relu(x + 1) * 3
    for dtype in ("float16", "int32"):
        arr = (RNG.standard_normal(8) * 4).astype(dtype)
        fused = _both(y, {"x": (8,)}, [arr], dtype=dtype)
        assert not _fused_plans(fused.infer_steps)


def test_shape_changing_broadcast_ends_a_group():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    y = mx.sym.broadcast_mul(mx.sym.exp(a), b) + 1    # exp(a) is (1, 4), the product (3, 4)
    fused = _both(y, {"a": (1, 4), "b": (3, 4)},
                  [RNG.standard_normal((1, 4)).astype("float32"),
                   RNG.standard_normal((3, 4)).astype("float32")])
    assert [s.op.name for s in fused.infer_steps] == ["exp", "_FusedElemwise"]


def test_chain_after_dense_overwrites_the_dense_output_in_place():
    x = mx.sym.var("x")
    y = mx.sym.relu(mx.sym.FullyConnected(x, num_hidden=4, name="fc")) * 2
    shapes = {"x": (2, 3), "fc_weight": (4, 3), "fc_bias": (4,)}
    arrays = [RNG.standard_normal(s).astype("float32") for s in shapes.values()]
    fused = _both(y, shapes, arrays)
    [plan] = _fused_plans(fused.infer_steps)
    assert plan.buffers == [0]       # the buffer is input 0 (the dense output)
    inputs = [a.copy() for a in arrays]
    _run(fused, inputs)
    for before, after in zip(arrays, inputs):   # program inputs are never written
        np.testing.assert_array_equal(before, after)


def test_gradients_equal_with_and_without_fusion():
    x, w = mx.sym.var("x"), mx.sym.var("w")
    h = mx.sym.FullyConnected(x, w, num_hidden=5, no_bias=True)
    y = mx.sym.sum(mx.sym.tanh(h * 0.5 + 1) * mx.sym.sigmoid(h) - mx.sym.relu(h))
    shapes = {"x": (3, 4), "w": (5, 4)}
    arrays = [RNG.standard_normal(s).astype("float64") for s in shapes.values()]
    grads = {}
    for fuse in (False, True):
        p = Program(y, shapes, {"x": "float64", "w": "float64"}, ("x", "w"), fuse=fuse)
        _, state = p.forward(arrays, True, True, mx.cpu(), lambda: None)
        grads[fuse] = p.backward(state, [None], mx.cpu(), lambda: None)
        if fuse:
            assert _fused_plans(p.backward_steps)
            assert len(p.backward_steps) < len(p._plain_train) + 20
    for a, b in zip(grads[False], grads[True]):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def _mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation="relu", in_units=10), nn.Dense(8, activation="tanh", in_units=16),
            nn.Dense(3, in_units=8))
    net.initialize(mx.init.Xavier())
    return net


@pytest.mark.parametrize("fusion", ["0", "1"])
def test_hybridized_mlp_training_matches_imperative(monkeypatch, fusion):
    monkeypatch.setenv("MXNET_USE_FUSION", fusion)
    mx.random.seed(3)
    x = mx.nd.array(RNG.standard_normal((4, 10)))
    imperative, hybrid = _mlp(), _mlp()
    for p, q in zip(imperative.collect_params().values(), hybrid.collect_params().values()):
        q.set_data(p.data())
    hybrid.hybridize()
    results = []
    for net in (imperative, hybrid):
        with mx.autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        results.append([loss.asnumpy()] + [p.grad().asnumpy()
                                           for p in net.collect_params().values()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_executor_monitor_sees_every_node_despite_fusion():
    x = mx.sym.var("x")
    y = mx.sym.relu(mx.sym.exp(x, name="e") + 1, name="r")
    ex = y.bind(mx.cpu(), {"x": mx.nd.ones((2,))})
    seen = []
    ex.set_monitor_callback(lambda name, arr: seen.append(name))
    ex.forward()
    assert len(seen) == 3 and seen[0] == "e_output" and seen[-1] == "r_output"
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), np.exp(1.0) + 1, rtol=1e-6)
