"""Training plans run a FullyConnected step and the Activation that alone reads
it as one fused step (graph/dense_act.py), with the same values and gradients."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import backends
from mxnet.graph import dense_act, plan
from mxnet.graph.program import Program

HIDDEN = 64  # large enough for oneDNN to take the product
SHAPES = {"x": (64, 96), "w1": (HIDDEN, 96), "b1": (HIDDEN,), "w2": (3, HIDDEN), "b2": (3,)}


def _mlp(act_type="relu"):
    x = mx.sym.var("x")
    h = mx.sym.FullyConnected(x, mx.sym.var("w1"), mx.sym.var("b1"), num_hidden=HIDDEN,
                              name="fc1")
    h = mx.sym.Activation(h, act_type=act_type, name="act1")
    return mx.sym.FullyConnected(h, mx.sym.var("w2"), mx.sym.var("b2"), num_hidden=3,
                                 name="fc2")


def _program(sym, fuse):
    return Program(sym, SHAPES, {n: "float32" for n in SHAPES}, ("w1", "b1", "w2", "b2"),
                   fuse=fuse)


def _run(program, arrays):
    ctx = mx.cpu()
    outs, state = program.forward(arrays, True, True, ctx, None)
    grads = program.backward(state, [np.ones_like(outs[0])], ctx, None)
    return outs + grads


def _arrays():
    rs = np.random.RandomState(0)
    return [rs.uniform(-1, 1, SHAPES[n]).astype(np.float32) for n in SHAPES]


def _op_names(steps):
    return [s.op.name for s in steps]


def test_pass_merges_a_dense_layer_with_its_relu():
    steps = _program(_mlp("relu"), fuse=False).train_steps
    fused = dense_act.fuse_dense_activation(steps, set(), plan.Step.make)
    assert _op_names(fused) == ["_FusedDenseActivation", "FullyConnected"]
    assert fused[0].ins == steps[0].ins and fused[0].outs == steps[1].outs
    assert fused[0].attrs.with_eltwise and fused[0].attrs.act_type == "relu"
    assert fused[0].attrs.num_hidden == HIDDEN


def test_pass_keeps_a_product_that_is_kept_or_read_twice():
    steps = _program(_mlp(), fuse=False).train_steps
    product = steps[0].outs[0]
    assert dense_act.fuse_dense_activation(steps, {product}, plan.Step.make) is steps
    x = mx.sym.var("x")
    h = mx.sym.FullyConnected(x, mx.sym.var("w1"), mx.sym.var("b1"), num_hidden=HIDDEN)
    sym = mx.sym.Group([mx.sym.Activation(h, act_type="relu"), h * 2])
    shapes = {k: SHAPES[k] for k in ("x", "w1", "b1")}
    program = Program(sym, shapes, {n: "float32" for n in shapes}, ("w1",), fuse=False)
    assert dense_act.fuse_dense_activation(program.train_steps, set(),
                                           plan.Step.make) is program.train_steps


@pytest.mark.parametrize("act_type", ["tanh", "sigmoid", "softsign"])
def test_pass_leaves_other_activations_to_their_own_step(act_type):
    # (oneDNN's tanh and sigmoid post-ops differ from the Activation kernel in the last bits)
    steps = _program(_mlp(act_type), fuse=False).train_steps
    assert dense_act.fuse_dense_activation(steps, set(), plan.Step.make) is steps


@pytest.mark.skipif(not (mx.backends.dnnl.available and backends.is_enabled("onednn")),
                    reason="fused only where oneDNN runs it")
def test_fused_training_run_equals_the_unfused_one():
    fused, plain = _program(_mlp(), True), _program(_mlp(), False)
    assert "_FusedDenseActivation" in _op_names(fused.train_steps)
    assert "Activation" not in _op_names(fused.train_steps)
    with backends.count_kernels() as counts:
        got = _run(fused, _arrays())
    assert counts[("_sg_mkldnn_fully_connected", "onednn")] == 1
    for a, b in zip(got, _run(plain, _arrays())):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not mx.backends.dnnl.available, reason="fused only where oneDNN runs it")
def test_hybridized_dense_training_matches_imperative():
    results = []
    for hybridize in (False, True):
        mx.random.seed(3)
        net = mx.gluon.nn.HybridSequential()
        net.add(mx.gluon.nn.Dense(16, activation="relu"), mx.gluon.nn.Dense(4))
        net.initialize(mx.init.Xavier())
        if hybridize:
            net.hybridize(static_alloc=True, static_shape=True)
        trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
        x = mx.nd.array(np.random.RandomState(1).uniform(-1, 1, (8, 10)))
        for _ in range(3):
            with mx.autograd.record():
                loss = (net(x) ** 2).sum()
            loss.backward()
            trainer.step(8)
        results.append([p.data().asnumpy() for p in net.collect_params().values()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
