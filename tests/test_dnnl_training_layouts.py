"""Training programs keep activations and their gradients in oneDNN's blocked
layouts between oneDNN kernels (``MXNET_ONEDNN_TRAIN_LAYOUTS``), with the
same results as plain arrays.

A small ResNet-style net (convolution, strided too, batch norm, relu,
tanh, residual sums, pooling; channel counts that fill oneDNN's blocks of 16 and ones
that leave them padded) trains a few SGD steps with the blocked path on and off: the
gradients, updated weights and moving statistics agree to float32
rounding. Values saved for backward are blocked where every reader takes
them; monitored backward runs, repeated backward runs and the switch
``MXNET_ONEDNN_ENABLED=0`` still work. Skipped without the oneDNN library.
"""
import numpy as np
import pytest

import mxnet as mx
from mxnet.backends import dnnl
from mxnet.gluon import nn

pytestmark = [pytest.mark.skipif(not dnnl.available, reason="oneDNN library not installed"),
              pytest.mark.usefixtures("small_calls_use_onednn")]


class _Residual(nn.HybridBlock):
    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential()
        self.body.add(nn.Conv2D(channels, 3, 1, 1, use_bias=False), nn.BatchNorm(),
                      nn.Activation("relu"), nn.Conv2D(channels, 3, 1, 1, use_bias=False),
                      nn.BatchNorm())

    def hybrid_forward(self, F, x):
        return F.Activation(self.body(x) + x, act_type="relu")


def _net(width):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(width, 3, 1, 1), nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(width, 3, 1, 1, use_bias=False), nn.BatchNorm(scale=False),
            nn.Activation("tanh"), nn.MaxPool2D(2, 2), _Residual(width),
            nn.Conv2D(width, 3, 2, 1, use_bias=False), nn.BatchNorm(), nn.Activation("relu"),
            nn.GlobalAvgPool2D(), nn.Dense(10))
    return net


def _batch():
    rng = np.random.default_rng(5)
    return (mx.nd.array(rng.standard_normal((4, 3, 12, 12)).astype(np.float32)),
            mx.nd.array(rng.integers(0, 10, 4).astype(np.float32)))


def _train(monkeypatch, layouts, width=16, steps=3):
    """Gradients after the first step and parameters (with the moving
    statistics) after ``steps`` SGD steps."""
    monkeypatch.setenv("MXNET_ONEDNN_TRAIN_LAYOUTS", "1" if layouts else "0")
    mx.random.seed(11)
    net = _net(width)
    net.initialize(mx.init.Xavier())
    net.hybridize(static_alloc=True, static_shape=True)
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                               {"learning_rate": 0.1, "momentum": 0.9})
    x, y = _batch()
    grads = None
    for _ in range(steps):
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        if grads is None:
            grads = [p.grad().asnumpy() for p in net.collect_params().values()
                     if p.grad_req != "null"]
        trainer.step(x.shape[0])
    params = [p.data().asnumpy() for p in net.collect_params().values()]
    return grads, params


@pytest.mark.parametrize("width", [16, 20])
def test_blocked_training_matches_plain_training(monkeypatch, width):
    plain_grads, plain_params = _train(monkeypatch, False, width)
    grads, params = _train(monkeypatch, True, width)
    for got, want in zip(grads, plain_grads):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    for got, want in zip(params, plain_params):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def _program(monkeypatch, layouts):
    """A bound executor of the net's symbol with all gradients."""
    monkeypatch.setenv("MXNET_ONEDNN_TRAIN_LAYOUTS", "1" if layouts else "0")
    mx.random.seed(2)
    net = _net(16)
    net.initialize(mx.init.Xavier())
    x, _ = _batch()
    net(x)
    sym = net(mx.sym.var("data"))
    params = {p.name: p.data() for p in net.collect_params().values()}
    args = {n: params[n].copy() if n in params else x for n in sym.list_arguments()}
    aux = {n: params[n].copy() for n in sym.list_auxiliary_states()}
    return sym.bind(mx.cpu(), args, args_grad={n: mx.nd.zeros(a.shape) for n, a in args.items()},
                    aux_states=aux)


def test_values_saved_for_backward_stay_blocked(monkeypatch):
    from mxnet.backends.dnnl.primitive import Blocked
    exe = _program(monkeypatch, True)
    exe.forward(is_train=True)
    program = exe._program
    kept = {step.op.name for step in program.train_steps + program.backward_steps
            if step.keep_out}
    # (the residual sum and its relu, forward and backward, are fused steps)
    assert {"Convolution", "BatchNorm", "Activation", "_FusedElemwise", "Pooling",
            "_backward_Convolution", "_backward_BatchNorm", "_backward_Activation",
            "_backward_Pooling"} <= kept
    assert any(type(v) is Blocked for v in exe._state)
    # outputs and gradients leave the chain as plain arrays
    exe.backward(mx.nd.ones(exe.outputs[0].shape))
    assert all(type(a.asnumpy()) is np.ndarray for a in exe.grad_arrays)


def test_the_plain_plans_stay_plain(monkeypatch):
    exe = _program(monkeypatch, True)
    program = exe._program
    assert not any(step.layout is not None or step.keep_out
                   for step in program._plain_train + program._plain_backward)
    exe_off = _program(monkeypatch, False)
    assert not any(step.keep_out for step in exe_off._program.train_steps
                   + exe_off._program.backward_steps)


def _backward_grads(exe, **kwargs):
    exe.forward(is_train=True)
    exe.backward(mx.nd.ones(exe.outputs[0].shape), **kwargs)
    return [g.asnumpy().copy() for g in exe.grad_arrays]


def test_monitored_and_repeated_backward_read_blocked_values(monkeypatch):
    from mxnet.backends.dnnl.primitive import Blocked
    expected = _backward_grads(_program(monkeypatch, False))
    exe = _program(monkeypatch, True)
    program = exe._program
    _, state = program.forward([a._arr() for a in exe._inputs], True, True, mx.cpu(), None)
    assert any(type(v) is Blocked for v in state)
    heads = [np.ones(exe.outputs[0].shape, np.float32)]
    grad_of = dict(zip(program.wrt, range(len(program.wrt))))
    index = [grad_of[n] for n in exe._arg_names]
    seen = []
    runs = [program.backward(state, heads, mx.cpu(), None),  # state kept: backward again
            program.backward(state, heads, mx.cpu(), None,
                             monitor=lambda name, arr: seen.append(type(arr)))]
    assert seen and Blocked not in seen
    for grads in runs:
        for i, want in zip(index, expected):
            np.testing.assert_allclose(grads[i], want, rtol=1e-4, atol=1e-5)


def test_onednn_switched_off_after_compiling(monkeypatch):
    exe = _program(monkeypatch, True)
    expected = _backward_grads(exe)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    with mx.backends.count_kernels() as counts:
        got = _backward_grads(exe)
    assert not [k for k in counts if k[1] == "onednn"]
    for g, want in zip(got, expected):
        np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-5)


def test_blocked_max_pooling_backward_finds_its_forward_workspace(monkeypatch):
    from mxnet.backends.dnnl import pool
    from mxnet.backends.dnnl.primitive import Blocked
    found, take = [], pool._workspaces.take

    def recorded(output, forward):
        workspace = take(output, forward)
        found.append((type(output), workspace is not None))
        return workspace
    monkeypatch.setattr(pool._workspaces, "take", recorded)
    exe = _program(monkeypatch, True)
    exe.forward(is_train=True)
    exe.backward(mx.nd.ones(exe.outputs[0].shape))
    assert (Blocked, True) in found
