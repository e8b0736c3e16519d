"""The softmax cross-entropy chain of compiled programs runs as one fused op."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.graph.program import Program


def _loss_symbol(**kwargs):
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss(**kwargs)
    return loss(mx.sym.var("pred"), mx.sym.var("label"))


def _batch(dtype, n=32, k=10):
    rng = np.random.default_rng(0)
    pred = (rng.standard_normal((n, k)) * 4).astype(dtype)
    label = (rng.integers(0, k, n)).astype(np.float32)
    return pred, label, rng.standard_normal(n).astype(dtype)


def _run(sym, fuse, pred, label, head):
    program = Program(sym, {"pred": pred.shape, "label": label.shape},
                      {"pred": pred.dtype.name, "label": "float32"}, ["pred"], fuse=fuse)
    ctx = mx.cpu()
    out, state = program.forward([pred, label], True, True, ctx, None)
    grad = program.backward(state, [head] * len(out), ctx, None)[0]
    inference, _ = program.forward([pred, label], False, False, ctx, None)
    return program, out[0].copy(), grad, inference[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chain_fuses_with_bitwise_equal_values_and_gradients(dtype):
    pred, label, head = _batch(dtype)
    sym = _loss_symbol()
    program, *fused = _run(sym, True, pred, label, head)
    assert [s.op.name for s in program.train_steps] == ["_softmax_ce_per_example"]
    assert [s.op.name for s in program.infer_steps] == ["_softmax_ce_per_example"]
    assert [s.op.name for s in program.backward_steps] == ["_backward_softmax_ce_per_example"]
    plain_program, *plain = _run(sym, False, pred, label, head)
    assert len(plain_program.train_steps) == 4
    for a, b in zip(fused, plain):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_chain_whose_log_probabilities_are_read_elsewhere_stays():
    pred = mx.sym.var("pred")
    log_probs = mx.sym.log_softmax(pred, axis=-1)
    loss = mx.sym.mean(-mx.sym.pick(log_probs, mx.sym.var("label"), axis=-1, keepdims=True),
                       axis=0, exclude=True)
    program, *_ = _run(mx.sym.Group([loss, log_probs]), True, *_batch(np.float32)[:2], None)
    assert "_softmax_ce_per_example" not in [s.op.name for s in program.train_steps]


def test_other_loss_forms_are_left_as_traced():
    sym = _loss_symbol(from_logits=True)
    program, *_ = _run(sym, True, *_batch(np.float32)[:2], None)
    assert "_softmax_ce_per_example" not in [s.op.name for s in program.train_steps]


def _train_step(hybridize, hook=None):
    mx.random.seed(1)
    net = mx.gluon.nn.Dense(10)
    net.initialize(mx.init.Xavier())
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    if hybridize:
        net.hybridize()
        loss_fn.hybridize()
        if hook is not None:
            loss_fn.register_op_hook(hook)
    pred, label, _ = _batch(np.float32, k=20)
    data = mx.nd.array(pred)
    with mx.autograd.record():
        loss = loss_fn(net(data), mx.nd.array(label))
    loss.backward()
    return loss.asnumpy(), net.weight.grad().asnumpy()


def test_hybridized_loss_equals_imperative_and_hooks_see_every_node():
    seen = []
    imperative = _train_step(False)
    hybridized = _train_step(True)
    monitored = _train_step(True, lambda name, op, arr: seen.append(op))
    for a, b, c in zip(imperative, hybridized, monitored):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    assert seen == ["log_softmax", "pick", "_mul_scalar", "mean"]
